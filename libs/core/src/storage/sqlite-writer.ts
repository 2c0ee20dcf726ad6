import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { Database, RunResult } from 'sqlite3';
import { DataSource } from 'typeorm';
import { SQLITE_PRAGMAS } from './sqlite-options.js';

/** One open write transaction on the node's SQLite file. */
export class SqliteTransaction {
  constructor(private readonly database: Database) {}

  /** Runs a statement that returns no rows; resolves to the number of rows it changed. */
  execute(sql: string, parameters: unknown[] = []): Promise<number> {
    return new Promise((resolve, reject) => {
      this.database.run(sql, parameters, function (this: RunResult, error: Error | null) {
        if (error) reject(error);
        else resolve(this.changes);
      });
    });
  }

  /** Runs a query (or a statement with RETURNING) and resolves to its rows. */
  rows<T>(sql: string, parameters: unknown[] = []): Promise<T[]> {
    return new Promise((resolve, reject) => {
      this.database.all(sql, parameters, (error: Error | null, rows: T[]) => {
        if (error) reject(error);
        else resolve(rows);
      });
    });
  }
}

/**
 * Serialises every write transaction of the node. SQLite allows one writer at
 * a time; the projection and the embedded log both write, so they queue here.
 * It drives the sqlite3 connection TypeORM opened, so statements that need
 * RETURNING and row counts are not filtered through TypeORM's query runner.
 */
@Injectable()
export class SqliteWriter implements OnModuleInit {
  private readonly logger = new Logger(SqliteWriter.name);
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly dataSource: DataSource) {}

  /** Applies the original ClusterLite's pragmas to the connection TypeORM opened. */
  async onModuleInit(): Promise<void> {
    const connection = new SqliteTransaction(this.database);
    for (const pragma of SQLITE_PRAGMAS) await connection.rows(pragma);
  }

  transaction<T>(work: (tx: SqliteTransaction) => Promise<T>): Promise<T> {
    const run = this.tail.then(() => this.runInTransaction(work));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Waits for every queued transaction to finish. */
  async drain(): Promise<void> {
    await this.tail;
  }

  private get database(): Database {
    return (this.dataSource.driver as unknown as { databaseConnection: Database }).databaseConnection;
  }

  private async runInTransaction<T>(work: (tx: SqliteTransaction) => Promise<T>): Promise<T> {
    const tx = new SqliteTransaction(this.database);
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
