import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import sqlite3, { type Database, type Statement } from 'sqlite3';
import { DataSource } from 'typeorm';

/** The pragmas of SQLITE_PRAGMAS that a read-only connection takes (the journal mode is the file's). */
const READ_PRAGMAS = [
  'PRAGMA busy_timeout = 5000',
  'PRAGMA cache_size = -2000',
  'PRAGMA mmap_size = 268435456',
  'PRAGMA query_only = 1',
] as const;

/** Prepared copies of one read that may run at once (libuv runs 4 thread-pool threads by default). */
const READ_STATEMENTS_PER_SQL = 4;
/** Distinct reads kept prepared, at most (least recently used ones are finalized first). */
const MAX_PREPARED_READS = 64;

/**
 * Prepared statements for reads. sqlite3 runs the calls on one Statement one after another,
 * so a single shared statement would make concurrent reads wait for each other's thread-pool
 * round trips: each read takes an idle copy, prepares a new one (up to a few per SQL), or,
 * when all are busy, runs unprepared like any one-off query.
 */
class ReadStatements {
  /** Idle copies per SQL, in least-recently-used order of the SQL. */
  private readonly idle = new Map<string, Statement[]>();
  private readonly prepared = new Map<string, number>();
  private closed = false;

  constructor(readonly database: Database) {}

  async all<T>(sql: string, parameters: unknown[]): Promise<T[]> {
    const taken = this.take(sql);
    const statement = taken?.statement ?? null;
    if (taken && statement) {
      // sqlite3 never calls back a call queued on a statement it could not prepare.
      await taken.prepared.catch((error: unknown) => {
        this.give(sql, statement, true);
        throw error;
      });
    }
    return new Promise((resolve, reject) => {
      const callback = (error: Error | null, rows: T[]) => {
        if (statement) this.give(sql, statement, error !== null);
        if (error) reject(error);
        else resolve(rows);
      };
      if (statement) statement.all(parameters, callback);
      else this.database.all(sql, parameters, callback);
    });
  }

  /** Finalizes the idle copies; busy ones are finalized when their read ends. */
  close(): void {
    this.closed = true;
    for (const statements of this.idle.values())
      for (const statement of statements) statement.finalize(() => undefined);
    this.idle.clear();
    this.prepared.clear();
  }

  /** An idle copy, or a new one with its preparation (settled once SQLite prepared it); null to run unprepared. */
  private take(
    sql: string,
  ): { statement: Statement; prepared: Promise<void> } | null {
    if (this.closed) return null;
    const idle = this.idle.get(sql);
    if (idle) {
      this.idle.delete(sql);
      this.idle.set(sql, idle);
      const statement = idle.pop();
      if (statement) return { statement, prepared: Promise.resolve() };
    }
    const count = this.prepared.get(sql) ?? 0;
    if (count >= READ_STATEMENTS_PER_SQL) return null;
    if (
      count === 0 &&
      this.prepared.size >= MAX_PREPARED_READS &&
      !this.evictOne()
    )
      return null;
    this.prepared.set(sql, count + 1);
    if (!idle) this.idle.set(sql, []);
    let statement!: Statement;
    const prepared = new Promise<void>((resolve, reject) => {
      statement = this.database.prepare(sql, (error: Error | null) =>
        error ? reject(error) : resolve(),
      );
    });
    return { statement, prepared };
  }

  private give(sql: string, statement: Statement, failed: boolean): void {
    const idle = this.idle.get(sql);
    if (this.closed || failed || !idle) {
      statement.finalize(() => undefined);
      if (!this.closed && this.prepared.has(sql))
        this.prepared.set(sql, (this.prepared.get(sql) ?? 1) - 1);
      return;
    }
    idle.push(statement);
  }

  /** Finalizes the least recently used read whose copies are all idle; false if none is. */
  private evictOne(): boolean {
    for (const [sql, idle] of this.idle) {
      if (idle.length !== this.prepared.get(sql)) continue;
      for (const statement of idle) statement.finalize(() => undefined);
      this.idle.delete(sql);
      this.prepared.delete(sql);
      return true;
    }
    return false;
  }
}

/**
 * Reads of the node's SQLite file on a read-only connection of their own. The writer's
 * connection sees the rows of its transaction in flight, including a batch it may yet roll
 * back; in WAL mode each statement here reads a snapshot of committed data only, while the
 * writer writes. A database in memory (unit tests) has no file to open twice: there reads
 * share TypeORM's connection.
 */
@Injectable()
export class SqliteReader implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(SqliteReader.name);
  private connection: Database | null = null;
  private reads: ReadStatements | null = null;
  private closing = false;

  constructor(private readonly dataSource: DataSource) {}

  async onModuleInit(): Promise<void> {
    const path = this.filePath;
    if (path === null) return;
    this.connection = await openReadOnly(path);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    this.reads?.close();
    const connection = this.connection;
    this.connection = null;
    if (connection)
      await new Promise<void>((resolve) =>
        connection.close((error) => {
          if (error)
            this.logger.warn(`Closing the read connection: ${error.message}`);
          resolve();
        }),
      );
  }

  /** A read of committed data, with the statement kept prepared (the hot read path). */
  read<T>(sql: string, parameters: unknown[] = []): Promise<T[]> {
    const database = this.database;
    if (this.reads?.database !== database) {
      this.reads?.close();
      this.reads = new ReadStatements(database);
      if (this.closing) this.reads.close();
    }
    return this.reads.all<T>(sql, parameters);
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
    const connection = await openReadOnly(path);
    const all = <R>(sql: string, parameters: unknown[] = []) =>
      new Promise<R[]>((resolve, reject) =>
        connection.all(sql, parameters, (error: Error | null, rows: R[]) =>
          error ? reject(error) : resolve(rows),
        ),
      );
    try {
      await all('BEGIN');
      const result = await work(all);
      await all('COMMIT');
      return result;
    } finally {
      await new Promise<void>((resolve) => connection.close(() => resolve()));
    }
  }

  /** The file of the database, or null for one in memory. */
  private get filePath(): string | null {
    const path = String(this.dataSource.options.database ?? '');
    return path === '' ||
      path === ':memory:' ||
      path.startsWith('file::memory:')
      ? null
      : path;
  }

  private get database(): Database {
    return (
      this.connection ??
      (this.dataSource.driver as unknown as { databaseConnection: Database })
        .databaseConnection
    );
  }
}

async function openReadOnly(path: string): Promise<Database> {
  const connection = await new Promise<Database>((resolve, reject) => {
    const opened: Database = new sqlite3.Database(
      path,
      sqlite3.OPEN_READONLY,
      (error) => (error ? reject(error) : resolve(opened)),
    );
  });
  for (const pragma of READ_PRAGMAS)
    await new Promise<void>((resolve, reject) =>
      connection.run(pragma, (error) => (error ? reject(error) : resolve())),
    );
  return connection;
}
