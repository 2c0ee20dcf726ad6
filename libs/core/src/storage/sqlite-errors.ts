/**
 * SQLite result codes that say the node's environment failed, not the statement: the file is
 * locked, the disk is full or read-only, I/O failed, the file cannot be opened or is damaged.
 * Another node applying the same event succeeds, so such an error must never decide an
 * event's outcome: the projection waits and retries (invariant 6).
 */
const ENVIRONMENT_CODES = new Set([
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_FULL',
  'SQLITE_IOERR',
  'SQLITE_READONLY',
  'SQLITE_CANTOPEN',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
  'SQLITE_NOMEM',
  'SQLITE_PROTOCOL',
]);

/** The SQLite result code of an error from sqlite3 (`SQLITE_BUSY`, ...), or null. */
export function sqliteCode(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : null;
}

/** Whether `error` is a fault of the node's storage, to retry, rather than of the event applied. */
export function isEnvironmentFault(error: unknown): boolean {
  const code = sqliteCode(error);
  return code !== null && ENVIRONMENT_CODES.has(code);
}

/** SQLite's primary result codes by number, as sqlite3 names them in its errors. */
const PRIMARY_CODES = [
  'SQLITE_OK',
  'SQLITE_ERROR',
  'SQLITE_INTERNAL',
  'SQLITE_PERM',
  'SQLITE_ABORT',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_NOMEM',
  'SQLITE_READONLY',
  'SQLITE_INTERRUPT',
  'SQLITE_IOERR',
  'SQLITE_CORRUPT',
  'SQLITE_NOTFOUND',
  'SQLITE_FULL',
  'SQLITE_CANTOPEN',
  'SQLITE_PROTOCOL',
  'SQLITE_EMPTY',
  'SQLITE_SCHEMA',
  'SQLITE_TOOBIG',
  'SQLITE_CONSTRAINT',
  'SQLITE_MISMATCH',
  'SQLITE_MISUSE',
  'SQLITE_NOLFS',
  'SQLITE_AUTH',
  'SQLITE_FORMAT',
  'SQLITE_RANGE',
  'SQLITE_NOTADB',
] as const;

/**
 * An error of `node:sqlite` (`code: 'ERR_SQLITE_ERROR'`, the extended result code in `errcode`)
 * in sqlite3's form, `SQLITE_CONSTRAINT: UNIQUE constraint failed: ...` with `code`
 * `SQLITE_CONSTRAINT`, so both connections' errors read and classify alike. Other errors
 * (a parameter that cannot be bound, a closed database) are returned as they are.
 */
export function withSqliteCode(error: unknown): unknown {
  const { errcode } = error as { errcode?: unknown };
  if (!(error instanceof Error) || typeof errcode !== 'number') return error;
  const code = PRIMARY_CODES[errcode & 0xff] ?? `SQLITE_${errcode & 0xff}`;
  return Object.assign(
    new Error(`${code}: ${error.message}`, { cause: error }),
    {
      code,
      errno: errcode & 0xff,
    },
  );
}
