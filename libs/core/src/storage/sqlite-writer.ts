import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { Database, RunResult, Statement } from 'sqlite3';
import { DataSource } from 'typeorm';
import { SQLITE_PRAGMAS } from './sqlite-options.js';

/** Prepared statements kept per connection, at most (least recently used ones are finalized first). */
const MAX_CACHED_STATEMENTS = 256;
/** And at most this much SQL text in them: multi-row statements are large once prepared. */
const MAX_CACHED_SQL_LENGTH = 1 << 20;

/**
 * Statements prepared once and reused for every call with the same SQL, on the writer's
 * connection. Saves SQLite's parse/plan and a thread-pool round trip per statement.
 */
class StatementCache {
  /** In least-recently-used order; each with its preparation, settled once SQLite prepared it. */
  private readonly statements = new Map<
    string,
    { statement: Statement; prepared: Promise<Statement> }
  >();
  private sqlLength = 0;
  private closed = false;

  constructor(readonly database: Database) {}

  /**
   * The prepared statement for `sql`, or null when it must run uncached. Use it at once.
   * Rejects with SQLite's error when it cannot be prepared: sqlite3 never calls back the
   * calls queued on a statement whose preparation failed, so none may be queued before.
   */
  get(sql: string): Promise<Statement> | null {
    if (this.closed) return null;
    const cached = this.statements.get(sql);
    if (cached) {
      this.statements.delete(sql);
      this.statements.set(sql, cached);
      return cached.prepared;
    }
    if (sql.length > MAX_CACHED_SQL_LENGTH / 4) return null;
    while (
      this.statements.size >= MAX_CACHED_STATEMENTS ||
      this.sqlLength + sql.length > MAX_CACHED_SQL_LENGTH
    ) {
      this.evict(this.statements.keys().next().value as string);
    }
    let statement!: Statement;
    const prepared = new Promise<Statement>((resolve, reject) => {
      statement = this.database.prepare(sql, (error: Error | null) => {
        if (!error) return resolve(statement);
        // Prepare again next time: the schema or the file may have changed by then.
        if (this.statements.get(sql)?.statement === statement) this.evict(sql);
        reject(error);
      });
    });
    this.statements.set(sql, { statement, prepared });
    this.sqlLength += sql.length;
    return prepared;
  }

  /** Finalizes every statement; later calls run uncached (the connection can then close). */
  async close(): Promise<void> {
    this.closed = true;
    const statements = [...this.statements.values()].map(
      (cached) => cached.statement,
    );
    this.statements.clear();
    this.sqlLength = 0;
    await Promise.all(
      statements.map(
        (statement) =>
          new Promise<void>((resolve) => statement.finalize(() => resolve())),
      ),
    );
  }

  /** Drops a statement; sqlite3 finalizes it after the calls already queued on it. */
  private evict(sql: string): void {
    const cached = this.statements.get(sql);
    if (!cached) return;
    this.statements.delete(sql);
    this.sqlLength -= sql.length;
    cached.statement.finalize(() => undefined);
  }
}

/**
 * Statements that run to completion in one step (a row change without RETURNING, or
 * transaction control), so a cached one is never left in progress by `run`.
 */
const COMPLETES_IN_ONE_STEP =
  /^\s*(?:(?:INSERT|UPDATE|DELETE|REPLACE)\b(?![\s\S]*\bRETURNING\b)|(?:BEGIN|COMMIT|ROLLBACK|END)\b)/i;

/** One open write transaction on the node's SQLite file. */
export class SqliteTransaction {
  constructor(
    private readonly database: Database,
    private readonly statements: StatementCache | null = null,
  ) {}

  /** Runs a statement that returns no rows; resolves to the number of rows it changed. */
  async execute(sql: string, parameters: unknown[] = []): Promise<number> {
    const preparing = COMPLETES_IN_ONE_STEP.test(sql)
      ? this.statements?.get(sql)
      : null;
    const statement = preparing ? await preparing : null;
    return new Promise((resolve, reject) => {
      const callback = function (this: RunResult, error: Error | null) {
        if (error) reject(error);
        else resolve(this.changes);
      };
      if (statement) statement.run(parameters, callback);
      else this.database.run(sql, parameters, callback);
    });
  }

  /** Runs a query (or a statement with RETURNING) and resolves to its rows. */
  async rows<T>(sql: string, parameters: unknown[] = []): Promise<T[]> {
    const preparing = this.statements?.get(sql);
    const statement = preparing ? await preparing : null;
    return new Promise((resolve, reject) => {
      const callback = (error: Error | null, rows: T[]) => {
        if (error) reject(error);
        else resolve(rows);
      };
      // `all` steps a statement until it is done, so a cached one is never left in progress.
      if (statement) statement.all(parameters, callback);
      else this.database.all(sql, parameters, callback);
    });
  }
}

/**
 * Serialises every write transaction of the node. SQLite allows one writer at
 * a time; the projection and the embedded log both write, so they queue here.
 * It drives the sqlite3 connection TypeORM opened, so statements that need
 * RETURNING and row counts are not filtered through TypeORM's query runner,
 * and it keeps the statements it runs prepared.
 */
@Injectable()
export class SqliteWriter implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(SqliteWriter.name);
  private tail: Promise<unknown> = Promise.resolve();
  private statements: StatementCache | null = null;
  private closing = false;

  constructor(private readonly dataSource: DataSource) {}

  /** Applies the original ClusterLite's pragmas to the connection TypeORM opened. */
  async onModuleInit(): Promise<void> {
    const connection = new SqliteTransaction(this.database);
    for (const pragma of SQLITE_PRAGMAS) await connection.rows(pragma);
  }

  /**
   * Finalizes the prepared statements before TypeORM closes the connection (SQLite refuses
   * to close one with statements left). Transactions after this still run, unprepared.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    await this.statements?.close();
  }

  transaction<T>(work: (tx: SqliteTransaction) => Promise<T>): Promise<T> {
    const run = this.tail.then(() => this.runInTransaction(work));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private statementCache(): StatementCache {
    const database = this.database;
    if (this.statements?.database !== database)
      this.statements = new StatementCache(database);
    return this.statements;
  }

  private get database(): Database {
    return (
      this.dataSource.driver as unknown as { databaseConnection: Database }
    ).databaseConnection;
  }

  private async runInTransaction<T>(
    work: (tx: SqliteTransaction) => Promise<T>,
  ): Promise<T> {
    const tx = new SqliteTransaction(
      this.database,
      this.closing ? null : this.statementCache(),
    );
    await tx.execute('BEGIN IMMEDIATE');
    try {
      const result = await work(tx);
      await tx.execute('COMMIT');
      return result;
    } catch (error) {
      await tx.execute('ROLLBACK').catch((rollbackError: unknown) => {
        this.logger.error(`Rollback failed: ${String(rollbackError)}`);
      });
      throw error;
    }
  }
}
