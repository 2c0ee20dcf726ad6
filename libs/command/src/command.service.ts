import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import {
  EventLogUnavailableError,
  LogPosition,
  NodeConfig,
  encodeEvent,
  type ReplicationEvent,
} from '@clusterlite/core';
import { EVENT_LOG_CLIENT, chosenPartition } from '@clusterlite/event-log';
import {
  EntityCommands,
  type EntityDefinition,
  type WriteCommand,
  type WriteReceipt,
} from '@clusterlite/registry';
import type { RecordMetadata } from 'kafkajs';
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
  messages: OutgoingMessage[];
  bytes: number;
  /** waiting → sent → settled, or waiting → expired (answered 503, never sent). */
  state: 'waiting' | 'sent' | 'settled' | 'expired';
  acknowledged(positions: LogPosition[]): void;
  failed(error: unknown): void;
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
 * event (acks=all in cluster mode); otherwise nothing was accepted.
 *
 * Concurrent writes to one table share produce requests: each table has one
 * request out at a time, and the writes that arrive meanwhile go together in
 * the next one, in arrival order (a group commit). Every write still gets its
 * own offset (the batch's base offset + its index in its partition) and is
 * answered only after Kafka acknowledged the request that carried it. A write
 * that times out before its request left is dropped from the queue, so a 503
 * means it was never sent.
 */
@Injectable()
export class CommandService extends EntityCommands {
  private readonly logger = new Logger(CommandService.name);
  private readonly queues = new Map<string, TopicQueue>();

  constructor(
    @Inject(EVENT_LOG_CLIENT) private readonly client: ClientProxy,
    private readonly config: NodeConfig,
  ) {
    super();
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
    const [position] = await this.append(topic, [
      { key: event.entityId, value: encodeEvent(event) },
    ]);
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
    const positions = await this.append(
      topic,
      events.map((event) => ({
        key: event.entityId,
        value: encodeEvent(event),
      })),
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
    messages: OutgoingMessage[],
  ): Promise<LogPosition[]> {
    return new Promise((resolve, reject) => {
      const pending: PendingAppend = {
        messages,
        bytes: messages.reduce((sum, message) => sum + message.value.length, 0),
        state: 'waiting',
        acknowledged: (positions) => {
          clearTimeout(timer);
          if (pending.state !== 'sent') return;
          pending.state = 'settled';
          resolve(positions);
        },
        failed: (error) => {
          clearTimeout(timer);
          if (pending.state !== 'sent' && pending.state !== 'waiting') return;
          pending.state = 'settled';
          reject(new EventLogUnavailableError(RETRY_AFTER_SECONDS, error));
        },
      };
      const timer = setTimeout(() => {
        if (pending.state === 'waiting') pending.state = 'expired';
        else if (pending.state === 'sent') pending.state = 'settled';
        else return;
        reject(
          new EventLogUnavailableError(
            RETRY_AFTER_SECONDS,
            new Error(
              `no acknowledgement within ${this.config.writeTimeoutMs} ms`,
            ),
          ),
        );
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
    while (queue.waiting.length > 0) {
      const next = queue.waiting[0];
      if (next.state !== 'waiting') {
        queue.waiting.shift();
        continue;
      }
      if (
        batch.length > 0 &&
        (count + next.messages.length > MAX_BATCH_MESSAGES ||
          bytes + next.bytes > MAX_BATCH_BYTES)
      )
        break;
      queue.waiting.shift();
      next.state = 'sent';
      batch.push(next);
      count += next.messages.length;
      bytes += next.bytes;
    }
    if (batch.length === 0) return;
    queue.sending = true;
    const sent = this.send(queue.topic, batch);
    // A request the client gave up on must not hold the queue for longer than a write may wait.
    let guard: NodeJS.Timeout | undefined;
    await Promise.race([
      sent,
      new Promise(
        (resolve) => (guard = setTimeout(resolve, this.config.writeTimeoutMs)),
      ),
    ]);
    clearTimeout(guard);
    queue.sending = false;
    if (queue.waiting.length > 0) this.schedule(queue);
  }

  /** One produce request for the batch; each write learns its own offset. */
  private async send(topic: string, batch: PendingAppend[]): Promise<void> {
    const messages = batch.flatMap((pending) => pending.messages);
    let positions: LogPosition[];
    try {
      const acknowledged = await lastValueFrom(
        (this.client as ClientProxy & BatchEmitter).emitBatch<RecordMetadata[]>(
          topic,
          { messages },
        ),
      );
      positions = positionsOf(messages, acknowledged);
    } catch (error) {
      for (const pending of batch) pending.failed(error);
      return;
    }
    let index = 0;
    for (const pending of batch) {
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
