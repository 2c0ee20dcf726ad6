import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import {
  SqliteReader,
  SqliteWriter,
  type SqliteTransaction,
} from '@clusterlite/core';
import { EntityRegistry, type EntityDefinition } from '@clusterlite/registry';
import { hash } from 'node:crypto';
import { inListPlaceholders, paddedInList } from './statement-shapes.js';

const MOD = 1n << 64n;
/** Ids per `IN (...)` read, well under SQLite's parameter limit. */
const ID_CHUNK = 512;
const TABLE = '"_clusterlite_table_checksums"';
/** Rows a full recomputation reads at a time. */
const RECOMPUTE_PAGE = 2_000;

/** A table's row count and checksum: the sum of its rows' 64-bit hashes, mod 2^64. */
export interface TableSum {
  rows: number;
  sum: bigint;
}

/**
 * The 64-bit hash of one row: the first 8 bytes of the SHA-256 of its canonical
 * JSON (the API's view of the row: every column, in the definition's order).
 */
export function rowHash(
  definition: EntityDefinition,
  record: Record<string, unknown>,
): bigint {
  // One-shot: no Hash object per row (a third less time per row than createHash on Node 24).
  return hash(
    'sha256',
    JSON.stringify(definition.toRow(record)),
    'buffer',
  ).readBigUInt64BE(0);
}

/** Hex of a sum, fixed width: what the status shows. */
export function checksumHex(sum: bigint): string {
  return (((sum % MOD) + MOD) % MOD).toString(16).padStart(16, '0');
}

/** What a table's checksum depends on besides its rows: its columns. */
export function layoutOf(definition: EntityDefinition): string {
  return JSON.stringify(
    definition.columns.map((column) => [column.name, column.type]),
  );
}

/** Reads the rows of `ids` in `definition`'s table as they are now: their hashes by id. */
async function hashesOf(
  tx: SqliteTransaction,
  definition: EntityDefinition,
  ids: string[],
): Promise<Map<string, bigint>> {
  const hashes = new Map<string, bigint>();
  for (let start = 0; start < ids.length; start += ID_CHUNK) {
    const chunk = ids.slice(start, start + ID_CHUNK);
    const records = await tx.rows<Record<string, unknown>>(
      `SELECT * FROM ${definition.quotedTable} WHERE "id" IN (${inListPlaceholders(chunk.length)})`,
      paddedInList(chunk),
    );
    for (const record of records)
      hashes.set(String(record.id), rowHash(definition, record));
  }
  return hashes;
}

/** Where the row writer tells what a statement left in a row: the row as stored, or null once deleted. */
export interface RowChanges {
  changed(
    definition: EntityDefinition,
    id: string,
    row: Record<string, unknown> | null,
  ): void;
}

/** A table's rows before the batch (only those a non-create names) and after each change. */
interface TouchedTable {
  /** Hashes of the rows read before the batch (those replaces, patches and deletes name), by id. */
  before: Map<string, bigint>;
  /** The last state each changed row was left in (null: deleted). */
  after: Map<string, Record<string, unknown> | null>;
}

/**
 * The change an apply transaction makes to each table's checksum. Before the batch it reads
 * the rows that replaces, patches and deletes name; every statement that changes a row hands
 * over the row as stored (RETURNING *, the same values a SELECT reads), so the rows after the
 * batch are never read again. A create that goes in found no row (a create of a row that is
 * there changes nothing), so a row only creates touched was absent before.
 */
export class RowChangeTracker implements RowChanges {
  private constructor(
    private readonly tx: SqliteTransaction,
    private readonly touched: Map<EntityDefinition, TouchedTable>,
  ) {}

  static async before(
    tx: SqliteTransaction,
    items: readonly (
      | {
          kind: 'event' | 'newer-schema';
          definition: EntityDefinition;
          event: { entityId: string; type: string };
        }
      | { kind: 'undecodable' }
    )[],
  ): Promise<RowChangeTracker> {
    const ids = new Map<EntityDefinition, Set<string>>();
    for (const item of items) {
      if (item.kind !== 'event' || item.event.type === 'created') continue;
      const set = ids.get(item.definition) ?? new Set<string>();
      set.add(item.event.entityId);
      ids.set(item.definition, set);
    }
    const touched = new Map<EntityDefinition, TouchedTable>();
    for (const [definition, set] of ids) {
      touched.set(definition, {
        before: await hashesOf(tx, definition, [...set]),
        after: new Map(),
      });
    }
    return new RowChangeTracker(tx, touched);
  }

  changed(
    definition: EntityDefinition,
    id: string,
    row: Record<string, unknown> | null,
  ): void {
    let table = this.touched.get(definition);
    if (!table) {
      table = { before: new Map(), after: new Map() };
      this.touched.set(definition, table);
    }
    table.after.set(id, row);
  }

  /** Adds each table's change (rows after minus rows before) to its stored checksum. */
  async after(): Promise<void> {
    for (const [definition, { before, after }] of this.touched) {
      let rows = 0;
      let sum = 0n;
      for (const [id, row] of after) {
        const old = before.get(id);
        if (old !== undefined) {
          rows--;
          sum -= old;
        }
        if (row !== null) {
          rows++;
          sum += rowHash(definition, row);
        }
      }
      if (rows === 0 && sum === 0n) continue;
      const [stored] = await this.tx.rows<{ rows: number; checksum: string }>(
        `SELECT "rows", "checksum" FROM ${TABLE} WHERE "tableName" = ?`,
        [definition.table],
      );
      const base = stored
        ? { rows: stored.rows, sum: BigInt(`0x${stored.checksum}`) }
        : { rows: 0, sum: 0n };
      await this.tx.execute(
        `INSERT INTO ${TABLE} ("tableName", "rows", "checksum", "layout") VALUES (?, ?, ?, ?) ` +
          'ON CONFLICT ("tableName") DO UPDATE SET "rows" = excluded."rows", "checksum" = excluded."checksum"',
        [
          definition.table,
          base.rows + rows,
          checksumHex(base.sum + sum),
          layoutOf(definition),
        ],
      );
    }
  }
}

export interface TableChecksum {
  table: string;
  rows: number;
  checksum: string;
}

/**
 * The per-table checksums kept in `_clusterlite_table_checksums`. At start a
 * table without one, or whose columns changed since, is summed once in full;
 * from then on the projection keeps them up to date (RowChangeTracker).
 */
@Injectable()
export class TableChecksums implements OnModuleInit {
  private readonly logger = new Logger(TableChecksums.name);

  constructor(
    private readonly writer: SqliteWriter,
    private readonly reader: SqliteReader,
    private readonly registry: EntityRegistry,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.writer.transaction(async (tx) => {
      const stored = new Map(
        (
          await tx.rows<{ tableName: string; layout: string }>(
            `SELECT "tableName", "layout" FROM ${TABLE}`,
          )
        ).map((row) => [row.tableName, row.layout]),
      );
      for (const definition of this.registry.all()) {
        if (stored.get(definition.table) === layoutOf(definition)) continue;
        const full = await this.recompute(
          (sql, parameters) => tx.rows(sql, parameters),
          definition,
        );
        await tx.execute(
          `INSERT INTO ${TABLE} ("tableName", "rows", "checksum", "layout") VALUES (?, ?, ?, ?) ` +
            'ON CONFLICT ("tableName") DO UPDATE SET "rows" = excluded."rows", "checksum" = excluded."checksum", "layout" = excluded."layout"',
          [
            definition.table,
            full.rows,
            checksumHex(full.sum),
            layoutOf(definition),
          ],
        );
        this.logger.log(
          `Checksum of ${definition.table} computed over ${full.rows} rows`,
        );
      }
    });
  }

  /** The stored checksums: one small read, whatever the size of the tables. */
  async current(): Promise<TableChecksum[]> {
    // Committed sums only (the read connection): never those of a batch in flight.
    const rows = await this.reader.read<{
      tableName: string;
      rows: number;
      checksum: string;
    }>(`SELECT "tableName", "rows", "checksum" FROM ${TABLE}`);
    const byTable = new Map(rows.map((row) => [row.tableName, row]));
    return this.registry.all().map((definition) => {
      const row = byTable.get(definition.table);
      return {
        table: definition.table,
        rows: row?.rows ?? 0,
        checksum: row?.checksum ?? checksumHex(0n),
      };
    });
  }

  /**
   * Sums every row of every table again and compares with the stored checksums,
   * all read in one read transaction (one committed state: the sums are committed with
   * their batch), in the SQLite worker thread a page at a time, so the projection and the
   * event loop go on meanwhile. Costs a full read of every table: for admins, on demand.
   */
  verify(): Promise<
    (TableChecksum & { recomputed: string; matches: boolean })[]
  > {
    return this.reader.snapshot(async (read) => {
      const stored = new Map(
        (
          await read<{ tableName: string; rows: number; checksum: string }>(
            `SELECT "tableName", "rows", "checksum" FROM ${TABLE}`,
          )
        ).map((row) => [row.tableName, row]),
      );
      const result = [];
      for (const definition of this.registry.all()) {
        const full = await this.recompute(read, definition);
        const kept = stored.get(definition.table);
        const recomputed = checksumHex(full.sum);
        result.push({
          table: definition.table,
          rows: kept?.rows ?? 0,
          checksum: kept?.checksum ?? checksumHex(0n),
          recomputed,
          matches: kept?.checksum === recomputed && kept.rows === full.rows,
        });
      }
      return result;
    });
  }

  /** Sums a whole table, a page of rows (in id order) at a time. */
  private async recompute(
    read: <R>(sql: string, parameters?: unknown[]) => Promise<R[]>,
    definition: EntityDefinition,
  ): Promise<TableSum> {
    const total: TableSum = { rows: 0, sum: 0n };
    let after: string | null = null;
    for (;;) {
      const records: Record<string, unknown>[] = await read(
        `SELECT * FROM ${definition.quotedTable}${after === null ? '' : ' WHERE "id" > ?'} ORDER BY "id" LIMIT ${RECOMPUTE_PAGE}`,
        after === null ? [] : [after],
      );
      for (const record of records) {
        total.rows++;
        total.sum += rowHash(definition, record);
      }
      if (records.length < RECOMPUTE_PAGE) return total;
      after = String(records[records.length - 1].id);
    }
  }
}
