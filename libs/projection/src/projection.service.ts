import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import {
  NodeConfig,
  SqliteWriter,
  isEnvironmentFault,
  type ReplicationEvent,
} from '@clusterlite/core';
import {
  LogConsumer,
  type DeadLetter,
  type LogMessage,
} from '@clusterlite/event-log';
import { EntityRegistry } from '@clusterlite/registry';
import { Subject } from 'rxjs';
import { DataSource } from 'typeorm';
import { AppliedPositions } from './applied-positions.js';
import { appliedEventIds, recordDuplicates } from './duplicate-events.js';
import { StorageRetry, type RetryOptions } from './storage-retry.js';
import { messageFingerprint } from './log-gaps.js';
import { RowChangeTracker } from './table-checksums.js';
import { markRedriven } from './dead-letter-redrives.js';
import { SchemaVersionGate } from './schema-versions.js';
import { EventDecoder, type DecodedMessage } from './event-decoder.js';
import { OutcomeStore, type OutcomeRow } from './outcome-store.js';
import { RowWriter, type LiveOutcome } from './row-writer.js';

export interface BatchResult {
  applied: number;
  skipped: number;
  outcomes: LiveOutcome[];
  deadLetters: DeadLetter[];
  /** Set when the topic is stopped at an event of a newer schema (schema-versions.ts). */
  stopped?: string;
}

/**
 * Applies events to this node's SQLite tables. A batch of events and the
 * node's new log position are written in one transaction (invariant 3), so a
 * crash, a restart or a redelivery never applies an event twice or skips one.
 * Every value written comes from the event (invariant 4); an event the table
 * cannot take is rejected and its outcome recorded (invariant 6).
 *
 * This class orchestrates a batch (skip what was applied, stop at a newer
 * schema, retry one message at a time, advance the position); the parts live
 * beside it: EventDecoder (decoding), RowWriter (row changes), OutcomeStore
 * (outcomes, idempotency keys, dead letters).
 */
@Injectable()
export class ProjectionService
  implements LogConsumer, OnModuleInit, BeforeApplicationShutdown
{
  private readonly logger = new Logger(ProjectionService.name);
  private readonly appliedOutcomes = new Subject<LiveOutcome>();
  /** Outcome of every event this node applies or rejects, once committed: the change feed's source. */
  readonly outcomes$ = this.appliedOutcomes.asObservable();
  private readonly setAside = new Subject<DeadLetter>();
  private consumingSince: Date | null = null;
  /** Every message this node dead-lettered, once committed. */
  readonly deadLetters$ = this.setAside.asObservable();

  constructor(
    private readonly writer: SqliteWriter,
    private readonly dataSource: DataSource,
    private readonly registry: EntityRegistry,
    private readonly positions: AppliedPositions,
    private readonly config: NodeConfig,
    private readonly storage: StorageRetry,
    private readonly schemaVersions: SchemaVersionGate,
  ) {
    this.decoder = new EventDecoder(registry, config, schemaVersions);
  }

  private readonly decoder: EventDecoder;
  private readonly rows = new RowWriter();
  private readonly outcomeStore = new OutcomeStore();

  /** Loads the stored positions: a node resumes from its own file, not from Kafka's offsets. */
  async onModuleInit(): Promise<void> {
    const rows: {
      topic: string;
      partition: number;
      offset: number;
      fingerprint: string | null;
    }[] = await this.dataSource.query(
      'SELECT "topic", "partition", "offset", "fingerprint" FROM "_clusterlite_positions"',
    );
    for (const row of rows)
      this.positions.advance(
        row.topic,
        row.partition,
        BigInt(row.offset),
        row.fingerprint,
      );
  }

  /** Told by the transport: whether it is receiving the log now. */
  setConsuming(consuming: boolean): void {
    this.consumingSince = consuming
      ? (this.consumingSince ?? new Date())
      : null;
  }

  /** Since when the transport has been receiving the log; null when it is not. */
  get consuming(): Date | null {
    return this.consumingSince;
  }

  /** Ends the change feeds, so open server-sent-event responses do not hold the HTTP server open. */
  beforeApplicationShutdown(): void {
    this.appliedOutcomes.complete();
    this.setAside.complete();
  }

  /** Topics this node projects: one per registered table. */
  topics(): string[] {
    return this.registry
      .all()
      .map((definition) => this.config.topicFor(definition.table));
  }

  /** Offset of the next event to apply on a partition, or null when nothing was applied yet. */
  nextOffset(topic: string, partition: number): bigint | null {
    const applied = this.positions.get(topic, partition);
    return applied === null ? null : applied + 1n;
  }

  /** Resolves after `ms`, or as soon as a reader waits for a position of the partition. */
  lingerUnlessAwaited(
    topic: string,
    partition: number,
    ms: number,
  ): Promise<void> {
    return this.positions.lingerUnlessAwaited(topic, partition, ms);
  }

  /**
   * Applies messages of one partition, in order, in one transaction. Messages
   * at or below the stored position are skipped. A fault of the node's storage
   * (busy, full, I/O) is waited out, for as long as it lasts (StorageRetry):
   * it is never the events' fault. If the batch fails for another reason, it
   * is applied one message at a time, so that only the message that cannot be
   * applied is dead-lettered.
   */
  async applyBatch(
    topic: string,
    partition: number,
    messages: LogMessage[],
    options: RetryOptions = {},
  ): Promise<BatchResult> {
    const stopped = this.schemaVersions.stoppedAt(topic);
    if (stopped) {
      return {
        applied: 0,
        skipped: 0,
        outcomes: [],
        deadLetters: [],
        stopped: stopped.reason,
      };
    }
    const stream = `${topic}:${partition}`;
    const untilStored = <T>(work: () => Promise<T>) =>
      this.storage.run(stream, work, options);
    try {
      return await untilStored(() =>
        this.applyInTransaction(topic, partition, messages, null),
      );
    } catch (error) {
      if (isEnvironmentFault(error)) throw error;
      this.logger.warn(
        `Batch ${stream}@${messages[0]?.offset} failed (${String(error)}); applying its messages one at a time`,
      );
    }
    const total: BatchResult = {
      applied: 0,
      skipped: 0,
      outcomes: [],
      deadLetters: [],
    };
    for (const message of messages) {
      if (this.schemaVersions.stoppedAt(topic)) break;
      const result = await untilStored(() =>
        this.applyInTransaction(topic, partition, [message], null).catch(
          (error: unknown) => {
            if (isEnvironmentFault(error)) throw error;
            return this.applyInTransaction(
              topic,
              partition,
              [message],
              `apply failed: ${String(error)}`,
            );
          },
        ),
      );
      total.applied += result.applied;
      total.skipped += result.skipped;
      total.outcomes.push(...result.outcomes);
      total.deadLetters.push(...result.deadLetters);
      if (result.stopped) total.stopped = result.stopped;
    }
    return total;
  }

  private async applyInTransaction(
    topic: string,
    partition: number,
    messages: LogMessage[],
    deadLetterReason: string | null,
  ): Promise<BatchResult> {
    const result: BatchResult = {
      applied: 0,
      skipped: 0,
      outcomes: [],
      deadLetters: [],
    };
    let last: bigint | null = null;
    let fingerprint: string | null = null;
    let newer: { offset: string; item: DecodedMessage } | null = null;
    await this.writer.transaction(async (tx) => {
      last = this.positions.get(topic, partition);
      const fresh = messages.filter(
        (message) => last === null || BigInt(message.offset) > last,
      );
      result.skipped = messages.length - fresh.length;
      const decoded = fresh.map((message) =>
        this.decoder.decode(topic, message),
      );
      // Nothing from an event of a newer schema on: the topic stops there, its position stays.
      const stop = decoded.findIndex((item) => item.kind === 'newer-schema');
      newer =
        stop < 0 ? null : { offset: fresh[stop].offset, item: decoded[stop] };
      if (stop >= 0) {
        fresh.splice(stop);
        decoded.splice(stop);
      }
      const checksums = await RowChangeTracker.before(tx, decoded);
      // A producer retry can put one event on the log twice; only the first counts.
      const seen = await appliedEventIds(
        tx,
        decoded.flatMap((item) => (item.kind === 'event' ? [item.event] : [])),
      );
      const outcomes: OutcomeRow[] = [];
      const duplicates: { offset: string; event: ReplicationEvent }[] = [];
      for (let index = 0; index < fresh.length;) {
        const message = fresh[index];
        const item = decoded[index];
        if (deadLetterReason !== null || item.kind === 'undecodable') {
          const reason =
            deadLetterReason ?? (item as { reason: string }).reason;
          result.deadLetters.push(
            await this.outcomeStore.deadLetter(
              tx,
              topic,
              partition,
              message,
              reason,
            ),
          );
          index++;
          continue;
        }
        const run = this.rows.createRun(decoded, index, seen);
        const applied =
          run.length > 1
            ? await this.rows.applyCreates(
                tx,
                topic,
                partition,
                fresh.slice(index, index + run.length),
                run,
                checksums,
              )
            : null;
        for (const [offsetInRun, current] of (applied ?? []).entries()) {
          const { event, definition } = run[offsetInRun];
          seen.add(event.eventId);
          result.outcomes.push(current);
          outcomes.push({
            outcome: current,
            event,
            definition,
            topic,
            partition,
            offset: fresh[index + offsetInRun].offset,
          });
        }
        if (applied) {
          index += run.length;
          continue;
        }
        // One event at a time: the event here, or the whole run a multi-row insert could not take.
        for (const [offsetInRun, one] of (run.length > 1
          ? run
          : [item]
        ).entries()) {
          const offset = fresh[index + offsetInRun].offset;
          if (seen.has(one.event.eventId)) {
            duplicates.push({ offset, event: one.event });
            continue;
          }
          seen.add(one.event.eventId);
          const outcome = await this.rows.applyOne(
            tx,
            `${topic}:${partition}:${offset}`,
            one.event,
            one.definition,
            checksums,
          );
          result.outcomes.push(outcome);
          outcomes.push({
            outcome,
            event: one.event,
            definition: one.definition,
            topic,
            partition,
            offset,
          });
        }
        index += Math.max(run.length, 1);
      }
      result.applied = fresh.length;
      if (fresh.length > 0) {
        last = BigInt(fresh[fresh.length - 1].offset);
        fingerprint = messageFingerprint(fresh[fresh.length - 1].value);
      }
      await this.outcomeStore.recordOutcomes(tx, outcomes);
      await recordDuplicates(tx, topic, partition, duplicates, this.logger);
      await markRedriven(
        tx,
        outcomes.map((row) => row.event),
      );
      await checksums.after();
      if (last !== null && result.applied > 0) {
        await tx.execute(
          'INSERT INTO "_clusterlite_positions" ("topic", "partition", "offset", "fingerprint") VALUES (?, ?, ?, ?) ' +
            'ON CONFLICT ("topic", "partition") DO UPDATE SET "offset" = excluded."offset", "fingerprint" = excluded."fingerprint"',
          [topic, partition, last.toString(), fingerprint],
        );
      }
    });
    const stoppedAt = newer as { offset: string; item: DecodedMessage } | null;
    if (stoppedAt?.item.kind === 'newer-schema') {
      const { event, definition } = stoppedAt.item;
      result.stopped = this.schemaVersions.stop(
        topic,
        stoppedAt.offset,
        event,
        definition,
      ).reason;
    }
    const applied: bigint | null = last;
    if (applied !== null && result.applied > 0)
      this.positions.advance(topic, partition, applied, fingerprint);
    for (const outcome of result.outcomes) this.appliedOutcomes.next(outcome);
    for (const letter of result.deadLetters) {
      this.logger.error(
        `Dead-lettered ${letter.topic}:${letter.partition}:${letter.offset}: ${letter.reason}`,
      );
      this.setAside.next(letter);
    }
    return result;
  }
}
