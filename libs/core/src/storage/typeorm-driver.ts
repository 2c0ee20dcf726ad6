import type { DatabaseSync } from 'node:sqlite';
import { openNodeSqlite, StatementCache } from './node-sqlite.js';

/** Prepared statements kept on the node's connection, at most (least recently used ones go first). */
const MAX_CACHED_STATEMENTS = 256;
/** And at most this much SQL text in them: multi-row statements are large once prepared. */
const MAX_CACHED_SQL_LENGTH = 1 << 20;

type Callback = (
  this: RunContext,
  error: Error | null,
  rows?: unknown[],
) => void;

/** What sqlite3 gives a `run` callback as `this`. */
interface RunContext {
  lastID?: number;
  changes?: number;
}

/**
 * The node's read-write connection, in the shape of a sqlite3 `Database` as far as TypeORM's
 * `sqlite` driver uses one (`run`, `all`, `close`). It is a `node:sqlite` connection: its
 * statements run on the calling thread, and TypeORM, the writer and the embedded log share it,
 * so the node's process holds one copy of SQLite only (two copies do not see each other's POSIX
 * locks). It never waits for a lock (`busy_timeout` 0, which would block the event loop):
 * TypeORM retries a busy query later (`busyErrorRetry`), the writer retries `BEGIN`.
 */
export class NodeSqliteConnection {
  readonly database: DatabaseSync;
  readonly statements: StatementCache;

  /** Throws SQLite's error when the file cannot be opened (TypeORM opens it in a promise). */
  constructor(path: string, callback?: (error: Error | null) => void) {
    this.database = openNodeSqlite(
      path,
      { readOnly: false, busyTimeoutMs: 0 },
      [],
    );
    this.statements = new StatementCache(
      this.database,
      MAX_CACHED_STATEMENTS,
      MAX_CACHED_SQL_LENGTH,
    );
    queueMicrotask(() => callback?.(null));
  }

  run(sql: string, ...rest: unknown[]): this {
    const [parameters, callback] = split(rest);
    let context: RunContext = {};
    let failure: Error | null = null;
    try {
      const result = this.statements.runWithId(sql, parameters);
      context = { lastID: result.lastID, changes: result.changes };
    } catch (error) {
      failure = error as Error;
    }
    queueMicrotask(() => callback?.call(context, failure));
    return this;
  }

  all(sql: string, ...rest: unknown[]): this {
    const [parameters, callback] = split(rest);
    let rows: unknown[] = [];
    let failure: Error | null = null;
    try {
      rows = this.statements.all(sql, parameters);
    } catch (error) {
      failure = error as Error;
    }
    queueMicrotask(() => callback?.call({}, failure, rows));
    return this;
  }

  close(callback?: (error: Error | null) => void): void {
    let failure: Error | null = null;
    try {
      if (this.database.isOpen) this.database.close();
    } catch (error) {
      failure = error as Error;
    }
    queueMicrotask(() => callback?.(failure));
  }
}

/** sqlite3's optional parameters before the callback: `(params..., callback)` or `(array, callback)`. */
function split(rest: unknown[]): [unknown[], Callback | undefined] {
  const callback =
    typeof rest.at(-1) === 'function' ? (rest.pop() as Callback) : undefined;
  if (rest.length === 1 && (rest[0] === undefined || Array.isArray(rest[0])))
    return [(rest[0] as unknown[] | undefined) ?? [], callback];
  return [rest, callback];
}

/**
 * The module TypeORM's `sqlite` driver takes as its `driver` option in place of sqlite3: its
 * `Database` is a `NodeSqliteConnection`. `verbose()` is what the driver calls on load.
 */
export const NODE_SQLITE_DRIVER: {
  Database: typeof NodeSqliteConnection;
  verbose(): unknown;
} = {
  Database: NodeSqliteConnection,
  verbose: () => NODE_SQLITE_DRIVER,
};

/** The node's connection, from a TypeORM DataSource opened with `NODE_SQLITE_DRIVER`. */
export function nodeConnectionOf(dataSource: {
  driver: unknown;
}): NodeSqliteConnection {
  const connection = (
    dataSource.driver as { databaseConnection?: unknown } | undefined
  )?.databaseConnection;
  if (!(connection instanceof NodeSqliteConnection))
    throw new Error(
      'SQLITE_MISUSE: the DataSource is not open on the node:sqlite driver',
    );
  return connection;
}
