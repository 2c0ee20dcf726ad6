import { isEnvironmentFault, sqliteCode } from './sqlite-errors.js';

/** An error as sqlite3 reports it: the result code's name in `code`. */
function sqliteError(code: string, message = 'failed'): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

describe(isEnvironmentFault.name, () => {
  it.each([
    'SQLITE_BUSY',
    'SQLITE_LOCKED',
    'SQLITE_FULL',
    'SQLITE_IOERR',
    'SQLITE_READONLY',
    'SQLITE_CANTOPEN',
    'SQLITE_CORRUPT',
    'SQLITE_NOTADB',
  ])('takes %s for a fault of the environment', (code) => {
    expect(isEnvironmentFault(sqliteError(code))).toBe(true);
  });

  it.each([
    'SQLITE_CONSTRAINT',
    'SQLITE_ERROR',
    'SQLITE_MISMATCH',
    'SQLITE_TOOBIG',
  ])(
    'takes %s for a fault of the statement, decided alike on every node',
    (code) => {
      expect(isEnvironmentFault(sqliteError(code))).toBe(false);
    },
  );

  it('does not take an error without a SQLite code for one', () => {
    expect(isEnvironmentFault(new Error('SQLITE_BUSY in the text only'))).toBe(
      false,
    );
    expect(isEnvironmentFault(null)).toBe(false);
    expect(sqliteCode({ code: 'ECONNRESET' })).toBeNull();
  });
});
