import { Injectable } from '@nestjs/common';
import { LogPosition, PositionWaitTimeoutError } from '@clusterlite/core';

interface Waiter {
  offset: bigint;
  resolve: () => void;
}

/**
 * The node's applied position per topic partition, kept in memory beside the
 * copy in SQLite, with the readers waiting for a position to be reached.
 */
@Injectable()
export class AppliedPositions {
  private readonly applied = new Map<string, bigint>();
  private readonly fingerprints = new Map<string, string>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  /** Per partition: lingers to end as soon as a reader starts waiting. */
  private readonly lingering = new Map<string, Set<() => void>>();

  /** Offset of the last event applied on `topic`/`partition`, or null if none yet. */
  get(topic: string, partition: number): bigint | null {
    return this.applied.get(`${topic}:${partition}`) ?? null;
  }

  entries(): { topic: string; partition: number; offset: bigint }[] {
    return [...this.applied].map(([stream, offset]) => {
      const at = stream.lastIndexOf(':');
      return {
        topic: stream.slice(0, at),
        partition: Number(stream.slice(at + 1)),
        offset,
      };
    });
  }

  /** SHA-256 of the message at the applied offset, when known: it identifies the topic (see log-gaps). */
  fingerprint(topic: string, partition: number): string | null {
    return this.fingerprints.get(`${topic}:${partition}`) ?? null;
  }

  advance(
    topic: string,
    partition: number,
    offset: bigint,
    fingerprint: string | null = null,
  ): void {
    const stream = `${topic}:${partition}`;
    const current = this.applied.get(stream);
    if (current !== undefined && current >= offset) return;
    this.applied.set(stream, offset);
    if (fingerprint === null) this.fingerprints.delete(stream);
    else this.fingerprints.set(stream, fingerprint);
    const waiting = this.waiters.get(stream);
    if (!waiting) return;
    for (const waiter of waiting) {
      if (waiter.offset <= offset) {
        waiting.delete(waiter);
        waiter.resolve();
      }
    }
  }

  /**
   * Resolves after `ms`, or as soon as a reader waits for a position of `topic`/`partition`
   * that is not applied yet (at once if one already does).
   */
  lingerUnlessAwaited(
    topic: string,
    partition: number,
    ms: number,
  ): Promise<void> {
    const stream = `${topic}:${partition}`;
    if ((this.waiters.get(stream)?.size ?? 0) > 0) return Promise.resolve();
    return new Promise((resolve) => {
      const lingering = this.lingering.get(stream) ?? new Set<() => void>();
      this.lingering.set(stream, lingering);
      const end = () => {
        clearTimeout(timer);
        lingering.delete(end);
        resolve();
      };
      const timer = setTimeout(end, ms);
      lingering.add(end);
    });
  }

  hasApplied(position: LogPosition): boolean {
    const current = this.applied.get(position.stream);
    return current !== undefined && current >= position.offset;
  }

  /** Resolves once `position` is applied; rejects with PositionWaitTimeoutError after `timeoutMs`. */
  waitFor(position: LogPosition, timeoutMs: number): Promise<void> {
    if (this.hasApplied(position)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiting = this.waiters.get(position.stream) ?? new Set<Waiter>();
      this.waiters.set(position.stream, waiting);
      const waiter: Waiter = {
        offset: position.offset,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        waiting.delete(waiter);
        reject(new PositionWaitTimeoutError(position.token, timeoutMs));
      }, timeoutMs);
      waiting.add(waiter);
      for (const end of this.lingering.get(position.stream) ?? []) end();
    });
  }
}
