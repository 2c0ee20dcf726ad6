import {
  type EventOutcome,
  type RejectionCode,
  type ReplicationEvent,
  type SqliteTransaction,
} from '@clusterlite/core';
import type { LogMessage } from '@clusterlite/event-log';
import type { EntityDefinition } from '@clusterlite/registry';
import type { DecodedMessage } from './event-decoder.js';
import type { RowChanges } from './table-checksums.js';
import {
  inListPlaceholders,
  largestPowerOfTwo,
  paddedInList,
} from './statement-shapes.js';

/** A version one above the row's tombstone, if it had one: versions continue across a delete and re-create. */
const NEXT_VERSION =
  'COALESCE((SELECT "version" FROM "_clusterlite_tombstones" WHERE "tableName" = ? AND "entityId" = ?), 0) + 1';

/**
 * The versions the rows of `ids` had when last deleted (their tombstones), for those that have
 * one. A run of creates binds its versions from here rather than repeating NEXT_VERSION per
 * row: SQLite's cost per row of a multi-row VALUES grows with the number of subqueries in it
 * (measured on node:sqlite, 200,000 rows: 5.2 µs a row in runs of 128, 17.7 in runs of 1,024,
 * 30 in runs of 2,048; this lookup and bound versions: 3.2-3.5 at every length).
 */
async function tombstoneVersions(
  tx: SqliteTransaction,
  table: string,
  ids: string[],
): Promise<Map<string, number>> {
  const rows = await tx.rows<{ entityId: string; version: number }>(
    'SELECT "entityId", "version" FROM "_clusterlite_tombstones" ' +
      `WHERE "tableName" = ? AND "entityId" IN (${inListPlaceholders(ids.length)})`,
    [table, ...paddedInList(ids)],
  );
  return new Map(rows.map((row) => [row.entityId, row.version]));
}

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

/** An outcome as the projection emits it once its batch is committed. */
export interface LiveOutcome extends EventOutcome {
  /**
   * The row as stored right after this event (its `RETURNING *`), null when deleted or
   * rejected: a change feed sends it as it was then, whatever later events did. Not stored.
   */
  row: Record<string, unknown> | null;
}

/** The outcome of an event at `position`: applied (with the row it left) or rejected. */
function outcomeFor(
  event: ReplicationEvent,
  position: string,
  row: StoredRow | null,
  rejection: Rejection | null,
): LiveOutcome {
  const version = rejection || !row ? null : row.version;
  return {
    eventId: event.eventId,
    table: event.table,
    entityId: event.entityId,
    type: event.type,
    status: rejection ? 'rejected' : 'applied',
    rejection: rejection?.code ?? null,
    reason: rejection?.reason ?? null,
    version,
    position,
    row: rejection ? null : row,
  };
}

/** An event to apply with the definition of its table. */
export interface DecodedEvent {
  event: ReplicationEvent;
  definition: EntityDefinition;
}

/**
 * Writes the row changes of events to the entity tables: creates (one at a
 * time or as a multi-row run), replaces, patches and deletes, with versions
 * that continue across a delete and re-create (tombstones) and If-Match
 * preconditions. A change the table cannot take becomes a rejected outcome,
 * the same on every node.
 */
export class RowWriter {
  /**
   * The consecutive creates of one table starting at `start` that are not
   * duplicates: they can go into the table with one multi-row statement.
   */
  createRun(
    decoded: DecodedMessage[],
    start: number,
    seen: Set<string>,
  ): DecodedEvent[] {
    const run: DecodedEvent[] = [];
    const first = decoded[start];
    if (first.kind !== 'event') return run;
    const limit = Math.floor(
      MAX_PARAMETERS / (first.definition.fields.length + 4),
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
    // A power of two: the multi-row statements of a few lengths only, each prepared once.
    run.length = largestPowerOfTwo(run.length);
    return run;
  }

  /**
   * Inserts a run of creates with one statement. The rows whose id already
   * existed are rejected, as one by one. If the statement breaks another
   * constraint (a unique field), SQLite undoes the whole statement and the
   * run is applied one event at a time instead, so every node reaches the
   * same outcomes whatever its batch boundaries.
   */
  async applyCreates(
    tx: SqliteTransaction,
    topic: string,
    partition: number,
    messages: LogMessage[],
    run: DecodedEvent[],
    changes: RowChanges,
  ): Promise<LiveOutcome[] | null> {
    const definition = run[0].definition;
    const fields = definition.fields;
    const deletedVersions = await tombstoneVersions(
      tx,
      definition.table,
      run.map(({ event }) => event.entityId),
    );
    const row = `(?, ${fields.map(() => '?').join(', ')}, ?, ?, ?)`;
    let inserted: StoredRow[];
    try {
      inserted = await tx.rows<StoredRow>(
        `INSERT INTO ${definition.quotedTable} ("id", ${fields.map((f) => f.column).join(', ')}, "version", "createdAt", "updatedAt") ` +
          `VALUES ${run.map(() => row).join(', ')} ON CONFLICT ("id") DO NOTHING RETURNING *`,
        run.flatMap(({ event }) => [
          event.entityId,
          ...fields.map((f) => f.toColumn(event.data?.[f.name])),
          (deletedVersions.get(event.entityId) ?? 0) + 1,
          event.occurredAt,
          event.occurredAt,
        ]),
      );
    } catch (error) {
      if (isConstraintError(error)) return null;
      throw error;
    }
    const created = new Map<string, StoredRow>();
    for (const row of inserted) {
      created.set(row.id, row);
      changes.changed(definition, row.id, row);
    }
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

  /** Applies one event's row change; a refusal becomes the outcome, the same on every node. */
  async applyOne(
    tx: SqliteTransaction,
    position: string,
    event: ReplicationEvent,
    definition: EntityDefinition,
    changes: RowChanges,
  ): Promise<LiveOutcome> {
    let row: StoredRow | null = null;
    let rejection: Rejection | null = null;
    try {
      row = await this.applyEvent(tx, definition, event);
      changes.changed(definition, event.entityId, row);
    } catch (error) {
      if (error instanceof Rejection) rejection = error;
      else if (isConstraintError(error))
        rejection = new Rejection(
          'constraint-violation',
          constraintReason(error),
        );
      else throw error;
    }
    return outcomeFor(event, position, row, rejection);
  }

  /** Writes the row change of one event; returns the row as stored (null when deleted). */
  private async applyEvent(
    tx: SqliteTransaction,
    definition: EntityDefinition,
    event: ReplicationEvent,
  ): Promise<StoredRow | null> {
    const table = definition.quotedTable;
    const id = event.entityId;
    const expected = event.expectedVersion;
    const data = event.data ?? {};
    switch (event.type) {
      case 'created': {
        const fields = definition.fields;
        const rows = await tx.rows<StoredRow>(
          `INSERT INTO ${table} ("id", ${fields.map((f) => f.column).join(', ')}, "version", "createdAt", "updatedAt") ` +
            `VALUES (?, ${fields.map(() => '?').join(', ')}, ${NEXT_VERSION}, ?, ?) ON CONFLICT ("id") DO NOTHING RETURNING *`,
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
        return rows[0];
      }
      case 'replaced': {
        const fields = definition.fields;
        const values = fields.map((f) => f.toColumn(data[f.name]));
        if (expected === null) {
          const rows = await tx.rows<StoredRow>(
            `INSERT INTO ${table} ("id", ${fields.map((f) => f.column).join(', ')}, "version", "createdAt", "updatedAt") ` +
              `VALUES (?, ${fields.map(() => '?').join(', ')}, ${NEXT_VERSION}, ?, ?) ON CONFLICT ("id") DO UPDATE SET ` +
              `${fields.map((f) => `${f.column} = excluded.${f.column}`).join(', ')}, "version" = "version" + 1, "updatedAt" = excluded."updatedAt" ` +
              'RETURNING *',
            [
              id,
              ...values,
              definition.table,
              id,
              event.occurredAt,
              event.occurredAt,
            ],
          );
          return rows[0];
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
  ): Promise<StoredRow> {
    const expected = event.expectedVersion;
    const assignments = [
      ...columns.map((column) => `${column} = ?`),
      '"version" = "version" + 1',
      '"updatedAt" = ?',
    ];
    const rows = await tx.rows<StoredRow>(
      `UPDATE ${definition.quotedTable} SET ${assignments.join(', ')} WHERE "id" = ?` +
        `${expected === null ? '' : ' AND "version" = ?'} RETURNING *`,
      [
        ...values,
        event.occurredAt,
        id,
        ...(expected === null ? [] : [expected]),
      ],
    );
    if (rows.length > 0) return rows[0];
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
}

/** A row as SQLite stored it (RETURNING *): what the table checksum hashes. */
type StoredRow = Record<string, unknown> & { id: string; version: number };

function isConstraintError(error: unknown): error is Error & { code: string } {
  return (
    error instanceof Error &&
    (error as { code?: string }).code === 'SQLITE_CONSTRAINT'
  );
}

function constraintReason(error: Error): string {
  return error.message.replace(/^SQLITE_CONSTRAINT: /, '');
}
