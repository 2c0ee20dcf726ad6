import {
  decodeStored,
  jsonPage,
  storedRows,
  type PageShape,
} from './json-page.js';
import { SqliteWorker } from './sqlite-worker.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const shape: PageShape = {
  columns: [
    ['id', 'value'],
    ['name', 'value'],
    ['tags', 'json'],
    ['available', 'boolean'],
    ['price', 'value'],
  ],
  fields: null,
  maxChars: 1_000_000,
};

/** Rows as `SELECT *` gives them: table order, booleans as 0/1, lists as JSON text. */
const records = [
  {
    price: 4.5,
    available: 1,
    tags: '["a \\"b\\"","é😀\\\\"]',
    name: 'Cup',
    id: 'p1',
  },
  { price: null, available: 0, tags: null, name: 'x\n\t\u0001', id: 'p2' },
  { price: 0.1 + 0.2, available: null, tags: '[]', name: '', id: 'p3' },
];

const expected = [
  {
    id: 'p1',
    name: 'Cup',
    tags: ['a "b"', 'é😀\\'],
    available: true,
    price: 4.5,
  },
  { id: 'p2', name: 'x\n\t\u0001', tags: null, available: false, price: null },
  { id: 'p3', name: '', tags: [], available: null, price: 0.1 + 0.2 },
];

describe(decodeStored.name, () => {
  it('reads a message stored as base64 as UTF-8 text', () => {
    const text = 'not json é😀';
    expect(decodeStored('base64', Buffer.from(text).toString('base64'))).toBe(
      text,
    );
    expect(decodeStored('base64', null)).toBeNull();
  });
});

describe(jsonPage.name, () => {
  it('serializes the rows in column order, decoded, as JSON.stringify would', () => {
    const page = jsonPage(storedRows(records), shape, decodeStored);
    expect(page.json).toBe(JSON.stringify(expected));
    expect(page).toMatchObject({ count: 3, last: expected[2], cut: false });
  });

  it('keeps only the fields asked for, in the order asked; the last row stays whole', () => {
    const page = jsonPage(
      storedRows(records),
      { ...shape, fields: ['available', 'id'] },
      decodeStored,
    );
    expect(page.json).toBe(
      '[{"available":true,"id":"p1"},{"available":false,"id":"p2"},{"available":null,"id":"p3"}]',
    );
    expect(page.last).toEqual(expected[2]);
  });

  it('ends after the row that passes maxChars, with at least one row', () => {
    // Row p1 counts 2+2 + 4+3 + 4+19 + 9+8 + 5+8 = 64 characters.
    const two = jsonPage(
      storedRows(records),
      { ...shape, maxChars: 65 },
      decodeStored,
    );
    expect(JSON.parse(two.json)).toEqual(expected.slice(0, 2));
    expect(two).toMatchObject({ count: 2, last: expected[1], cut: true });
    const one = jsonPage(
      storedRows(records),
      { ...shape, maxChars: 1 },
      decodeStored,
    );
    expect(JSON.parse(one.json)).toEqual(expected.slice(0, 1));
    expect(one.cut).toBe(true);
    expect(
      jsonPage(
        storedRows(records.slice(0, 1)),
        { ...shape, maxChars: 1 },
        decodeStored,
      ).cut,
    ).toBe(false);
    expect(jsonPage(storedRows([]), shape, decodeStored)).toEqual({
      json: '[]',
      count: 0,
      last: null,
      cut: false,
    });
  });
});

describe('a page read in the SQLite worker thread', () => {
  let dir: string;
  const worker = new SqliteWorker();
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'json-page-'));
  });
  afterAll(async () => {
    await worker.terminate();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is the same text as the main thread makes of the same rows', async () => {
    const connection = await worker.open(
      join(dir, 'page.sqlite'),
      { readOnly: false, busyTimeoutMs: 0 },
      [],
    );
    await connection.run(
      'CREATE TABLE t ("price" REAL, "available" BOOLEAN, "tags" TEXT, "name" TEXT, "id" TEXT PRIMARY KEY)',
    );
    for (const record of records)
      await connection.run('INSERT INTO t VALUES (?, ?, ?, ?, ?)', [
        record.price,
        record.available,
        record.tags,
        record.name,
        record.id,
      ]);
    const sql = 'SELECT * FROM t ORDER BY "id" LIMIT ?';
    const rows = await connection.all<Record<string, unknown>>(sql, [10]);
    const inWorker = await connection.page(sql, [10], {
      ...shape,
      maxChars: 65,
    });
    expect(inWorker).toEqual(
      jsonPage(storedRows(rows), { ...shape, maxChars: 65 }, decodeStored),
    );
    expect(JSON.parse(inWorker.json)).toEqual(expected.slice(0, 2));
    await connection.close();
  });
});
