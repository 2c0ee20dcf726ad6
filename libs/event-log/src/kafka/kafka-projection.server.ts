import { Logger } from '@nestjs/common';
import { ServerKafka, type KafkaOptions } from '@nestjs/microservices';
import type {
  Consumer,
  ConsumerCrashEvent,
  ConsumerGroupJoinEvent,
  EachBatchPayload,
} from 'kafkajs';
import type { DeadLetter, LogConsumer } from '../event-log.ports.js';

/** Wait before building a new consumer after kafkajs gave one up. */
const RESTART_DELAY_MS = 2_000;

/** Events applied in one SQLite transaction, at most. */
const MAX_TRANSACTION_EVENTS = 5_000;

/**
 * The projection's Kafka transport: Nest's `ServerKafka` (client, consumer,
 * status events and shutdown are Nest's), consuming every table topic in
 * batches instead of one handler call per message, so each batch is one
 * SQLite transaction.
 *
 * On joining its group the node seeks every partition to the position stored
 * in its own SQLite file: Kafka's committed offsets are only a hint.
 */
export class KafkaProjectionServer extends ServerKafka {
  protected override logger = new Logger(KafkaProjectionServer.name);
  private readonly seekedForGap = new Set<string>();
  private closing = false;

  constructor(
    private readonly projection: LogConsumer,
    private readonly deadLetterTopic: string,
    options: NonNullable<KafkaOptions['options']>,
  ) {
    super(options);
  }

  override async bindEvents(consumer: Consumer): Promise<void> {
    const topics = this.projection.topics();
    await consumer.subscribe({ topics, fromBeginning: true });
    consumer.on(consumer.events.GROUP_JOIN, (event: ConsumerGroupJoinEvent) =>
      this.seekToStoredPositions(consumer, event),
    );
    consumer.on(consumer.events.CRASH, (event: ConsumerCrashEvent) => {
      this.projection.setConsuming(false);
      if (!event.payload.restart)
        this.replaceConsumer(consumer, event.payload.error);
    });
    await consumer.run({
      autoCommit: true,
      autoCommitInterval: 5_000,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: Math.max(1, topics.length),
      eachBatch: (payload) => this.applyBatch(consumer, payload),
    });
    this.logger.log(`Projecting ${topics.join(', ')} as group ${this.groupId}`);
  }

  override async close(): Promise<void> {
    this.closing = true;
    this.projection.setConsuming(false);
    await super.close();
  }

  /**
   * kafkajs restarts a crashed consumer only after retriable errors; after
   * others (e.g. "Failed to find group coordinator" while a broker restarts)
   * it stays stopped, and this node would stop applying events for good.
   * Build a new consumer instead, as ServerKafka.start does, until one runs.
   */
  private replaceConsumer(crashed: Consumer, error: Error): void {
    if (this.closing || this.consumer !== crashed) return;
    this.logger.warn(
      `Kafka consumer stopped (${error.message}); starting a new one in ${RESTART_DELAY_MS} ms`,
    );
    setTimeout(() => {
      void (async () => {
        if (this.closing || this.consumer !== crashed || !this.client) return;
        const consumer = this.client.consumer({
          ...this.options.consumer,
          groupId: this.groupId,
        });
        this.consumer = consumer;
        try {
          this.registerConsumerEventListeners();
          await consumer.connect();
          await this.bindEvents(consumer);
        } catch (failure) {
          await consumer.disconnect().catch(() => undefined);
          this.replaceConsumer(
            consumer,
            failure instanceof Error ? failure : new Error(String(failure)),
          );
        }
      })();
    }, RESTART_DELAY_MS);
  }

  private seekToStoredPositions(
    consumer: Consumer,
    event: ConsumerGroupJoinEvent,
  ): void {
    this.projection.setConsuming(true);
    for (const [topic, partitions] of Object.entries(
      event.payload.memberAssignment,
    )) {
      for (const partition of partitions) {
        const next = this.projection.nextOffset(topic, partition) ?? 0n;
        consumer.seek({ topic, partition, offset: next.toString() });
        this.logger.log(`Resuming ${topic}:${partition} at offset ${next}`);
      }
    }
  }

  private async applyBatch(
    consumer: Consumer,
    payload: EachBatchPayload,
  ): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0) return;
    const stream = `${batch.topic}:${batch.partition}`;
    const expected = this.projection.nextOffset(batch.topic, batch.partition);
    const first = BigInt(batch.messages[0].offset);
    if (
      expected !== null &&
      first > expected &&
      !this.seekedForGap.has(stream)
    ) {
      // Fetched from Kafka's committed offset, ahead of what this file holds:
      // go back once. If the log no longer has those offsets, accept the gap.
      this.seekedForGap.add(stream);
      this.logger.warn(
        `${stream}: fetched ${first} but next to apply is ${expected}; seeking back`,
      );
      consumer.seek({
        topic: batch.topic,
        partition: batch.partition,
        offset: expected.toString(),
      });
      return;
    }
    for (
      let start = 0;
      start < batch.messages.length;
      start += MAX_TRANSACTION_EVENTS
    ) {
      if (!payload.isRunning() || payload.isStale()) return;
      const slice = batch.messages.slice(start, start + MAX_TRANSACTION_EVENTS);
      const result = await this.projection.applyBatch(
        batch.topic,
        batch.partition,
        slice.map((message) => ({
          offset: message.offset,
          value: message.value,
        })),
      );
      if (result.deadLetters.length > 0)
        await this.publishDeadLetters(result.deadLetters);
      if (result.stopped !== undefined) {
        // Stopped by the projection (newer schema): fetch no more of it; a restart seeks back.
        consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
        this.logger.warn(`${stream}: paused, ${result.stopped}`);
        return;
      }
      payload.resolveOffset(slice[slice.length - 1].offset);
      await payload.heartbeat();
    }
    await payload.commitOffsetsIfNecessary();
  }

  /** Copies dead letters to the dead-letter topic; the local record stays if Kafka refuses. */
  private async publishDeadLetters(letters: DeadLetter[]): Promise<void> {
    try {
      await this.producer?.send({
        topic: this.deadLetterTopic,
        acks: -1,
        messages: letters.map((letter) => ({
          value: letter.value,
          headers: {
            'clusterlite-source': `${letter.topic}:${letter.partition}:${letter.offset}`,
            'clusterlite-reason': letter.reason,
            'clusterlite-node': this.clientId,
          },
        })),
      });
    } catch (error) {
      this.logger.error(
        `Could not publish ${letters.length} dead letter(s): ${String(error)}`,
      );
    }
  }
}
