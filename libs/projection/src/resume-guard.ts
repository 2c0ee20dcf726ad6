import { Injectable, Logger } from '@nestjs/common';
import { LogStops } from '@clusterlite/core';
import {
  ResumePolicy,
  type Admission,
  type LogBounds,
} from '@clusterlite/event-log';
import { AppliedPositions } from './applied-positions.js';
import { LogIdentity, type LogName } from './log-identity.js';
import { gapAtResume, verifyResume } from './log-gaps.js';

/**
 * Decides where a partition resumes and whether a fetched batch may be
 * applied, so that no automatic offset reset ever decides silently: a stored
 * position below the log start, beyond the log end, or on a re-created topic
 * stops that topic (other topics go on) with the reason (invariant 9).
 */
@Injectable()
export class ResumeGuard extends ResumePolicy {
  private readonly logger = new Logger(ResumeGuard.name);
  /** Partitions whose first batch must show the message at the applied offset again. */
  private readonly verifying = new Set<string>();
  /** Partitions already sent back to their stored position once since they resumed. */
  private readonly soughtBack = new Set<string>();

  constructor(
    private readonly identity: LogIdentity,
    private readonly stops: LogStops,
    private readonly positions: AppliedPositions,
  ) {
    super();
  }

  /** Whether this node's file belongs to `log` (see LogIdentity). */
  claim(log: LogName): Promise<boolean> {
    return this.identity.claim(log);
  }

  isStopped(topic: string): boolean {
    return this.stops.reasonFor(topic) !== null;
  }

  /**
   * Where a partition resumes, given what the log holds (when known): the
   * applied offset itself when its message can be checked again, else the
   * next one; null when the partition must stop.
   */
  resumeAt(
    topic: string,
    partition: number,
    bounds: LogBounds | null,
  ): bigint | null {
    const stream = `${topic}:${partition}`;
    this.soughtBack.delete(stream);
    if (this.isStopped(topic)) return null;
    const applied = this.positions.get(topic, partition);
    const gap = bounds && gapAtResume(stream, applied, bounds);
    if (gap) {
      this.stop(topic, gap);
      return null;
    }
    if (
      applied !== null &&
      this.positions.fingerprint(topic, partition) !== null
    ) {
      this.verifying.add(stream);
      return applied;
    }
    this.verifying.delete(stream);
    return applied === null ? 0n : applied + 1n;
  }

  admit(
    topic: string,
    partition: number,
    messages: { offset: string; value: Buffer | string | null }[],
  ): Admission {
    if (this.isStopped(topic)) return { kind: 'hold' };
    const stream = `${topic}:${partition}`;
    const applied = this.positions.get(topic, partition);
    const first = BigInt(messages[0].offset);
    const fingerprint = this.positions.fingerprint(topic, partition);
    if (this.verifying.has(stream) && applied !== null && fingerprint) {
      if (first > applied && !this.soughtBack.has(stream)) {
        this.soughtBack.add(stream);
        return { kind: 'seek', offset: applied };
      }
      const verdict = verifyResume(stream, applied, fingerprint, messages);
      if (verdict.kind === 'gap') {
        this.stop(topic, verdict.reason);
        return { kind: 'hold' };
      }
      if (verdict.kind === 'verified') this.verifying.delete(stream);
      return { kind: 'apply' };
    }
    const expected = applied === null ? 0n : applied + 1n;
    if (first > expected) {
      if (!this.soughtBack.has(stream)) {
        this.soughtBack.add(stream);
        return { kind: 'seek', offset: expected };
      }
      this.stop(
        topic,
        `${stream}: the next event to apply is at offset ${expected}, but the log gives ${first}: ` +
          'the events between were removed. This node applies nothing more from this topic; ' +
          'start it on a new DB_PATH (or a snapshot) to rebuild it from the log.',
      );
      return { kind: 'hold' };
    }
    return { kind: 'apply' };
  }

  private stop(topic: string, reason: string): void {
    this.logger.error(`Stopped projecting ${topic}: ${reason}`);
    this.stops.stopTopic(topic, reason);
  }
}
