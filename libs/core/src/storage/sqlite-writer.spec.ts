import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { temporaryDatabasePath } from '../../../../test/support/temporary-database.js';
import { SqliteReader } from './sqlite-reader.js';
import { sqliteDataSourceOptions } from './sqlite-options.js';
import { SqliteWorker } from './sqlite-worker.js';
import { SqliteWriter } from './sqlite-writer.js';

async function newStorage(databasePath = temporaryDatabasePath()) {
  const dataSource = new DataSource(sqliteDataSourceOptions(databasePath, []));
  await dataSource.initialize();
  const writer = new SqliteWriter(dataSource);
  writer.onModuleInit();
  const reader = new SqliteReader(dataSource);
  reader.onModuleInit();
  const close = async () => {
    await reader.beforeApplicationShutdown();
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

/** How late each of a run of `intervalMs` timers fired, one after another while `more()`. */
async function timerLateness(
  intervalMs: number,
  more: () => boolean,
): Promise<number[]> {
  const lateness: number[] = [];
  while (more()) {
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    lateness.push(performance.now() - started - intervalMs);
  }
  return lateness;
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

  it("waits for another connection's write lock without blocking the event loop, then writes", async () => {
    const databasePath = temporaryDatabasePath();
    const { writer, reader, close } = await newStorage(databasePath);
    await writer.transaction((tx) =>
      tx.execute('CREATE TABLE "waits" ("id" INTEGER)'),
    );
    // Another connection holds the write lock, as an operator's sqlite3 shell would. (In this
    // process it must be the same SQLite library as the writer's, node:sqlite: two copies of
    // SQLite in one process do not see each other's POSIX locks; see README, Choices.)
    const other = new DatabaseSync(databasePath);
    const exec = async (sql: string) => other.exec(sql);
    await exec('BEGIN IMMEDIATE');
    const writing = writer.transaction((tx) =>
      tx.execute('INSERT INTO "waits" VALUES (?)', [1]),
    );
    // Timers keep firing on time while the write waits for the lock.
    let ticks = 0;
    const lateness = await timerLateness(20, () => ++ticks <= 10);
    expect(Math.max(...lateness)).toBeLessThan(150);
    expect(await reader.read('SELECT * FROM "waits"')).toEqual([]);
    await exec('ROLLBACK');
    other.close();
    expect(await writing).toBe(1);
    expect(await reader.read('SELECT * FROM "waits"')).toEqual([{ id: 1 }]);
    await close();
  }, 10_000);

  it("rolls back a transaction whose statement fails, with SQLite's code and message", async () => {
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
    await close();
  }, 5_000);
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

describe('SqliteReader in its worker thread', () => {
  it('runs a long read in the worker thread while the event loop goes on serving', async () => {
    const { reader, close } = await newStorage();
    // Some hundreds of milliseconds of SQLite work (a recursive count), in the worker thread.
    const started = performance.now();
    const counting = reader.read<{ n: number }>(
      'WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3000000) SELECT max(n) AS n FROM c',
    );
    let done = false;
    void counting.finally(() => (done = true));
    const lateness = await timerLateness(10, () => !done);
    expect(await counting).toEqual([{ n: 3_000_000 }]);
    const took = performance.now() - started;
    // On the calling thread the timer would fire once, after the whole count. Here it keeps
    // firing; on a busy machine a tick can be late, but never by most of the count.
    expect(lateness.length).toBeGreaterThan(5);
    expect(Math.max(...lateness)).toBeLessThan(took / 2);
    await close();
  }, 20_000);

  it('reads several statements from one committed state in snapshot(), while the writer commits', async () => {
    const { writer, reader, close } = await newStorage();
    await writer.transaction((tx) =>
      tx.execute('CREATE TABLE "items" ("id" INTEGER PRIMARY KEY)'),
    );
    await writer.transaction((tx) =>
      tx.execute('INSERT INTO "items" VALUES (1), (2)'),
    );
    const seen = await reader.snapshot(async (read) => {
      const before = await read<{ n: number }>(
        'SELECT count(*) AS n FROM "items"',
      );
      await writer.transaction((tx) =>
        tx.execute('INSERT INTO "items" VALUES (3)'),
      );
      const after = await read<{ n: number }>(
        'SELECT count(*) AS n FROM "items"',
      );
      return [before, after];
    });
    expect(seen).toEqual([[{ n: 2 }], [{ n: 2 }]]);
    expect(await reader.read('SELECT count(*) AS n FROM "items"')).toEqual([
      { n: 3 },
    ]);
    await close();
  }, 10_000);

  it('reads by key on the calling thread what the writer committed, with the same values as the worker', async () => {
    const { writer, reader, close } = await newStorage();
    await writer.transaction(async (tx) => {
      await tx.execute(
        'CREATE TABLE "kinds" ("id" TEXT PRIMARY KEY, "n" INTEGER, "x" REAL, "t" TEXT, "b" BLOB)',
      );
      await tx.execute('INSERT INTO "kinds" VALUES (?, ?, ?, ?, ?)', [
        'a',
        7,
        1.5,
        '7',
        Buffer.from('hi'),
      ]);
    });
    const sql = 'SELECT * FROM "kinds" WHERE "id" = ?';
    const byKey = await reader.readByKey(sql, ['a']);
    expect(byKey).toEqual([
      { id: 'a', n: 7, x: 1.5, t: '7', b: new Uint8Array(Buffer.from('hi')) },
    ]);
    expect(await reader.read(sql, ['a'])).toEqual(byKey);
    await close();
  }, 5_000);

  it('ends the worker thread once the read connection has been idle, and starts it again for the next read', async () => {
    const { reader, close } = await newStorage();
    const worker = (reader as unknown as { worker: SqliteWorker }).worker;
    reader.idleMs = 400;
    // A health probe reads on the calling thread: no worker thread for it.
    expect(await reader.readByKey('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect(worker.running).toBe(false);
    expect(await reader.read('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect(worker.running).toBe(true);
    await sleep(300);
    expect(await reader.read('SELECT 2 AS two')).toEqual([{ two: 2 }]);
    await sleep(200);
    // 500 ms after the first read, 200 ms after the last: still open.
    expect(worker.running).toBe(true);
    await sleep(800);
    expect(worker.running).toBe(false);
    expect(await reader.read('SELECT 3 AS three')).toEqual([{ three: 3 }]);
    expect(worker.running).toBe(true);
    await close();
  }, 5_000);

  it('keeps the worker thread while a snapshot holds a connection, however long between its reads', async () => {
    const { writer, reader, close } = await newStorage();
    const worker = (reader as unknown as { worker: SqliteWorker }).worker;
    reader.idleMs = 50;
    await writer.transaction((tx) =>
      tx.execute('CREATE TABLE "items" ("id" INTEGER PRIMARY KEY)'),
    );
    expect(await reader.read('SELECT count(*) AS n FROM "items"')).toEqual([
      { n: 0 },
    ]);
    const seen = await reader.snapshot(async (read) => {
      const before = await read('SELECT count(*) AS n FROM "items"');
      await writer.transaction((tx) =>
        tx.execute('INSERT INTO "items" VALUES (1)'),
      );
      await sleep(300);
      expect(worker.running).toBe(true);
      return [before, await read('SELECT count(*) AS n FROM "items"')];
    });
    expect(seen).toEqual([[{ n: 0 }], [{ n: 0 }]]);
    await sleep(50);
    expect(worker.running).toBe(false);
    await close();
  }, 5_000);

  it('fails only the requests of a thread that died, not those of the thread started after it', async () => {
    const worker = new SqliteWorker();
    const path = temporaryDatabasePath();
    new DatabaseSync(path).close();
    const first = await worker.open(
      path,
      { readOnly: true, busyTimeoutMs: 0 },
      [],
    );
    const dying = worker.terminate();
    const second = await worker.open(
      path,
      { readOnly: true, busyTimeoutMs: 0 },
      [],
    );
    await dying;
    expect(first.open).toBe(false);
    expect(await second.all('SELECT 4 AS four')).toEqual([{ four: 4 }]);
    await first.close();
    await second.close();
    expect(worker.running).toBe(false);
  }, 5_000);

  it('starts another worker thread when its thread has died', async () => {
    const { reader, close } = await newStorage();
    expect(await reader.read('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await (
      reader as unknown as { worker: { terminate(): Promise<void> } }
    ).worker.terminate();
    expect(await reader.read('SELECT 2 AS two')).toEqual([{ two: 2 }]);
    await close();
  }, 5_000);
});
