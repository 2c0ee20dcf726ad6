import {
  Injectable,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { DatabaseSync } from 'node:sqlite';
import { DataSource } from 'typeorm';
import { isInMemory, openNodeSqlite, StatementCache } from './node-sqlite.js';
import { SQLITE_PRAGMAS } from './sqlite-options.js';

/** Prepared statements kept, at most (least recently used ones are dropped first). */
const MAX_CACHED_STATEMENTS = 256;
/** And at most this much SQL text in them. */
const MAX_CACHED_SQL_LENGTH = 1 << 20;
/** How long a write waits for another connection's write lock (the `busy_timeout` pragma). */
const BUSY_TIMEOUT_MS = 5000;

/** One open write transaction on the node's SQLite file. */
export class SqliteTransaction {
  constructor(private readonly statements: StatementCache) {}

  /** Runs a statement that returns no rows; resolves to the number of rows it changed. */
  async execute(sql: string, parameters: unknown[] = []): Promise<number> {
    return this.statements.run(sql, parameters);
  }

  /** Runs a query (or a statement with RETURNING) and resolves to its rows. */
  async rows<T>(sql: string, parameters: unknown[] = []): Promise<T[]> {
    return this.statements.all<T>(sql, parameters);
  }
}

/**
 * Serialises every write transaction of the node. SQLite allows one writer at a time; the
 * projection and the embedded log both write, so they queue here.
 *
 * It writes through a `node:sqlite` connection of its own to the file TypeORM opened (TypeORM
 * keeps its sqlite3 connection for migrations at start and for reads). `node:sqlite` runs a
 * statement on the calling thread: an apply transaction of many statements is one stretch of
 * work instead of one libuv thread-pool round trip per statement, each waiting for a CPU on a
 * loaded machine (docs/perf-tail.md). Statements are bounded (batches of at most a fetch's
 * events, rows by primary key), so the stretch is short.
 */
@Injectable()
export class SqliteWriter implements OnModuleInit, OnApplicationShutdown {
  private tail: Promise<unknown> = Promise.resolve();
  private database: DatabaseSync | null = null;
  private statements: StatementCache | null = null;

  constructor(private readonly dataSource: DataSource) {}

  /** Opens the connection with the original ClusterLite's pragmas. */
  async onModuleInit(): Promise<void> {
    const path = String(this.dataSource.options.database ?? '');
    if (isInMemory(path))
      throw new Error(
        'SqliteWriter writes to a database file: an in-memory database is private to the connection that opened it',
      );
    const database = openNodeSqlite(
      path,
      { readOnly: false, busyTimeoutMs: BUSY_TIMEOUT_MS },
      SQLITE_PRAGMAS,
    );
    this.database = database;
    this.statements = new StatementCache(
      database,
      MAX_CACHED_STATEMENTS,
      MAX_CACHED_SQL_LENGTH,
    );
  }

  /** Closes the connection once the transactions queued before have ended. */
  async onApplicationShutdown(): Promise<void> {
    await this.tail;
    const database = this.database;
    this.database = null;
    this.statements = null;
    database?.close();
  }

  transaction<T>(work: (tx: SqliteTransaction) => Promise<T>): Promise<T> {
    const run = this.tail.then(() => this.runInTransaction(work));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async runInTransaction<T>(
    work: (tx: SqliteTransaction) => Promise<T>,
  ): Promise<T> {
    if (!this.statements)
      throw new Error('SQLITE_MISUSE: the node is not writing (closed)');
    const tx = new SqliteTransaction(this.statements);
    await tx.execute('BEGIN IMMEDIATE');
    try {
      const result = await work(tx);
      await tx.execute('COMMIT');
      return result;
    } catch (error) {
      if (this.database?.isTransaction) this.database.exec('ROLLBACK');
      throw error;
    }
  }
}
