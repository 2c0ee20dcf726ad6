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

/** Where a fetched batch stands: its partition and generations when it was fetched. */
interface Turn {
  key: string;
  joins: number;
  generation: number;
}

/**
 * A fetched batch smaller than this makes the next fetch wait `fetchLingerMs`: the log is being
 * written slower than a fetch can carry, and waiting lets the next one carry more.
 */
const LINGER_BELOW_EVENTS = 200;

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
  /** Per partition: the apply of its last fetched batch, chained after the ones before. */
  private readonly applying = new Map<string, Promise<void>>();
  /** Per partition: moves on when the batches it has fetched must not be applied. */
  private readonly generations = new Map<string, number>();
  /** Group joins so far: a batch fetched before the last one is not applied. */
  private joins = 0;

  constructor(
    private readonly projection: LogConsumer,
    private readonly deadLetterTopic: string,
    options: NonNullable<KafkaOptions['options']>,
    private readonly guard: ResumePolicy,
    private readonly access: KafkaAccessReport,
    /** How long a small batch holds the next fetch (KAFKA_FETCH_LINGER_MS); 0: not at all. */
    private readonly fetchLingerMs = 0,
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
      this.joins += 1;
      void this.seekToStoredPositions(consumer, event);
    });
    consumer.on(consumer.events.CRASH, (event: ConsumerCrashEvent) => {
      this.projection.setConsuming(false);
      if (!event.payload.restart)
        this.replaceConsumer(consumer, event.payload.error);
    });
    await consumer.run({
      // kafkajs's autoCommit commits after every batch whatever the interval says (one
      // OffsetCommit request per fetch, each an append on the broker). The committed offset is
      // only a hint (the node resumes from its file), so it is committed every 5 s instead, by
      // `commitOffsetsIfNecessary` in applyBatch.
      autoCommit: false,
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
    // Batches in flight end at their next transaction (or storage retry); none starts.
    await Promise.allSettled(this.applying.values());
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

  /**
   * kafkajs fetches again only once `eachBatch` returns. So that the next fetch overlaps the
   * apply, a batch is chained after the one before it (a partition's batches apply in order,
   * one at a time) and `eachBatch` returns as soon as that one is applied: at most two batches
   * of a partition are held, one applying and one waiting. Offsets are resolved as batches are
   * fetched: Kafka's committed offset is only a hint, the node resumes from its own file. A
   * batch is admitted when its turn comes, against the positions the batch before it left; a
   * batch fetched before a seek or a pause that an earlier one decided is dropped.
   */
  private async applyBatch(
    consumer: Consumer,
    payload: EachBatchPayload,
  ): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0) return;
    const key = `${batch.topic}:${batch.partition}`;
    // Fetched before this partition's stored position was checked, or before a seek took
    // effect: nothing applied, fetched again from where the seek says.
    if (!this.resumed.has(key) || payload.isStale()) return;
    const turn = this.turnOf(key);
    const before = this.applying.get(key) ?? Promise.resolve();
    const mine = before.then(() => this.applyInTurn(consumer, payload, turn));
    this.applying.set(key, mine);
    void mine.then(() => {
      if (this.applying.get(key) === mine) this.applying.delete(key);
    });
    payload.resolveOffset(batch.messages[batch.messages.length - 1].offset);
    await before;
    if (this.lingers(batch.messages.length))
      await this.projection.lingerUnlessAwaited(
        batch.topic,
        batch.partition,
        this.fetchLingerMs,
      );
    await payload.commitOffsetsIfNecessary().catch(() => undefined);
  }

  /**
   * Whether the next fetch waits after a batch of `events`. Without the wait, under a steady
   * load each fetch brings a few events, and each costs a fetch request on the node and the
   * broker and a transaction (commit, position, checksums) on the node. At idle the broker
   * still holds a fetch until an event arrives (maxWaitTimeInMs), so the first event of a quiet
   * log is applied at once; and the wait ends as soon as a reader waits for a position of the
   * partition (read-your-writes), so the linger never holds a waiting reader up.
   */
  private lingers(events: number): boolean {
    return (
      this.fetchLingerMs > 0 && events < LINGER_BELOW_EVENTS && !this.closing
    );
  }

  /** A batch's place: its partition's generation and the group's, when it was fetched. */
  private turnOf(key: string): Turn {
    return {
      key,
      joins: this.joins,
      generation: this.generations.get(key) ?? 0,
    };
  }

  /** Whether batches fetched at `turn` may still be applied. */
  private inTurn(turn: Turn): boolean {
    return (
      !this.closing &&
      turn.joins === this.joins &&
      turn.generation === (this.generations.get(turn.key) ?? 0)
    );
  }

  /** Batches of `key` already fetched are not applied: a seek or pause was decided. */
  private moveOn(key: string): void {
    this.generations.set(key, (this.generations.get(key) ?? 0) + 1);
  }

  /** Applies a fetched batch once the one before it is applied; never rejects. */
  private async applyInTurn(
    consumer: Consumer,
    payload: EachBatchPayload,
    turn: Turn,
  ): Promise<void> {
    const { batch } = payload;
    const current = () =>
      this.inTurn(turn) && payload.isRunning() && !payload.isStale();
    if (!current()) return;
    const topicPartition = {
      topic: batch.topic,
      partitions: [batch.partition],
    };
    try {
      const admission = this.guard.admit(
        batch.topic,
        batch.partition,
        batch.messages,
      );
      if (admission.kind === 'hold') {
        this.moveOn(turn.key);
        consumer.pause([topicPartition]);
        return;
      }
      if (admission.kind === 'seek') {
        // Fetched from Kafka's committed offset, not from what this file holds: go back there.
        this.moveOn(turn.key);
        this.logger.warn(
          `${turn.key}: fetched ${batch.messages[0].offset}, resuming at ${admission.offset}`,
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
        if (!current()) return;
        const slice = batch.messages.slice(
          start,
          start + MAX_TRANSACTION_EVENTS,
        );
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
            { keepGoing: current },
          )
          .finally(() => clearInterval(alive));
        if (result.deadLetters.length > 0)
          await this.publishDeadLetters(result.deadLetters);
        if (result.stopped !== undefined) {
          // Stopped by the projection (newer schema): fetch no more of it; a restart seeks back.
          this.moveOn(turn.key);
          consumer.pause([topicPartition]);
          this.logger.warn(`${turn.key}: paused, ${result.stopped}`);
          return;
        }
        await payload.heartbeat().catch(() => undefined);
      }
    } catch (error) {
      // Not applied (the projection retries storage faults itself): fetch it again, after a pause.
      this.moveOn(turn.key);
      consumer.pause([topicPartition]);
      this.logger.error(
        `${turn.key}: applying from offset ${batch.messages[0].offset} failed (${String(error)}); trying again in ${RESTART_DELAY_MS} ms`,
      );
      setTimeout(() => {
        if (!this.inTurn({ ...turn, generation: turn.generation + 1 })) return;
        consumer.seek({
          topic: batch.topic,
          partition: batch.partition,
          offset: batch.messages[0].offset,
        });
        consumer.resume([topicPartition]);
      }, RESTART_DELAY_MS).unref();
    }
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
