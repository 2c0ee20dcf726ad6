import { Logger } from '@nestjs/common';
import {
  EventLogUnavailableError,
  EventOutcomeUnknownError,
  type LogPosition,
} from '@clusterlite/core';
import {
  ProduceFailedError,
  encodedBatchBytes,
  type ProduceFailure,
} from '@clusterlite/event-log';

/** Seconds a client is told to wait (Retry-After) when nothing was written. */
export const RETRY_AFTER_SECONDS = 5;

/** At most this many messages in one produce request (a bulk write is never split). */
const MAX_BATCH_MESSAGES = 1_000;

export interface OutgoingMessage {
  key: string;
  value: Buffer;
}

/** What the queue sends through: the producer (Kafka or the embedded log). */
export interface BatchSender {
  /** Resolves once the producer can send; a rejection means nothing of the batch left. */
  ready(): Promise<void>;
  /**
   * One produce request; resolves with each message's position, in order. A
   * rejection with ProduceFailedError says whether the messages may have
   * been written; any other rejection counts as `unknown`.
   */
  send(topic: string, messages: OutgoingMessage[]): Promise<LogPosition[]>;
}

export interface GroupCommitOptions {
  /** A write not acknowledged within this fails: 503 if it never left, 504 if it did. */
  timeoutMs: number;
  /** At most this many bytes of event values in one produce request. */
  maxBatchBytes: number;
  /** How an error is told to the client and the log (e.g. a refused login said once). */
  summarize?: (error: unknown) => unknown;
  /**
   * After a request that carried more than one write, the next waits this long (ms) for more to
   * join it; a write that comes alone is sent on the next turn of the event loop. Default 0.
   */
  lingerMs?: number;
}

/** One write (or one bulk write) waiting for its produce request. */
interface PendingAppend {
  messages: OutgoingMessage[];
  bytes: number;
  /**
   * waiting → taken (in a batch, not sent yet) → sent → settled, or
   * waiting/taken → expired (answered 503: it never left, and never will).
   */
  state: 'waiting' | 'taken' | 'sent' | 'settled' | 'expired';
  acknowledged(positions: LogPosition[]): void;
  failed(error: unknown, failure: ProduceFailure): void;
}

/** The appends of one topic: waiting ones, and whether a produce request is out. */
interface TopicQueue {
  topic: string;
  waiting: PendingAppend[];
  sending: boolean;
  scheduled: boolean;
  /** Writes (appends) the topic's last request carried. */
  lastBatch: number;
}

/**
 * A group commit: concurrent appends to one topic share produce requests.
 * Each topic has one request out at a time; appends that arrive meanwhile go
 * together in the next one, in arrival order. Every append learns its own
 * positions and is answered only once the request that carried it was
 * acknowledged. An append not sent within the timeout fails as not written
 * (EventLogUnavailableError); one sent and not acknowledged in time, or whose
 * request failed without a definite answer, fails as unknown
 * (EventOutcomeUnknownError).
 */
export class GroupCommitQueue {
  private readonly logger = new Logger(GroupCommitQueue.name);
  private readonly queues = new Map<string, TopicQueue>();
  private readonly summarize: (error: unknown) => unknown;

  constructor(
    private readonly sender: BatchSender,
    private readonly options: GroupCommitOptions,
  ) {
    this.summarize = options.summarize ?? ((error) => error);
  }

  /** Queues messages for the topic's next produce request; resolves with their positions once acknowledged. */
  append(
    topic: string,
    table: string,
    eventIds: string[],
    messages: OutgoingMessage[],
  ): Promise<LogPosition[]> {
    const timeoutMs = this.options.timeoutMs;
    return new Promise((resolve, reject) => {
      const pending: PendingAppend = {
        messages,
        bytes: encodedBatchBytes(messages),
        state: 'waiting',
        acknowledged: (positions) => {
          clearTimeout(timer);
          if (pending.state !== 'sent') return;
          pending.state = 'settled';
          resolve(positions);
        },
        failed: (error, failure) => {
          clearTimeout(timer);
          if (pending.state !== 'sent') return;
          pending.state = 'settled';
          reject(
            failure === 'not-written'
              ? new EventLogUnavailableError(RETRY_AFTER_SECONDS, error)
              : new EventOutcomeUnknownError(table, eventIds, error),
          );
        },
      };
      const timer = setTimeout(() => {
        if (pending.state === 'waiting' || pending.state === 'taken') {
          pending.state = 'expired';
          reject(
            new EventLogUnavailableError(
              RETRY_AFTER_SECONDS,
              new Error(
                `not sent within ${timeoutMs} ms (the log is busy or unreachable)`,
              ),
            ),
          );
        } else if (pending.state === 'sent') {
          pending.state = 'settled';
          reject(
            new EventOutcomeUnknownError(
              table,
              eventIds,
              new Error(`no acknowledgement within ${timeoutMs} ms`),
            ),
          );
        }
      }, timeoutMs);
      const queue = this.queueOf(topic);
      queue.waiting.push(pending);
      this.schedule(queue);
    });
  }

  private queueOf(topic: string): TopicQueue {
    let queue = this.queues.get(topic);
    if (!queue) {
      queue = {
        topic,
        waiting: [],
        sending: false,
        scheduled: false,
        lastBatch: 0,
      };
      this.queues.set(topic, queue);
    }
    return queue;
  }

  /**
   * Sends on the next turn of the event loop, so that writes arriving in this one join the
   * request; under concurrent writes (the last request carried several), after the linger, so
   * that more join it: fewer, larger produce requests cost the node and the broker less per
   * write.
   */
  private schedule(queue: TopicQueue): void {
    if (queue.sending || queue.scheduled) return;
    queue.scheduled = true;
    const send = () => {
      queue.scheduled = false;
      void this.flush(queue);
    };
    const lingerMs = this.options.lingerMs ?? 0;
    if (lingerMs > 0 && queue.lastBatch > 1) setTimeout(send, lingerMs);
    else setImmediate(send);
  }

  private async flush(queue: TopicQueue): Promise<void> {
    if (queue.sending) return;
    const batch: PendingAppend[] = [];
    let count = 0;
    let bytes = 0;
    const maxBytes = this.options.maxBatchBytes;
    while (queue.waiting.length > 0) {
      const next = queue.waiting[0];
      if (next.state !== 'waiting') {
        queue.waiting.shift();
        continue;
      }
      if (
        batch.length > 0 &&
        (count + next.messages.length > MAX_BATCH_MESSAGES ||
          bytes + next.bytes > maxBytes)
      )
        break;
      queue.waiting.shift();
      next.state = 'taken';
      batch.push(next);
      count += next.messages.length;
      bytes += next.bytes;
    }
    if (batch.length === 0) return;
    queue.lastBatch = batch.length;
    queue.sending = true;
    try {
      await this.send(queue.topic, batch);
    } finally {
      queue.sending = false;
      if (queue.waiting.length > 0) this.schedule(queue);
    }
  }

  /** One produce request for the batch; each write learns its own offset. */
  private async send(topic: string, batch: PendingAppend[]): Promise<void> {
    try {
      await this.sender.ready();
    } catch (error) {
      // Nothing left: the producer could not even connect.
      const cause = this.summarize(error);
      for (const pending of batch) {
        if (pending.state === 'taken') pending.state = 'sent';
        pending.failed(cause, 'not-written');
      }
      return;
    }
    // Writes answered 503 while the producer connected are never sent.
    const live = batch.filter((pending) => pending.state === 'taken');
    if (live.length === 0) return;
    for (const pending of live) pending.state = 'sent';
    const messages = live.flatMap((pending) => pending.messages);
    let positions: LogPosition[];
    try {
      positions = await this.sender.send(topic, messages);
    } catch (error) {
      const { failure, original: raw } =
        error instanceof ProduceFailedError
          ? error
          : { failure: 'unknown' as const, original: error };
      const original = this.summarize(raw);
      if (failure === 'unknown')
        this.logger.warn(
          `${topic}: ${messages.length} event(s) sent, outcome unknown (${String(original)})`,
        );
      for (const pending of live) pending.failed(original, failure);
      return;
    }
    let index = 0;
    for (const pending of live) {
      pending.acknowledged(
        positions.slice(index, index + pending.messages.length),
      );
      index += pending.messages.length;
    }
  }
}
