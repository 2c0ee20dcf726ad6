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

/** Prepared copies of one read (libuv runs 4 thread-pool threads by default). */
const READ_STATEMENTS_PER_SQL = 4;
/** Distinct reads kept prepared, at most (least recently used ones are finalized first). */
const MAX_PREPARED_READS = 64;

/** One prepared copy of a read: its calls in flight, and its preparation until SQLite is done. */
interface PreparedRead {
  readonly statement: Statement;
  /** Calls made on it that have not called back yet (sqlite3 queues them on the statement). */
  pending: number;
  /** Until SQLite has prepared it: settles then (rejects with SQLite's error). */
  preparing: Promise<void> | null;
  /** Failed once: taken out of use, finalized when its last call ends. */
  retired: boolean;
}

/**
 * Prepared statements for reads. sqlite3 runs the calls on one Statement one after another,
 * each a thread-pool round trip, so a read takes the copy of its SQL with the fewest calls in
 * flight, and prepares another (up to a few per SQL) while every copy is busy; past that it
 * queues on the least busy copy, which costs less than preparing, running and finalizing a
 * one-off statement (the thread pool has no more threads to run it on anyway).
 */
class ReadStatements {
  /** The copies per SQL, in least-recently-used order of the SQL. */
  private readonly copies = new Map<string, PreparedRead[]>();
  private closed = false;

  constructor(readonly database: Database) {}

  all<T>(sql: string, parameters: unknown[]): Promise<T[]> {
    const read = this.take(sql);
    if (!read)
      return new Promise((resolve, reject) =>
        this.database.all(sql, parameters, (error: Error | null, rows: T[]) =>
          error ? reject(error) : resolve(rows),
        ),
      );
    // sqlite3 never calls back a call queued on a statement it could not prepare.
    if (read.preparing)
      return read.preparing.then(
        () => this.run<T>(sql, read, parameters),
        (error: unknown) => {
          this.release(sql, read, true);
          throw error;
        },
      );
    return this.run<T>(sql, read, parameters);
  }

  /** Finalizes the idle copies; busy ones are finalized when their last read ends. */
  close(): void {
    this.closed = true;
    for (const reads of this.copies.values())
      for (const read of reads) this.retire(read);
    this.copies.clear();
  }

  private run<T>(
    sql: string,
    read: PreparedRead,
    parameters: unknown[],
  ): Promise<T[]> {
    return new Promise((resolve, reject) =>
      read.statement.all(parameters, (error: Error | null, rows: T[]) => {
        this.release(sql, read, error !== null);
        if (error) reject(error);
        else resolve(rows);
      }),
    );
  }

  /** The least busy copy of `sql`, a new one while all are busy, or null to run unprepared. */
  private take(sql: string): PreparedRead | null {
    if (this.closed) return null;
    let reads = this.copies.get(sql);
    if (reads) {
      this.copies.delete(sql);
      this.copies.set(sql, reads);
    } else {
      if (this.copies.size >= MAX_PREPARED_READS && !this.evictOne())
        return null;
      reads = [];
      this.copies.set(sql, reads);
    }
    let least: PreparedRead | undefined;
    for (const read of reads)
      if (!least || read.pending < least.pending) least = read;
    if (!least || (least.pending > 0 && reads.length < READ_STATEMENTS_PER_SQL))
      reads.push((least = this.prepare(sql)));
    least.pending++;
    return least;
  }

  private prepare(sql: string): PreparedRead {
    let settle!: (error: Error | null) => void;
    const preparing = new Promise<void>((resolve, reject) => {
      settle = (error) => (error ? reject(error) : resolve());
    });
    const read: PreparedRead = {
      statement: this.database.prepare(sql, (error: Error | null) => {
        if (!error) read.preparing = null;
        settle(error);
      }),
      pending: 0,
      preparing,
      retired: false,
    };
    return read;
  }

  /** A call on `read` ended; a copy that failed is taken out of use. */
  private release(sql: string, read: PreparedRead, failed: boolean): void {
    read.pending--;
    if (failed && !read.retired) {
      const reads = this.copies.get(sql) ?? [];
      const index = reads.indexOf(read);
      if (index !== -1) reads.splice(index, 1);
      read.retired = true;
    }
    if (read.retired && read.pending === 0)
      read.statement.finalize(() => undefined);
  }

  /** Takes a copy out of use; finalized now if idle, else when its last call ends. */
  private retire(read: PreparedRead): void {
    read.retired = true;
    if (read.pending === 0) read.statement.finalize(() => undefined);
  }

  /** Finalizes the least recently used read whose copies are all idle; false if none is. */
  private evictOne(): boolean {
    for (const [sql, reads] of this.copies) {
      if (reads.some((read) => read.pending > 0)) continue;
      for (const read of reads) this.retire(read);
      this.copies.delete(sql);
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
