import { createHash } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';

/*
 * Snapshot files: consistent copies of a node's SQLite file that carry the checksums of their
 * own tables. This module imports nothing relative and uses only erasable TypeScript, so
 * `scripts/backup.mjs` runs it directly with Node's type stripping: one implementation of
 * "make", "verify" and "download" for the node and for operators.
 */

/** The table, inside a snapshot file, holding the checksum of every other table in it. */
export const SNAPSHOT_CHECKSUMS_TABLE = '_clusterlite_snapshot_checksums';
const POSITIONS_TABLE = '_clusterlite_positions';

export const SNAPSHOT_CONTENT_TYPE = 'application/vnd.sqlite3';
export const SNAPSHOT_POSITIONS_HEADER = 'ClusterLite-Snapshot-Positions';
export const SNAPSHOT_CHECKSUMS_HEADER = 'ClusterLite-Snapshot-Checksums';

export interface SnapshotTableChecksum {
  table: string;
  rows: number;
  /** SHA-256 of every row (all columns, SQL-quoted), in primary-key order. */
  checksum: string;
}

/** What a snapshot covers: the rows of `_clusterlite_positions` (every column) and its tables' checksums. */
export interface SnapshotContents {
  positions: Record<string, unknown>[];
  checksums: SnapshotTableChecksum[];
}

/** A snapshot file that is not whole, or a download that did not give one. */
export class InvalidSnapshotError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSnapshotError';
  }
}

/** A SQLite connection as the snapshot code uses one. */
export interface SnapshotConnection {
  run(sql: string, parameters?: readonly unknown[]): Promise<unknown>;
  all<T>(sql: string, parameters?: readonly unknown[]): Promise<T[]>;
  /** Calls `onRow` with each row as SQLite steps to it. */
  each<T>(
    sql: string,
    parameters: readonly unknown[],
    onRow: (row: T) => void,
  ): Promise<void>;
  close(): Promise<void>;
}

/** Opens a SQLite file for the snapshot code, read-only or read-write. */
export type OpenSnapshotConnection = (
  path: string,
  readOnly: boolean,
) => Promise<SnapshotConnection>;

/**
 * A `node:sqlite` connection on the calling thread, for a tool (`npm run backup`) or a node
 * that is not serving yet (bootstrap). A serving node opens its snapshot connections in its
 * SQLite worker thread instead (`SqliteReader.openInWorker`): a checksum reads whole tables.
 */
export const openOnThisThread: OpenSnapshotConnection = (path, readOnly) => {
  // Taken from the process, not imported: the build's bundler does not know `node:sqlite` yet.
  const { DatabaseSync } = process.getBuiltinModule('node:sqlite');
  const database = new DatabaseSync(path, { readOnly });
  const statement = (sql: string) => database.prepare(sql);
  const bound = (parameters: readonly unknown[] = []) => parameters as never[];
  return Promise.resolve({
    run: async (sql, parameters) => statement(sql).run(...bound(parameters)),
    all: async <T>(sql: string, parameters?: readonly unknown[]) =>
      statement(sql).all(...bound(parameters)) as T[],
    each: async <T>(
      sql: string,
      parameters: readonly unknown[],
      onRow: (row: T) => void,
    ) => {
      for (const row of statement(sql).iterate(...bound(parameters)))
        onRow(row as T);
    },
    close: async () => database.close(),
  });
};

/** Names read from the file's own schema, never from a request. */
function quoted(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

async function withDatabase<T>(
  open: OpenSnapshotConnection,
  path: string,
  readOnly: boolean,
  work: (database: SnapshotConnection) => Promise<T>,
): Promise<T> {
  const database = await open(path, readOnly);
  try {
    return await work(database);
  } finally {
    await database.close();
  }
}

/** Rows hashed per chunk: SQLite joins them into one string, so JavaScript sees one row per chunk. */
const CHECKSUM_CHUNK_ROWS = 2_000;

/**
 * Checksums of every table in the file but the checksum table itself, each over its rows in
 * primary-key order (VACUUM may renumber rowids, so never rowid order), every value as SQL's
 * `quote()` prints it. SQLite renders and joins the rows on its own thread, a chunk at a time:
 * the event loop, which applies events meanwhile, only hashes strings.
 */
async function tableChecksums(
  database: SnapshotConnection,
): Promise<SnapshotTableChecksum[]> {
  const tables = await database.all<{ name: string }>(
    "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> ? ORDER BY name",
    [SNAPSHOT_CHECKSUMS_TABLE],
  );
  const result: SnapshotTableChecksum[] = [];
  for (const { name } of tables) {
    const columns = await database.all<{ name: string; pk: number }>(
      `PRAGMA table_info(${quoted(name)})`,
    );
    const keys = columns.filter((column) => column.pk > 0);
    const order = (keys.length > 0 ? keys.sort((a, b) => a.pk - b.pk) : columns)
      .map((column) => quoted(column.name))
      .join(', ');
    const row = columns
      .map((column) => `quote(${quoted(column.name)})`)
      .join(" || ',' || ");
    const hash = createHash('sha256');
    let count = 0;
    await database.each<{ chunk: string; rows: number }>(
      `SELECT group_concat("row", char(10) ORDER BY "n") AS "chunk", count(*) AS "rows" ` +
        `FROM (SELECT ${row} AS "row", row_number() OVER (ORDER BY ${order}) AS "n" FROM ${quoted(name)}) ` +
        `GROUP BY ("n" - 1) / ${CHECKSUM_CHUNK_ROWS} ORDER BY ("n" - 1) / ${CHECKSUM_CHUNK_ROWS}`,
      [],
      (chunk) => {
        count += chunk.rows;
        hash.update(chunk.chunk).update('\n');
      },
    );
    result.push({ table: name, rows: count, checksum: hash.digest('hex') });
  }
  return result;
}

async function positionsIn(
  database: SnapshotConnection,
): Promise<Record<string, unknown>[]> {
  return database.all(
    `SELECT * FROM ${quoted(POSITIONS_TABLE)} ORDER BY "topic", "partition"`,
  );
}

/**
 * Writes a consistent copy of the SQLite file at `sourcePath` to `targetPath` (which must not
 * exist) with `VACUUM INTO` on a read-only connection of its own: in WAL mode that is one read
 * transaction, so the node's writer goes on applying events meanwhile. Then records the
 * checksum of every table inside the copy.
 */
export async function writeSnapshot(
  sourcePath: string,
  targetPath: string,
  open: OpenSnapshotConnection = openOnThisThread,
): Promise<SnapshotContents> {
  await withDatabase(open, sourcePath, true, (source) =>
    source.run('VACUUM INTO ?', [targetPath]),
  );
  return withDatabase(open, targetPath, false, async (snapshot) => {
    // A node installed from a snapshot still holds the checksums of that one.
    await snapshot.run(
      `DROP TABLE IF EXISTS ${quoted(SNAPSHOT_CHECKSUMS_TABLE)}`,
    );
    const checksums = await tableChecksums(snapshot);
    await snapshot.run(
      `CREATE TABLE ${quoted(SNAPSHOT_CHECKSUMS_TABLE)} ("table" TEXT PRIMARY KEY, "rows" INTEGER NOT NULL, "checksum" TEXT NOT NULL)`,
    );
    for (const entry of checksums)
      await snapshot.run(
        `INSERT INTO ${quoted(SNAPSHOT_CHECKSUMS_TABLE)} ("table", "rows", "checksum") VALUES (?, ?, ?)`,
        [entry.table, entry.rows, entry.checksum],
      );
    return { positions: await positionsIn(snapshot), checksums };
  });
}

/**
 * Checks a snapshot file without changing it: SQLite's integrity check passes, it holds the
 * node's positions, and every table matches the checksum the snapshot carries.
 */
export async function verifySnapshot(
  path: string,
  open: OpenSnapshotConnection = openOnThisThread,
): Promise<SnapshotContents> {
  return withDatabase(open, path, true, async (snapshot) => {
    const integrity = await snapshot
      .all<{ integrity_check: string }>('PRAGMA integrity_check')
      .catch((error: unknown) => {
        throw new InvalidSnapshotError(
          `${path} is not a SQLite database: ${String(error)}`,
        );
      });
    const problems = integrity.map((row) => row.integrity_check);
    if (problems.join() !== 'ok')
      throw new InvalidSnapshotError(
        `${path} failed PRAGMA integrity_check: ${problems.slice(0, 5).join('; ')}`,
      );
    const carried = await snapshot
      .all<SnapshotTableChecksum>(
        `SELECT "table", "rows", "checksum" FROM ${quoted(SNAPSHOT_CHECKSUMS_TABLE)} ORDER BY "table"`,
      )
      .catch(() => {
        throw new InvalidSnapshotError(
          `${path} is not a ClusterLite snapshot (no ${SNAPSHOT_CHECKSUMS_TABLE} table)`,
        );
      });
    const actual = await tableChecksums(snapshot);
    const expected = new Map(carried.map((entry) => [entry.table, entry]));
    const mismatches = actual
      .filter((entry) => {
        const wanted = expected.get(entry.table);
        return (
          wanted?.checksum !== entry.checksum || wanted.rows !== entry.rows
        );
      })
      .map((entry) => entry.table);
    if (mismatches.length > 0 || carried.length !== actual.length)
      throw new InvalidSnapshotError(
        `${path} does not match the checksums it carries (tables: ${mismatches.join(', ') || 'missing ones'})`,
      );
    if (!actual.some((entry) => entry.table === POSITIONS_TABLE))
      throw new InvalidSnapshotError(
        `${path} holds no ${POSITIONS_TABLE} table`,
      );
    return { positions: await positionsIn(snapshot), checksums: actual };
  });
}

async function fsync(path: string, flags: string): Promise<void> {
  const handle = await open(path, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The snapshot URL of a node or load balancer given by its base URL (or the full URL). */
export function snapshotUrl(from: string): URL {
  const url = new URL(from);
  if (!url.pathname.endsWith('/_cluster/snapshot'))
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/_cluster/snapshot`;
  return url;
}

/**
 * Downloads a snapshot from a node (or nginx) to `<targetPath>.download`, flushes it to disk,
 * verifies it, lets `accept` refuse it (by throwing), and only then renames it to
 * `targetPath`: a process killed on the way leaves at most the `.download` file, never a half
 * file at `targetPath`. Any SQLite `-wal`/`-shm` files left beside `targetPath` go first: they
 * belong to no file that exists.
 */
export async function downloadSnapshot(
  from: string,
  targetPath: string,
  accept: (contents: SnapshotContents) => void = () => undefined,
  /** An admin key of the peer, when it requires API keys (`/_cluster/*` is admin-only). */
  token: string | null = null,
): Promise<SnapshotContents> {
  const partial = `${targetPath}.download`;
  await mkdir(dirname(targetPath), { recursive: true });
  await rm(partial, { force: true });
  const url = snapshotUrl(from);
  const response = await fetch(url, {
    headers: {
      Accept: SNAPSHOT_CONTENT_TYPE,
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
  }).catch((error: unknown) => {
    const cause = error instanceof Error ? error.cause : undefined;
    throw new InvalidSnapshotError(
      `${url.href} did not answer: ${cause instanceof Error ? cause.message : String(error)}`,
    );
  });
  if (!response.ok || !response.body) {
    const detail = (await response.text().catch(() => '')).slice(0, 300);
    throw new InvalidSnapshotError(
      `${url.href} answered ${response.status}${detail ? `: ${detail}` : ''}`,
    );
  }
  try {
    await pipeline(
      Readable.fromWeb(response.body as ReadableStream<Uint8Array>),
      (await open(partial, 'w')).createWriteStream(),
    );
    await fsync(partial, 'r+');
    const contents = await verifySnapshot(partial);
    accept(contents);
    await rm(`${targetPath}-wal`, { force: true });
    await rm(`${targetPath}-shm`, { force: true });
    await rename(partial, targetPath);
    await fsync(dirname(targetPath), 'r');
    return contents;
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}
