import { DataSource } from 'typeorm';
import { SqliteReader } from './sqlite-reader.js';
import { sqliteDataSourceOptions } from './sqlite-options.js';
import { SqliteWriter } from './sqlite-writer.js';
import { temporaryDatabasePath } from '../../../../test/support/temporary-database.js';

async function newStorage() {
  const databasePath = temporaryDatabasePath();
  const dataSource = new DataSource(sqliteDataSourceOptions(databasePath, []));
  await dataSource.initialize();
  const writer = new SqliteWriter(dataSource);
  await writer.onModuleInit();
  const reader = new SqliteReader(dataSource);
  await reader.onModuleInit();
  const close = async () => {
    await reader.beforeApplicationShutdown();
    await writer.onApplicationShutdown();
    await dataSource.destroy();
  };
  return { writer, reader, close };
}

/** The message a promise rejects with; a hang fails the test by its timeout. */
function failureOf(work: Promise<unknown>): Promise<string> {
  return work.then(
    () => 'resolved',
    (error: unknown) => String(error),
  );
}

describe(SqliteWriter.name, () => {
  it('fails a transaction whose statement cannot be prepared, instead of holding the write lock for ever', async () => {
    const { writer, close } = await newStorage();
    expect(
      await failureOf(
        writer.transaction((tx) => tx.rows('SELECT * FROM "nowhere"')),
      ),
    ).toBe('Error: SQLITE_ERROR: no such table: nowhere');
    expect(
      await failureOf(
        writer.transaction((tx) =>
          tx.execute('INSERT INTO "nowhere" ("id") VALUES (?)', [1]),
        ),
      ),
    ).toBe('Error: SQLITE_ERROR: no such table: nowhere');
    await writer.transaction((tx) =>
      tx.execute('CREATE TABLE "nowhere" ("id" INTEGER)'),
    );
    await writer.transaction((tx) =>
      tx.execute('INSERT INTO "nowhere" ("id") VALUES (?)', [1]),
    );
    expect(
      await writer.transaction((tx) => tx.rows('SELECT * FROM "nowhere"')),
    ).toEqual([{ id: 1 }]);
    await close();
  }, 5_000);
  it('binds parameters as sqlite3 did, so rows read the same after the switch to node:sqlite', async () => {
    const { writer, reader, close } = await newStorage();
    await writer.transaction(async (tx) => {
      await tx.execute(
        'CREATE TABLE "kinds" ("n" INTEGER, "t" TEXT, "r" REAL, "b" INTEGER, "u" TEXT)',
      );
      await tx.execute('INSERT INTO "kinds" VALUES (?, ?, ?, ?, ?)', [
        7,
        7,
        2.5,
        true,
        undefined,
      ]);
    });
    expect(
      await reader.read(
        'SELECT "n", typeof("n") AS "nt", "t", "r", "b", "u" FROM "kinds"',
      ),
    ).toEqual([{ n: 7, nt: 'integer', t: '7', r: 2.5, b: 1, u: null }]);
    await close();
  }, 5_000);

  it("reports SQLite's errors with sqlite3's code and message, and rolls the transaction back", async () => {
    const { writer, reader, close } = await newStorage();
    await writer.transaction((tx) =>
      tx.execute('CREATE TABLE "once" ("id" INTEGER PRIMARY KEY)'),
    );
    const failure = await writer
      .transaction(async (tx) => {
        await tx.execute('INSERT INTO "once" VALUES (?)', [1]);
        await tx.execute('INSERT INTO "once" VALUES (?)', [1]);
      })
      .catch((error: unknown) => error as Error & { code?: string });
    expect(failure).toMatchObject({
      code: 'SQLITE_CONSTRAINT',
      message: 'SQLITE_CONSTRAINT: UNIQUE constraint failed: once.id',
    });
    expect(await reader.read('SELECT * FROM "once"')).toEqual([]);
    await writer.transaction((tx) =>
      tx.execute('INSERT INTO "once" VALUES (?)', [2]),
    );
    expect(await reader.read('SELECT * FROM "once"')).toEqual([{ id: 2 }]);
    await close();
  }, 5_000);

  it('refuses an in-memory database, which another connection could not see', async () => {
    const dataSource = new DataSource(sqliteDataSourceOptions(':memory:', []));
    await dataSource.initialize();
    await expect(new SqliteWriter(dataSource).onModuleInit()).rejects.toThrow(
      /writes to a database file/,
    );
    await dataSource.destroy();
  });
});

describe(SqliteReader.name, () => {
  it('rejects a read that cannot be prepared, and reads again once it can', async () => {
    const { writer, reader, close } = await newStorage();
    expect(await failureOf(reader.read('SELECT * FROM "later"'))).toBe(
      'Error: SQLITE_ERROR: no such table: later',
    );
    await writer.transaction((tx) =>
      tx.execute('CREATE TABLE "later" ("id" INTEGER)'),
    );
    expect(await reader.read('SELECT * FROM "later"')).toEqual([]);
    await close();
  }, 5_000);

  it('answers many reads of one statement at once, each with its own row', async () => {
    const { writer, reader, close } = await newStorage();
    await writer.transaction(async (tx) => {
      await tx.execute('CREATE TABLE "rows" ("id" INTEGER PRIMARY KEY)');
      for (let id = 0; id < 50; id++)
        await tx.execute('INSERT INTO "rows" ("id") VALUES (?)', [id]);
    });
    const ids = Array.from({ length: 50 }, (_, id) => id);
    const rows = await Promise.all(
      ids.map((id) =>
        reader.read('SELECT "id" FROM "rows" WHERE "id" = ?', [id]),
      ),
    );
    expect(rows).toEqual(ids.map((id) => [{ id }]));
    await close();
  }, 5_000);

  it('rejects every read waiting on a statement that cannot be prepared', async () => {
    const { reader, close } = await newStorage();
    const failures = await Promise.all(
      Array.from({ length: 6 }, () =>
        failureOf(reader.read('SELECT * FROM "nowhere"')),
      ),
    );
    expect(new Set(failures)).toEqual(
      new Set(['Error: SQLITE_ERROR: no such table: nowhere']),
    );
    await close();
  }, 5_000);
});
