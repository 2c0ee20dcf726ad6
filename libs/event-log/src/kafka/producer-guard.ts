import { Logger } from '@nestjs/common';
import { ClientKafka, type ClientProxy } from '@nestjs/microservices';
import type { ProduceAttempts } from './produce-attempts.js';
import {
  classifyProduceFailure,
  type ProduceFailure,
} from './produce-failure.js';

/** Bytes of a record batch header (magic v2) and the most a record adds to its key and value. */
const BATCH_OVERHEAD_BYTES = 61;
const RECORD_OVERHEAD_BYTES = 32;

/** An upper bound of the bytes `messages` take in one produce request (no compression). */
export function encodedBatchBytes(
  messages: { key: string; value: Buffer }[],
): number {
  let bytes = BATCH_OVERHEAD_BYTES;
  for (const message of messages)
    bytes +=
      RECORD_OVERHEAD_BYTES +
      Buffer.byteLength(message.key) +
      message.value.length;
  return bytes;
}

/** A produce request failed; `failure` says whether its events may be on the log. */
export class ProduceFailedError extends Error {
  constructor(
    readonly failure: ProduceFailure,
    readonly original: unknown,
  ) {
    super(original instanceof Error ? original.message : String(original), {
      cause: original,
    });
  }
}

/**
 * Owns the lifecycle of the command side's idempotent producer. After a
 * request with an unknown outcome the producer is replaced before the next
 * request: kafkajs rolls a failed request's sequence numbers back, so the
 * same producer would give the next events the numbers of events that may
 * still be appended, and the broker would take them for duplicates.
 */
export class ProducerGuard {
  private readonly logger = new Logger(ProducerGuard.name);
  private replaceBeforeNextSend = false;
  private inFlight = 0;
  private drained: (() => void)[] = [];

  constructor(
    private readonly client: ClientProxy,
    private readonly writeTimeoutMs: number,
    private readonly attempts: ProduceAttempts,
  ) {}

  /** Connects (a new producer after an unknown outcome); throws when the log cannot be reached. */
  async ready(): Promise<void> {
    if (this.replaceBeforeNextSend && this.client instanceof ClientKafka) {
      while (this.inFlight > 0)
        await new Promise<void>((resolve) => this.drained.push(resolve));
      if (this.replaceBeforeNextSend) {
        this.replaceBeforeNextSend = false;
        this.logger.warn('Replacing the producer (new producer id)');
        await this.client.close().catch(() => undefined);
      }
    }
    await withTimeout(this.client.connect(), this.writeTimeoutMs);
  }

  /** Runs one produce request; on failure throws a ProduceFailedError saying what may be on the log. */
  async send<T>(request: () => Promise<T>): Promise<T> {
    const startedAt = Date.now();
    this.inFlight++;
    try {
      return await request();
    } catch (error) {
      let failure: ProduceFailure =
        this.client instanceof ClientKafka
          ? classifyProduceFailure(error)
          : 'not-written';
      // An earlier attempt of this request timed out or lost its connection: it may have been appended.
      if (failure === 'not-written' && this.attempts.ambiguousSince(startedAt))
        failure = 'unknown';
      if (failure === 'unknown') this.replaceBeforeNextSend = true;
      throw new ProduceFailedError(failure, error);
    } finally {
      this.inFlight--;
      if (this.inFlight === 0)
        for (const resolve of this.drained.splice(0)) resolve();
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`could not connect within ${ms} ms`)),
        ms,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}
