import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { withSqliteCode } from './sqlite-errors.js';

// Taken from the process, not imported: the build's bundler (rspack) does not know `node:sqlite`
// as a built-in module yet and would try to bundle it.
const { DatabaseSync: Database } = process.getBuiltinModule('node:sqlite');

/** A path TypeORM's sqlite driver opens as a database of its connection only (in memory). */
export function isInMemory(path: string): boolean {
  return path === '' || path === ':memory:' || path.startsWith('file::memory:');
}

/**
 * A `node:sqlite` connection to the node's file with `pragmas`. Its statements run on the
 * calling thread: no libuv thread-pool round trip per statement.
 */
export function openNodeSqlite(
  path: string,
  options: { readOnly: boolean; busyTimeoutMs: number },
  pragmas: readonly string[],
): DatabaseSync {
  const database = new Database(path, {
    readOnly: options.readOnly,
    timeout: options.busyTimeoutMs,
  });
  for (const pragma of pragmas) database.exec(pragma);
  return database;
}

/**
 * Statements prepared once and reused for every call with the same SQL (saves SQLite's parse
 * and plan), least recently used ones dropped first past `maxStatements` or `maxSqlLength`
 * characters of SQL (multi-row statements are large once prepared).
 */
export class StatementCache {
  /** In least-recently-used order. */
  private readonly statements = new Map<string, StatementSync>();
  private sqlLength = 0;

  constructor(
    private readonly database: DatabaseSync,
    private readonly maxStatements: number,
    private readonly maxSqlLength: number,
  ) {}

  /** The prepared statement for `sql`; throws SQLite's error when it cannot be prepared. */
  get(sql: string): StatementSync {
    const cached = this.statements.get(sql);
    if (cached) {
      this.statements.delete(sql);
      this.statements.set(sql, cached);
      return cached;
    }
    const statement = this.database.prepare(sql);
    if (sql.length > this.maxSqlLength / 4) return statement;
    while (
      this.statements.size >= this.maxStatements ||
      this.sqlLength + sql.length > this.maxSqlLength
    ) {
      const oldest = this.statements.keys().next().value as string;
      this.statements.delete(oldest);
      this.sqlLength -= oldest.length;
    }
    this.statements.set(sql, statement);
    this.sqlLength += sql.length;
    return statement;
  }

  /** Runs a statement that returns no rows; the number of rows it changed. */
  run(sql: string, parameters: readonly unknown[]): number {
    return this.runWithId(sql, parameters).changes;
  }

  /** Runs a statement that returns no rows; the rows it changed and the last rowid inserted. */
  runWithId(
    sql: string,
    parameters: readonly unknown[],
  ): { changes: number; lastID: number } {
    try {
      const result = this.get(sql).run(...parameters.map(bindable));
      return {
        changes: Number(result.changes),
        lastID: Number(result.lastInsertRowid),
      };
    } catch (error) {
      throw withSqliteCode(error);
    }
  }

  /** Runs a query (or a statement with RETURNING); its rows. */
  all<T>(sql: string, parameters: readonly unknown[]): T[] {
    try {
      return this.get(sql).all(...parameters.map(bindable)) as T[];
    } catch (error) {
      throw withSqliteCode(error);
    }
  }
}

/**
 * A parameter as sqlite3 binds it, for `node:sqlite`: a 32-bit integer as an INTEGER (node:sqlite
 * binds every number as a REAL, which a TEXT column would keep as `1.0`), a boolean as 1 or 0,
 * undefined as NULL, a Date as its milliseconds. So rows come out as they did from sqlite3.
 */
export function bindable(value: unknown): SQLInputValue {
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
