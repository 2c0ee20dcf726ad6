import { Logger } from '@nestjs/common';
import { ServerKafka, type KafkaOptions } from '@nestjs/microservices';
import type {
  Admin,
  Consumer,
  ConsumerCrashEvent,
  ConsumerGroupJoinEvent,
  EachBatchPayload,
} from 'kafkajs';
import type {
  DeadLetter,
  LogBounds,
  LogConsumer,
  ResumePolicy,
} from '../event-log.ports.js';
import type { KafkaAccessReport } from './kafka-connection.js';

/** Wait before building a new consumer after kafkajs gave one up. */
const RESTART_DELAY_MS = 2_000;

/** How often a batch being applied (or waiting out a storage fault) tells the group it is alive. */
const HEARTBEAT_MS = 1_000;

/** Events applied in one SQLite transaction, at most. */
const MAX_TRANSACTION_EVENTS = 5_000;

/**
 * The projection's Kafka transport: Nest's `ServerKafka` (client, consumer,
 * status events and shutdown are Nest's), consuming every table topic in
 * batches instead of one handler call per message, so each batch is one
 * SQLite transaction.
 *
 * On joining its group the node seeks every partition to the position stored
 * in its own SQLite file: Kafka's committed offsets are only a hint. Before
 * consuming, it checks that the file belongs to this Kafka cluster, and at
 * every join that each stored position is still on the log (ResumePolicy): a
 * gap stops that topic instead of being skipped.
 */
export class KafkaProjectionServer extends ServerKafka {
  protected override logger = new Logger(KafkaProjectionServer.name);
  private closing = false;
  private admin: Admin | null = null;
  private claimed = false;
  /** Partitions checked and sought since the last join; batches of others wait. */
  private readonly resumed = new Set<string>();

  constructor(
    private readonly projection: LogConsumer,
    private readonly deadLetterTopic: string,
    options: NonNullable<KafkaOptions['options']>,
    private readonly guard: ResumePolicy,
    private readonly access: KafkaAccessReport,
  ) {
    super(options);
  }

  override async bindEvents(consumer: Consumer): Promise<void> {
    const topics = this.projection.topics();
    // Nest types its Kafka client by its own copy of kafkajs's interfaces; this is kafkajs's.
    const admin = (this.admin ??= this.client!.admin() as unknown as Admin);
    await admin.connect();
    if (!this.claimed) {
      const { clusterId } = await admin.describeCluster();
      // A file of another log: consume nothing (LogIdentity says why).
      if (!(await this.guard.claim(`kafka:${clusterId}`))) return;
      this.claimed = true;
    }
    await consumer.subscribe({ topics, fromBeginning: true });
    consumer.on(consumer.events.GROUP_JOIN, (event: ConsumerGroupJoinEvent) => {
      this.resumed.clear();
      void this.seekToStoredPositions(consumer, event);
    });
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
    await this.admin?.disconnect().catch(() => undefined);
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
    // A refused login is said once, not on every new consumer.
    if (!this.access.report(error))
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

  private async seekToStoredPositions(
    consumer: Consumer,
    event: ConsumerGroupJoinEvent,
  ): Promise<void> {
    this.projection.setConsuming(true);
    this.access.accepted();
    for (const [topic, partitions] of Object.entries(
      event.payload.memberAssignment,
    )) {
      const bounds = await this.boundsOf(topic);
      for (const partition of partitions) {
        const offset = this.guard.resumeAt(
          topic,
          partition,
          bounds?.get(partition) ?? null,
        );
        if (offset === null) {
          consumer.pause([{ topic, partitions: [partition] }]);
          continue;
        }
        consumer.seek({ topic, partition, offset: offset.toString() });
        this.resumed.add(`${topic}:${partition}`);
        this.logger.log(`Resuming ${topic}:${partition} at offset ${offset}`);
      }
    }
  }

  /** Log start and end of each partition of `topic`; null when Kafka does not answer (checked again at the first batch). */
  private async boundsOf(
    topic: string,
  ): Promise<Map<number, LogBounds> | null> {
    try {
      const offsets = await this.admin!.fetchTopicOffsets(topic);
      return new Map(
        offsets.map((entry) => [
          entry.partition,
          { low: BigInt(entry.low), high: BigInt(entry.high) },
        ]),
      );
    } catch (error) {
      // A refused login or certificate is said once (KafkaAccessReport), not per topic.
      if (!this.access.report(error))
        this.logger.warn(
          `Could not read the offsets of ${topic} (${String(error)}); resuming from the stored position`,
        );
      return null;
    }
  }

  private async applyBatch(
    consumer: Consumer,
    payload: EachBatchPayload,
  ): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0) return;
    // Fetched before this partition's stored position was checked, or before a seek took
    // effect: nothing applied, fetched again from where the seek says.
    if (
      !this.resumed.has(`${batch.topic}:${batch.partition}`) ||
      payload.isStale()
    )
      return;
    const admission = this.guard.admit(
      batch.topic,
      batch.partition,
      batch.messages,
    );
    if (admission.kind === 'hold') {
      consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
      return;
    }
    if (admission.kind === 'seek') {
      // Fetched from Kafka's committed offset, not from what this file holds: go back there.
      this.logger.warn(
        `${batch.topic}:${batch.partition}: fetched ${batch.messages[0].offset}, resuming at ${admission.offset}`,
      );
      consumer.seek({
        topic: batch.topic,
        partition: batch.partition,
        offset: admission.offset.toString(),
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
      // A storage fault can hold a batch for long: stay in the group meanwhile.
      const alive = setInterval(
        () => void payload.heartbeat().catch(() => undefined),
        HEARTBEAT_MS,
      );
      const result = await this.projection
        .applyBatch(
          batch.topic,
          batch.partition,
          slice.map((message) => ({
            offset: message.offset,
            value: message.value,
          })),
          { keepGoing: () => payload.isRunning() && !payload.isStale() },
        )
        .finally(() => clearInterval(alive));
      if (result.deadLetters.length > 0)
        await this.publishDeadLetters(result.deadLetters);
      if (result.stopped !== undefined) {
        // Stopped by the projection (newer schema): fetch no more of it; a restart seeks back.
        consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
        this.logger.warn(
          `${batch.topic}:${batch.partition}: paused, ${result.stopped}`,
        );
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
