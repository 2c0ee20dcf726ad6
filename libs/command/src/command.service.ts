import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import {
  LogPosition,
  NodeConfig,
  encodeEvent,
  uuidV7,
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
  LogStoppedError,
  LogStops,
  WriteTooLargeError,
} from '@clusterlite/core';
import {
  ProducerGuard,
  encodedBatchBytes,
  ProduceAttempts,
} from '@clusterlite/event-log';
import { lastValueFrom, type Observable } from 'rxjs';
import {
  GroupCommitQueue,
  type OutgoingMessage,
} from './group-commit-queue.js';

/** At most this many bytes of event values in one produce request (a broker takes 1 MiB by default). */
const MAX_BATCH_BYTES = 512 * 1024;

/** `ClientKafka.emitBatch` and its embedded twin: several messages, one produce request. */
interface BatchEmitter {
  emitBatch<T>(
    pattern: string,
    data: { messages: OutgoingMessage[] },
  ): Observable<T>;
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
 * The queue itself is GroupCommitQueue (group-commit-queue.ts).
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
  private readonly queue: GroupCommitQueue;

  constructor(
    @Inject(EVENT_LOG_CLIENT) client: ClientProxy,
    private readonly config: NodeConfig,
    private readonly stops: LogStops,
    access: KafkaAccessReport,
    attempts: ProduceAttempts,
  ) {
    super();
    const producer = new ProducerGuard(client, config.writeTimeoutMs, attempts);
    this.queue = new GroupCommitQueue(
      {
        ready: () => producer.ready(),
        send: async (topic, messages) =>
          positionsOf(
            messages,
            await producer.send(() =>
              lastValueFrom(
                (client as ClientProxy & BatchEmitter).emitBatch<
                  RecordMetadata[]
                >(topic, { messages }),
              ),
            ),
          ),
      },
      {
        timeoutMs: config.writeTimeoutMs,
        maxBatchBytes: Math.min(MAX_BATCH_BYTES, config.maxMessageBytes),
        // The embedded log has no requests to save: its appends are not held.
        lingerMs: config.mode === 'cluster' ? config.produceLingerMs : 0,
        // A refused login or certificate is said once (KafkaAccessReport), not with every write.
        summarize: (error) => access.summarize(error),
      },
    );
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
    const [position] = await this.queue.append(
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
    const positions = await this.queue.append(
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

  private eventFor(
    definition: EntityDefinition,
    command: WriteCommand,
  ): ReplicationEvent {
    return {
      eventId: command.idempotency?.eventId ?? uuidV7(),
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
