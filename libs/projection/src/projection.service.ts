import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import {
  NodeConfig,
  SqliteWriter,
  UndecodableEventError,
  decodeEvent,
  isEnvironmentFault,
  type EventOutcome,
  type RejectionCode,
  type ReplicationEvent,
  type SqliteTransaction,
} from '@clusterlite/core';
import {
  LogConsumer,
  type DeadLetter,
  type LogMessage,
} from '@clusterlite/event-log';
import { EntityRegistry, type EntityDefinition } from '@clusterlite/registry';
import { Subject } from 'rxjs';
import { DataSource } from 'typeorm';
import { AppliedPositions } from './applied-positions.js';
import { appliedEventIds, recordDuplicates } from './duplicate-events.js';
import { StorageRetry, type RetryOptions } from './storage-retry.js';
import { messageFingerprint } from './log-gaps.js';
import { RowChangeTracker } from './table-checksums.js';
import { markRedriven } from './dead-letter-redrives.js';
import { SchemaVersionGate } from './schema-versions.js';

export interface BatchResult {
  applied: number;
  skipped: number;
  outcomes: EventOutcome[];
  deadLetters: DeadLetter[];
  /** Set when the topic is stopped at an event of a newer schema (schema-versions.ts). */
  stopped?: string;
}

type DecodedMessage =
  | {
      kind: 'event' | 'newer-schema';
      event: ReplicationEvent;
      definition: EntityDefinition;
    }
  | { kind: 'undecodable'; reason: string };

interface OutcomeRow {
  outcome: EventOutcome;
  event: ReplicationEvent;
  definition: EntityDefinition;
  topic: string;
  partition: number;
  offset: string;
}

/** A version one above the row's tombstone, if it had one: versions continue across a delete and re-create. */
const NEXT_VERSION =
  'COALESCE((SELECT "version" FROM "_clusterlite_tombstones" WHERE "tableName" = ? AND "entityId" = ?), 0) + 1';

/** Rows per multi-row statement: 14 columns × 500 stays far below SQLite's 32,766 bound parameters. */
const SQL_CHUNK = 500;
/** Bound parameters per statement, well under SQLite's limit of 32,766. */
const MAX_PARAMETERS = 16_000;

/** The projection refused the event; recorded as its outcome, the same on every node. */
class Rejection {
  constructor(
    readonly code: RejectionCode,
    readonly reason: string,
  ) {}

  /** A create of a row that is there: decided the same whether the create came alone or in a run. */
  static alreadyExists(id: string): Rejection {
    return new Rejection('already-exists', `Row "${id}" already exists`);
  }
}

/** The outcome of an event at `position`: applied (with the row's new version) or rejected. */
function outcomeFor(
  event: ReplicationEvent,
  position: string,
  version: number | null,
  rejection: Rejection | null,
): EventOutcome {
  return {
    eventId: event.eventId,
    table: event.table,
    entityId: event.entityId,
    type: event.type,
    status: rejection ? 'rejected' : 'applied',
    rejection: rejection?.code ?? null,
    reason: rejection?.reason ?? null,
    version: rejection ? null : version,
    position,
  };
}

/**
 * Applies events to this node's SQLite tables. A batch of events and the
 * node's new log position are written in one transaction (invariant 3), so a
 * crash, a restart or a redelivery never applies an event twice or skips one.
 * Every value written comes from the event (invariant 4); an event the table
 * cannot take is rejected and its outcome recorded (invariant 6).
 */
@Injectable()
export class ProjectionService
  implements LogConsumer, OnModuleInit, BeforeApplicationShutdown
{
  private readonly logger = new Logger(ProjectionService.name);
  private readonly appliedOutcomes = new Subject<EventOutcome>();
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
  ) {}

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
      const decoded = fresh.map((message) => this.decode(topic, message));
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
            await this.deadLetter(tx, topic, partition, message, reason),
          );
          index++;
          continue;
        }
        const run = this.createRun(decoded, index, seen);
        const applied =
          run.length > 1
            ? await this.applyCreates(
                tx,
                topic,
                partition,
                fresh.slice(index, index + run.length),
                run,
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
          const outcome = await this.applyOne(
            tx,
            `${topic}:${partition}:${offset}`,
            one.event,
            one.definition,
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
      await this.recordOutcomes(tx, outcomes);
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

  /**
   * The consecutive creates of one table starting at `start` that are not
   * duplicates: they can go into the table with one multi-row statement.
   */
  private createRun(
    decoded: DecodedMessage[],
    start: number,
    seen: Set<string>,
  ): { event: ReplicationEvent; definition: EntityDefinition }[] {
    const run: { event: ReplicationEvent; definition: EntityDefinition }[] = [];
    const first = decoded[start];
    if (first.kind !== 'event') return run;
    const limit = Math.floor(
      MAX_PARAMETERS / (first.definition.fields.length + 5),
    );
    const ids = new Set<string>();
    const eventIds = new Set<string>();
    for (
      let index = start;
      index < decoded.length && run.length < limit;
      index++
    ) {
      const item = decoded[index];
      if (
        item.kind !== 'event' ||
        item.event.type !== 'created' ||
        item.definition !== first.definition
      )
        break;
      if (
        seen.has(item.event.eventId) ||
        ids.has(item.event.entityId) ||
        eventIds.has(item.event.eventId)
      )
        break;
      ids.add(item.event.entityId);
      eventIds.add(item.event.eventId);
      run.push(item);
    }
    return run;
  }

  /**
   * Inserts a run of creates with one statement. The rows whose id already
   * existed are rejected, as one by one. If the statement breaks another
   * constraint (a unique field), SQLite undoes the whole statement and the
   * run is applied one event at a time instead, so every node reaches the
   * same outcomes whatever its batch boundaries.
   */
  private async applyCreates(
    tx: SqliteTransaction,
    topic: string,
    partition: number,
    messages: LogMessage[],
    run: { event: ReplicationEvent; definition: EntityDefinition }[],
  ): Promise<EventOutcome[] | null> {
    const definition = run[0].definition;
    const fields = definition.fields;
    const row = `(?, ${fields.map(() => '?').join(', ')}, ${NEXT_VERSION}, ?, ?)`;
    let inserted: { id: string; version: number }[];
    try {
      inserted = await tx.rows<{ id: string; version: number }>(
        `INSERT INTO ${definition.quotedTable} ("id", ${fields.map((f) => f.column).join(', ')}, "version", "createdAt", "updatedAt") ` +
          `VALUES ${run.map(() => row).join(', ')} ON CONFLICT ("id") DO NOTHING RETURNING "id", "version"`,
        run.flatMap(({ event }) => [
          event.entityId,
          ...fields.map((f) => f.toColumn(event.data?.[f.name])),
          definition.table,
          event.entityId,
          event.occurredAt,
          event.occurredAt,
        ]),
      );
    } catch (error) {
      if (isConstraintError(error)) return null;
      throw error;
    }
    const created = new Map(inserted.map((entry) => [entry.id, entry.version]));
    return run.map(({ event }, index) =>
      outcomeFor(
        event,
        `${topic}:${partition}:${messages[index].offset}`,
        created.get(event.entityId) ?? null,
        created.has(event.entityId)
          ? null
          : Rejection.alreadyExists(event.entityId),
      ),
    );
  }

  /** Parses a message and checks it against the registry; an event this node cannot apply anywhere is undecodable. */
  private decode(topic: string, message: LogMessage): DecodedMessage {
    try {
      const event = decodeEvent(message.value);
      const definition = this.registry.resolve(event.table);
      if (!definition)
        throw new UndecodableEventError(`unknown table "${event.table}"`);
      if (this.config.topicFor(definition.table) !== topic) {
        throw new UndecodableEventError(
          `event of table "${event.table}" on topic ${topic}`,
        );
      }
      if (!this.schemaVersions.canApply(event, definition))
        return { kind: 'newer-schema', event, definition };
      const problem = definition.problemWithData(event.type, event.data);
      if (problem) throw new UndecodableEventError(problem);
      return { kind: 'event', event, definition };
    } catch (error) {
      if (!(error instanceof UndecodableEventError)) throw error;
      return { kind: 'undecodable', reason: error.message };
    }
  }

  /** Applies one event's row change; a refusal becomes the outcome, the same on every node. */
  private async applyOne(
    tx: SqliteTransaction,
    position: string,
    event: ReplicationEvent,
    definition: EntityDefinition,
  ): Promise<EventOutcome> {
    let version: number | null;
    let rejection: Rejection | null = null;
    try {
      version = await this.applyEvent(tx, definition, event);
    } catch (error) {
      if (error instanceof Rejection) rejection = error;
      else if (isConstraintError(error))
        rejection = new Rejection(
          'constraint-violation',
          constraintReason(error),
        );
      else throw error;
      version = null;
    }
    return outcomeFor(event, position, version, rejection);
  }

  /** Records the outcomes (and first uses of idempotency keys) of a batch in a few multi-row inserts. */
  private async recordOutcomes(
    tx: SqliteTransaction,
    rows: OutcomeRow[],
  ): Promise<void> {
    for (let start = 0; start < rows.length; start += SQL_CHUNK) {
      const chunk = rows.slice(start, start + SQL_CHUNK);
      await tx.execute(
        'INSERT INTO "_clusterlite_outcomes" ("eventId", "topic", "partition", "offset", "tableName", "entityId", "type", "status", "rejection", "reason", "version", "occurredAt", "origin", "data") ' +
          `VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
        chunk.flatMap(
          ({ outcome, event, definition, topic, partition, offset }) => [
            event.eventId,
            topic,
            partition,
            offset,
            event.table,
            event.entityId,
            event.type,
            outcome.status,
            outcome.rejection,
            outcome.reason,
            outcome.version,
            event.occurredAt,
            event.origin,
            definition.keepsHistory && event.data !== null
              ? JSON.stringify(event.data)
              : null,
          ],
        ),
      );
    }
    const keyed = rows.filter((row) => row.event.idempotency);
    for (let start = 0; start < keyed.length; start += SQL_CHUNK) {
      const chunk = keyed.slice(start, start + SQL_CHUNK);
      await tx.execute(
        'INSERT INTO "_clusterlite_idempotency" ("key", "fingerprint", "eventId", "tableName", "entityId", "position") ' +
          `VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')} ON CONFLICT ("tableName", "key") DO NOTHING`,
        chunk.flatMap(({ event, outcome }) => [
          event.idempotency!.key,
          event.idempotency!.fingerprint,
          event.eventId,
          event.table,
          event.entityId,
          outcome.position,
        ]),
      );
    }
  }

  /** Writes the row change of one event; returns the row's new version (null when deleted). */
  private async applyEvent(
    tx: SqliteTransaction,
    definition: EntityDefinition,
    event: ReplicationEvent,
  ): Promise<number | null> {
    const table = definition.quotedTable;
    const id = event.entityId;
    const expected = event.expectedVersion;
    const data = event.data ?? {};
    switch (event.type) {
      case 'created': {
        const fields = definition.fields;
        const rows = await tx.rows<{ version: number }>(
          `INSERT INTO ${table} ("id", ${fields.map((f) => f.column).join(', ')}, "version", "createdAt", "updatedAt") ` +
            `VALUES (?, ${fields.map(() => '?').join(', ')}, ${NEXT_VERSION}, ?, ?) ON CONFLICT ("id") DO NOTHING RETURNING "version"`,
          [
            id,
            ...fields.map((f) => f.toColumn(data[f.name])),
            definition.table,
            id,
            event.occurredAt,
            event.occurredAt,
          ],
        );
        if (rows.length === 0) throw Rejection.alreadyExists(id);
        return rows[0].version;
      }
      case 'replaced': {
        const fields = definition.fields;
        const values = fields.map((f) => f.toColumn(data[f.name]));
        if (expected === null) {
          const rows = await tx.rows<{ version: number }>(
            `INSERT INTO ${table} ("id", ${fields.map((f) => f.column).join(', ')}, "version", "createdAt", "updatedAt") ` +
              `VALUES (?, ${fields.map(() => '?').join(', ')}, ${NEXT_VERSION}, ?, ?) ON CONFLICT ("id") DO UPDATE SET ` +
              `${fields.map((f) => `${f.column} = excluded.${f.column}`).join(', ')}, "version" = "version" + 1, "updatedAt" = excluded."updatedAt" ` +
              'RETURNING "version"',
            [
              id,
              ...values,
              definition.table,
              id,
              event.occurredAt,
              event.occurredAt,
            ],
          );
          return rows[0].version;
        }
        return this.updateRow(
          tx,
          definition,
          id,
          fields.map((f) => f.column),
          values,
          event,
        );
      }
      case 'patched': {
        const fields = definition.fields.filter(
          (f) => data[f.name] !== undefined,
        );
        return this.updateRow(
          tx,
          definition,
          id,
          fields.map((f) => f.column),
          fields.map((f) => f.toColumn(data[f.name])),
          event,
        );
      }
      case 'deleted': {
        const deleted = await tx.rows<{ version: number }>(
          `DELETE FROM ${table} WHERE "id" = ?${expected === null ? '' : ' AND "version" = ?'} RETURNING "version"`,
          expected === null ? [id] : [id, expected],
        );
        if (deleted.length === 0 && expected !== null) {
          throw await this.preconditionFailure(tx, definition, id, expected);
        }
        if (deleted.length > 0) {
          await tx.execute(
            'INSERT INTO "_clusterlite_tombstones" ("tableName", "entityId", "version") VALUES (?, ?, ?) ' +
              'ON CONFLICT ("tableName", "entityId") DO UPDATE SET "version" = excluded."version"',
            [definition.table, id, deleted[0].version],
          );
        }
        return null;
      }
    }
  }

  private async updateRow(
    tx: SqliteTransaction,
    definition: EntityDefinition,
    id: string,
    columns: string[],
    values: unknown[],
    event: ReplicationEvent,
  ): Promise<number> {
    const expected = event.expectedVersion;
    const assignments = [
      ...columns.map((column) => `${column} = ?`),
      '"version" = "version" + 1',
      '"updatedAt" = ?',
    ];
    const rows = await tx.rows<{ version: number }>(
      `UPDATE ${definition.quotedTable} SET ${assignments.join(', ')} WHERE "id" = ?` +
        `${expected === null ? '' : ' AND "version" = ?'} RETURNING "version"`,
      [
        ...values,
        event.occurredAt,
        id,
        ...(expected === null ? [] : [expected]),
      ],
    );
    if (rows.length > 0) return rows[0].version;
    if (expected === null)
      throw new Rejection(
        'not-found',
        `Row "${id}" of "${definition.table}" does not exist`,
      );
    throw await this.preconditionFailure(tx, definition, id, expected);
  }

  private async preconditionFailure(
    tx: SqliteTransaction,
    definition: EntityDefinition,
    id: string,
    expected: number,
  ): Promise<Rejection> {
    const [current] = await tx.rows<{ version: number }>(
      `SELECT "version" FROM ${definition.quotedTable} WHERE "id" = ?`,
      [id],
    );
    return new Rejection(
      'version-mismatch',
      current
        ? `If-Match expected version ${expected} but row "${id}" is at version ${current.version}`
        : `If-Match expected version ${expected} but row "${id}" does not exist`,
    );
  }

  private async deadLetter(
    tx: SqliteTransaction,
    topic: string,
    partition: number,
    message: LogMessage,
    reason: string,
  ): Promise<DeadLetter> {
    const payload =
      message.value === null
        ? null
        : Buffer.from(message.value).toString('base64');
    await tx.execute(
      'INSERT INTO "_clusterlite_dead_letters" ("topic", "partition", "offset", "reason", "payload") VALUES (?, ?, ?, ?, ?) ' +
        'ON CONFLICT DO NOTHING',
      [topic, partition, message.offset, reason, payload],
    );
    return {
      topic,
      partition,
      offset: message.offset,
      reason,
      value: message.value,
    };
  }
}

function isConstraintError(error: unknown): error is Error & { code: string } {
  return (
    error instanceof Error &&
    (error as { code?: string }).code === 'SQLITE_CONSTRAINT'
  );
}

function constraintReason(error: Error): string {
  return error.message.replace(/^SQLITE_CONSTRAINT: /, '');
}
