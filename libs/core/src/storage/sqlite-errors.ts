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
