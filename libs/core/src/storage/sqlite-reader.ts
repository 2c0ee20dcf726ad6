import {
  Injectable,
  type BeforeApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { DatabaseSync } from 'node:sqlite';
import { DataSource } from 'typeorm';
import {
  decodeStored,
  jsonPage,
  storedRows,
  type JsonPage,
  type PageShape,
} from './json-page.js';
import { isInMemory, openNodeSqlite, StatementCache } from './node-sqlite.js';
import { sqliteCode } from './sqlite-errors.js';
import { CONNECTION_PRAGMAS, MMAP_PRAGMA } from './sqlite-options.js';
import { SqliteWorker, type SqliteWorkerConnection } from './sqlite-worker.js';
import { nodeConnectionOf } from './typeorm-driver.js';

/** A read-only connection's pragmas (the journal mode is the file's). */
const READ_PRAGMAS = [...CONNECTION_PRAGMAS, 'PRAGMA query_only = 1'] as const;
/** How long a read in the worker thread waits for a lock (rare in WAL mode: recovery, a checkpoint). */
const READ_BUSY_TIMEOUT_MS = 5000;
/**
 * How long the worker thread's read connection stays open after the last read: then it closes,
 * and the thread, with nothing else open, ends (`SqliteWorker`). The next read starts it again.
 */
export const READ_CONNECTION_IDLE_MS = 60_000;
/** Reads by key kept prepared, at most, and at most this much SQL text in them. */
const MAX_PREPARED_KEY_READS = 64;
const MAX_PREPARED_KEY_SQL_LENGTH = 1 << 18;

/**
 * Reads of the node's SQLite file on read-only connections of their own. The writer's
 * connection sees the rows of its transaction in flight, including a batch it may yet roll
 * back; in WAL mode each statement here reads a snapshot of committed data only, while the
 * writer writes. Two kinds:
 * - `readByKey`: a few rows through a key, on the calling thread (a few microseconds);
 * - `read` and `snapshot`: reads whose cost grows with the data (lists, counts, checksums),
 *   in a worker thread (`SqliteWorker`), so that they never hold up the event loop.
 * All are `node:sqlite`, the one copy of SQLite in the process. A database in memory (unit
 * tests) has no file to open twice: there every read runs on the node's connection.
 */
@Injectable()
export class SqliteReader implements OnModuleInit, BeforeApplicationShutdown {
  private readonly worker = new SqliteWorker();
  private pool: Promise<SqliteWorkerConnection> | null = null;
  private keyConnection: DatabaseSync | null = null;
  private keyReads: StatementCache | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  /** READ_CONNECTION_IDLE_MS; shorter in tests. */
  idleMs = READ_CONNECTION_IDLE_MS;

  constructor(private readonly dataSource: DataSource) {}

  onModuleInit(): void {
    const path = this.filePath;
    if (path === null) return;
    this.keyConnection = openNodeSqlite(
      path,
      { readOnly: true, busyTimeoutMs: 0 },
      [...READ_PRAGMAS, MMAP_PRAGMA],
    );
    this.keyReads = new StatementCache(
      this.keyConnection,
      MAX_PREPARED_KEY_READS,
      MAX_PREPARED_KEY_SQL_LENGTH,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.keyReads = null;
    this.keyConnection?.close();
    this.keyConnection = null;
    this.pool = null;
    await this.worker.terminate();
  }

  /** A read of committed data in the worker thread, with the statement kept prepared. */
  async read<T>(sql: string, parameters: unknown[] = []): Promise<T[]> {
    const path = this.filePath;
    if (path === null) return this.readInMemory<T>(sql, parameters);
    return this.inWorker(path, (pool) => pool.all<T>(sql, parameters));
  }

  /**
   * A page of rows for an answer, read as `read` reads and serialized as JSON in the worker
   * thread too: the main thread gets one string instead of an object per row and column.
   */
  async readPage<T = Record<string, unknown>>(
    sql: string,
    parameters: unknown[],
    shape: PageShape,
  ): Promise<JsonPage<T>> {
    const path = this.filePath;
    const page =
      path === null
        ? jsonPage(
            storedRows(
              await this.readInMemory<Record<string, unknown>>(sql, parameters),
            ),
            shape,
            decodeStored,
          )
        : await this.inWorker(path, (pool) =>
            pool.page(sql, parameters, shape),
          );
    // `shape` names the columns of T.
    return page as JsonPage<T>;
  }

  /**
   * A read of at most a few rows found through a key (a primary key or a unique index: one
   * row by id, an outcome by event id). It runs on the calling thread: a few microseconds,
   * less than a message to the worker thread and back. Never for a read whose cost grows with
   * the table (lists, counts, scans), which would hold up every other request. In the rare
   * moment a read-only connection must wait for a lock (SQLITE_BUSY), it goes to `read`.
   */
  readByKey<T>(sql: string, parameters: unknown[] = []): Promise<T[]> {
    if (!this.keyReads) return this.read(sql, parameters);
    try {
      return Promise.resolve(this.keyReads.all<T>(sql, parameters));
    } catch (error) {
      if (sqliteCode(error) === 'SQLITE_BUSY')
        return this.read(sql, parameters);
      return Promise.reject(error as Error);
    }
  }

  /**
   * Several reads from one snapshot (one read transaction on a connection of their own), so
   * that together they describe one committed state: e.g. the checksums of every table.
   */
  async snapshot<T>(
    work: (
      read: <R>(sql: string, parameters?: unknown[]) => Promise<R[]>,
    ) => Promise<T>,
  ): Promise<T> {
    const path = this.filePath;
    if (path === null)
      return work((sql, parameters) => this.read(sql, parameters));
    const connection = await this.openForReads(path);
    try {
      await connection.run('BEGIN');
      const result = await work((sql, parameters) =>
        connection.all(sql, parameters),
      );
      await connection.run('COMMIT');
      return result;
    } finally {
      await connection.close();
    }
  }

  /**
   * A connection of its own in the worker thread, for work on whole files: the snapshot code
   * copies the node's file (`VACUUM INTO`, on a read-only connection) and writes the copy.
   */
  openInWorker(
    path: string,
    readOnly: boolean,
  ): Promise<SqliteWorkerConnection> {
    return this.worker.open(
      path,
      { readOnly, busyTimeoutMs: READ_BUSY_TIMEOUT_MS },
      [],
    );
  }

  /** Runs `work` on the worker thread's read connection, opened (again) if need be. */
  private async inWorker<T>(
    path: string,
    work: (pool: SqliteWorkerConnection) => Promise<T>,
  ): Promise<T> {
    this.closeWhenIdle();
    this.pool ??= this.openForReads(path).catch((error: unknown) => {
      this.pool = null;
      throw error;
    });
    const pool = await this.pool;
    if (pool.open) return work(pool);
    // Its thread died (a fault, not a read's): another is started.
    if (this.pool) this.pool = null;
    return this.inWorker(path, work);
  }

  /** (Re)starts the countdown after which the read connection closes. */
  private closeWhenIdle(): void {
    if (this.idleTimer) {
      this.idleTimer.refresh();
      return;
    }
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      const pool = this.pool;
      this.pool = null;
      // Reads already given the connection run before the close: the thread takes them in order.
      void pool?.then((connection) => connection.close()).catch(() => {});
    }, this.idleMs).unref();
  }

  private openForReads(path: string): Promise<SqliteWorkerConnection> {
    return this.worker.open(
      path,
      { readOnly: true, busyTimeoutMs: READ_BUSY_TIMEOUT_MS },
      READ_PRAGMAS,
    );
  }

  private async readInMemory<T>(
    sql: string,
    parameters: unknown[],
  ): Promise<T[]> {
    return nodeConnectionOf(this.dataSource).statements.all<T>(sql, parameters);
  }

  /** The file of the database, or null for one in memory. */
  private get filePath(): string | null {
    const path = String(this.dataSource.options.database ?? '');
    return isInMemory(path) ? null : path;
  }
}
