import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import {
  EventLogUnavailableError,
  LogPosition,
  NodeConfig,
  encodeEvent,
  type ReplicationEvent,
} from '@clusterlite/core';
import {
  EVENT_LOG_CLIENT,
  KafkaAccessReport,
  chosenPartition,
} from '@clusterlite/event-log';
import {
  EntityCommands,
  type EntityDefinition,
  type WriteCommand,
  type WriteReceipt,
} from '@clusterlite/registry';
import type { RecordMetadata } from 'kafkajs';
import {
  EventOutcomeUnknownError,
  LogStoppedError,
  LogStops,
  WriteTooLargeError,
} from '@clusterlite/core';
import {
  ProduceFailedError,
  ProducerGuard,
  encodedBatchBytes,
  type ProduceFailure,
  ProduceAttempts,
} from '@clusterlite/event-log';
import { lastValueFrom, type Observable } from 'rxjs';
import { v7 as uuidv7 } from 'uuid';

const RETRY_AFTER_SECONDS = 5;

/** At most this many messages in one produce request (a bulk write is never split). */
const MAX_BATCH_MESSAGES = 1_000;
/** At most this many bytes of event values in one produce request (a broker takes 1 MiB by default). */
const MAX_BATCH_BYTES = 512 * 1024;

interface OutgoingMessage {
  key: string;
  value: Buffer;
}

/** `ClientKafka.emitBatch` and its embedded twin: several messages, one produce request. */
interface BatchEmitter {
  emitBatch<T>(
    pattern: string,
    data: { messages: OutgoingMessage[] },
  ): Observable<T>;
}

/** One write (or one bulk write) waiting for its produce request. */
interface PendingAppend {
  table: string;
  eventIds: string[];
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
}

/**
 * Turns a validated write into an event and emits it on the table's topic,
 * keyed by the entity id. It answers only once the log acknowledged the
 * event (acks=all in cluster mode).
 *
 * Concurrent writes to one table share produce requests: each table has one
 * request out at a time, and the writes that arrive meanwhile go together in
 * the next one, in arrival order (a group commit). Every write still gets its
 * own offset (the batch's base offset + its index in its partition) and is
 * answered only after Kafka acknowledged the request that carried it.
 *
 * What a failure answers: a write that timed out before its request left is
 * dropped from the queue (503: nothing was written). A request that left and
 * got no definite answer is `unknown` (504 with the event ids): the next
 * request of the topic waits until kafkajs has given that one up, and the
 * producer is then replaced (a new producer id), so a later write can never
 * take the sequence number of one that might still land.
 */
@Injectable()
export class CommandService extends EntityCommands {
  private readonly logger = new Logger(CommandService.name);
  private readonly queues = new Map<string, TopicQueue>();
  private readonly producer: ProducerGuard;

  constructor(
    @Inject(EVENT_LOG_CLIENT) private readonly client: ClientProxy,
    private readonly config: NodeConfig,
    private readonly stops: LogStops,
    private readonly access: KafkaAccessReport,
    attempts: ProduceAttempts,
  ) {
    super();
    this.producer = new ProducerGuard(client, config.writeTimeoutMs, attempts);
  }

  async submit(
    definition: EntityDefinition,
    command: WriteCommand,
  ): Promise<WriteReceipt> {
    const [receipt] = await this.publish(definition, [command]);
    return receipt;
  }

  /** All the commands in one produce request, contiguous on one partition: all or none are accepted. */
  async submitMany(
    definition: EntityDefinition,
    commands: WriteCommand[],
  ): Promise<WriteReceipt[]> {
    return this.publish(definition, commands);
  }

  /**
   * Appends an event made elsewhere (a dead letter re-driven by an admin) to
   * `topic`, keyed by its entity id; resolves once the log acknowledged it.
   */
  async resend(topic: string, event: ReplicationEvent): Promise<LogPosition> {
    const [position] = await this.append(
      topic,
      event.table,
      [event.eventId],
      [{ key: event.entityId, value: encodeEvent(event) }],
    );
    return position;
  }

  private async publish(
    definition: EntityDefinition,
    commands: WriteCommand[],
  ): Promise<WriteReceipt[]> {
    if (commands.length === 0) return [];
    const events = commands.map((command) =>
      this.eventFor(definition, command),
    );
    const topic = this.config.topicFor(definition.table);
    const stopped = this.stops.reasonFor(topic);
    if (stopped !== null) throw new LogStoppedError(topic, stopped);
    const messages = events.map((event) => ({
      key: event.entityId,
      value: encodeEvent(event),
    }));
    if (this.config.mode === 'cluster') {
      const bytes = encodedBatchBytes(messages);
      if (bytes > this.config.maxMessageBytes)
        throw new WriteTooLargeError(
          bytes,
          this.config.maxMessageBytes,
          messages.length,
        );
    }
    const positions = await this.append(
      topic,
      definition.table,
      events.map((event) => event.eventId),
      messages,
    );
    return events.map((event, index) => {
      const position = positions[index];
      this.logger.debug(
        `${event.type} ${definition.table}/${event.entityId} at ${position.token}`,
      );
      return { id: event.entityId, eventId: event.eventId, position };
    });
  }

  /** Queues messages for the topic's next produce request; resolves with their positions once acknowledged. */
  private append(
    topic: string,
    table: string,
    eventIds: string[],
    messages: OutgoingMessage[],
  ): Promise<LogPosition[]> {
    return new Promise((resolve, reject) => {
      const pending: PendingAppend = {
        table,
        eventIds,
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
                `not sent within ${this.config.writeTimeoutMs} ms (the log is busy or unreachable)`,
              ),
            ),
          );
        } else if (pending.state === 'sent') {
          pending.state = 'settled';
          reject(
            new EventOutcomeUnknownError(
              table,
              eventIds,
              new Error(
                `no acknowledgement within ${this.config.writeTimeoutMs} ms`,
              ),
            ),
          );
        }
      }, this.config.writeTimeoutMs);
      const queue = this.queueOf(topic);
      queue.waiting.push(pending);
      this.schedule(queue);
    });
  }

  private queueOf(topic: string): TopicQueue {
    let queue = this.queues.get(topic);
    if (!queue) {
      queue = { topic, waiting: [], sending: false, scheduled: false };
      this.queues.set(topic, queue);
    }
    return queue;
  }

  /** Sends on the next turn of the event loop, so that writes arriving in this one join the request. */
  private schedule(queue: TopicQueue): void {
    if (queue.sending || queue.scheduled) return;
    queue.scheduled = true;
    setImmediate(() => {
      queue.scheduled = false;
      void this.flush(queue);
    });
  }

  private async flush(queue: TopicQueue): Promise<void> {
    if (queue.sending) return;
    const batch: PendingAppend[] = [];
    let count = 0;
    let bytes = 0;
    const maxBytes = Math.min(MAX_BATCH_BYTES, this.config.maxMessageBytes);
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
      await this.producer.ready();
    } catch (error) {
      // Nothing left: the producer could not even connect. A refused login or certificate
      // is said once (KafkaAccessReport), not with every write.
      const cause = this.access.summarize(error);
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
      const acknowledged = await this.producer.send(() =>
        lastValueFrom(
          (this.client as ClientProxy & BatchEmitter).emitBatch<
            RecordMetadata[]
          >(topic, { messages }),
        ),
      );
      positions = positionsOf(messages, acknowledged);
    } catch (error) {
      const { failure, original: raw } =
        error instanceof ProduceFailedError
          ? error
          : { failure: 'unknown' as const, original: error };
      const original = this.access.summarize(raw);
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

  private eventFor(
    definition: EntityDefinition,
    command: WriteCommand,
  ): ReplicationEvent {
    return {
      eventId: command.idempotency?.eventId ?? uuidv7(),
      type: command.type,
      table: definition.table,
      entityId: command.entityId,
      data: command.data,
      expectedVersion: command.expectedVersion,
      occurredAt: new Date().toISOString(),
      origin: this.config.nodeId,
      schemaVersion: definition.schemaVersion,
      ...(command.idempotency
        ? {
            idempotency: {
              key: command.idempotency.key,
              fingerprint: command.idempotency.fingerprint,
            },
          }
        : {}),
    };
  }
}

/**
 * The position of each message of one acknowledged produce request. A partition's messages
 * are appended contiguously in the order sent, from the base offset the broker answered for it.
 */
function positionsOf(
  messages: OutgoingMessage[],
  acknowledged: RecordMetadata[] | undefined,
): LogPosition[] {
  if (!acknowledged || acknowledged.length === 0)
    throw new Error('the log acknowledged no partition');
  const next = new Map(
    acknowledged.map((record) => [
      record.partition,
      BigInt(record.baseOffset ?? '0'),
    ]),
  );
  return messages.map((message) => {
    const partition =
      acknowledged.length === 1
        ? acknowledged[0].partition
        : chosenPartition(message);
    const offset = partition === undefined ? undefined : next.get(partition);
    if (partition === undefined || offset === undefined)
      throw new Error('cannot tell the offset of a message');
    next.set(partition, offset + 1n);
    return new LogPosition(acknowledged[0].topicName, partition, offset);
  });
}
