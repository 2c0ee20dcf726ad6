import { Injectable, type OnModuleInit } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import type { StatementCache } from './node-sqlite.js';
import { sqliteCode } from './sqlite-errors.js';
import { SQLITE_PRAGMAS } from './sqlite-options.js';
import { nodeConnectionOf } from './typeorm-driver.js';

/** How long a transaction waits for another process's write lock before it fails with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;
/** The longest pause between two tries of the write lock. */
const MAX_BUSY_PAUSE_MS = 50;

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
 * It writes through the node's `node:sqlite` connection (the one TypeORM opened, see
 * `NodeSqliteConnection`), statements prepared once and kept. A statement runs on the calling
 * thread: an apply transaction is one stretch of work instead of one libuv thread-pool round
 * trip per statement, each waiting for a CPU on a loaded machine (docs/perf-tail.md).
 * Statements are bounded (batches of at most a fetch's events, rows by primary key), so the
 * stretch is short. The connection never waits for a lock on the calling thread: when another
 * process holds the write lock, `BEGIN IMMEDIATE` is tried again after a pause, the event loop
 * serving meanwhile, for up to 5 s (the original's `busy_timeout`).
 */
@Injectable()
export class SqliteWriter implements OnModuleInit {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly dataSource: DataSource) {}

  /** Applies the original ClusterLite's pragmas, but for its busy wait (see above). */
  onModuleInit(): void {
    const { database } = nodeConnectionOf(this.dataSource);
    for (const pragma of SQLITE_PRAGMAS) database.exec(pragma);
  }

  transaction<T>(work: (tx: SqliteTransaction) => Promise<T>): Promise<T> {
    const run = this.tail.then(() => this.runInTransaction(work));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async runInTransaction<T>(
    work: (tx: SqliteTransaction) => Promise<T>,
  ): Promise<T> {
    const connection = nodeConnectionOf(this.dataSource);
    const tx = new SqliteTransaction(connection.statements);
    await this.begin(tx);
    try {
      const result = await work(tx);
      await tx.execute('COMMIT');
      return result;
    } catch (error) {
      if (connection.database.isOpen && connection.database.isTransaction)
        connection.database.exec('ROLLBACK');
      throw error;
    }
  }

  /** `BEGIN IMMEDIATE`, tried again while another connection holds the write lock. */
  private async begin(tx: SqliteTransaction): Promise<void> {
    const deadline = Date.now() + BUSY_TIMEOUT_MS;
    for (let pause = 1; ; pause = Math.min(pause * 2, MAX_BUSY_PAUSE_MS)) {
      try {
        await tx.execute('BEGIN IMMEDIATE');
        return;
      } catch (error) {
        if (sqliteCode(error) !== 'SQLITE_BUSY' || Date.now() >= deadline)
          throw error;
      }
      await sleep(pause);
    }
  }
}
