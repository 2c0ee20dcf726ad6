import {
  Injectable,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { DataSource } from 'typeorm';
import { withSqliteCode } from './sqlite-errors.js';
import { SQLITE_PRAGMAS } from './sqlite-options.js';

// Taken from the process, not imported: the build's bundler (rspack) does not know `node:sqlite`
// as a built-in module yet and would try to bundle it.
const { DatabaseSync: Database } = process.getBuiltinModule('node:sqlite');

/** Prepared statements kept, at most (least recently used ones are dropped first). */
const MAX_CACHED_STATEMENTS = 256;
/** And at most this much SQL text in them: multi-row statements are large once prepared. */
const MAX_CACHED_SQL_LENGTH = 1 << 20;
/** How long a write waits for another connection's write lock (the `busy_timeout` pragma). */
const BUSY_TIMEOUT_MS = 5000;

/**
 * Statements prepared once and reused for every call with the same SQL: saves SQLite's
 * parse and plan per statement.
 */
class StatementCache {
  /** In least-recently-used order. */
  private readonly statements = new Map<string, StatementSync>();
  private sqlLength = 0;

  constructor(private readonly database: DatabaseSync) {}

  /** The prepared statement for `sql`; throws SQLite's error when it cannot be prepared. */
  get(sql: string): StatementSync {
    const cached = this.statements.get(sql);
    if (cached) {
      this.statements.delete(sql);
      this.statements.set(sql, cached);
      return cached;
    }
    const statement = this.database.prepare(sql);
    if (sql.length > MAX_CACHED_SQL_LENGTH / 4) return statement;
    while (
      this.statements.size >= MAX_CACHED_STATEMENTS ||
      this.sqlLength + sql.length > MAX_CACHED_SQL_LENGTH
    ) {
      const oldest = this.statements.keys().next().value as string;
      this.statements.delete(oldest);
      this.sqlLength -= oldest.length;
    }
    this.statements.set(sql, statement);
    this.sqlLength += sql.length;
    return statement;
  }
}

/**
 * A parameter as sqlite3 binds it, for `node:sqlite`: a 32-bit integer as an INTEGER (node:sqlite
 * binds every number as a REAL, which a TEXT column would keep as `1.0`), a boolean as 1 or 0,
 * undefined as NULL, a Date as its milliseconds. So rows come out as they did from sqlite3.
 */
function bindable(value: unknown): SQLInputValue {
  switch (typeof value) {
    case 'number':
      return (value | 0) === value && !Object.is(value, -0)
        ? BigInt(value)
        : value;
    case 'boolean':
      return value ? 1n : 0n;
    case 'undefined':
      return null;
    default:
      return value instanceof Date ? value.getTime() : (value as SQLInputValue);
  }
}

/** One open write transaction on the node's SQLite file. */
export class SqliteTransaction {
  constructor(private readonly statements: StatementCache) {}

  /** Runs a statement that returns no rows; resolves to the number of rows it changed. */
  async execute(sql: string, parameters: unknown[] = []): Promise<number> {
    try {
      return Number(
        this.statements.get(sql).run(...parameters.map(bindable)).changes,
      );
    } catch (error) {
      throw withSqliteCode(error);
    }
  }

  /** Runs a query (or a statement with RETURNING) and resolves to its rows. */
  async rows<T>(sql: string, parameters: unknown[] = []): Promise<T[]> {
    try {
      return this.statements.get(sql).all(...parameters.map(bindable)) as T[];
    } catch (error) {
      throw withSqliteCode(error);
    }
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
    if (path === '' || path === ':memory:' || path.startsWith('file::memory:'))
      throw new Error(
        'SqliteWriter writes to a database file: an in-memory database is private to the connection that opened it',
      );
    const database = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    for (const pragma of SQLITE_PRAGMAS) database.exec(pragma);
    this.database = database;
    this.statements = new StatementCache(database);
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
