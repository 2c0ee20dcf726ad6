/**
 * Rows as a client reads them, serialized where they are read: a page of a list is read and
 * turned into its JSON text in the SQLite worker thread (`SqliteWorker`), so the main thread
 * only sends the text. `decodeStored` and `jsonPage` are that code, and the main thread uses
 * them too (`EntityDefinition.toRow`, a database in memory): one way to turn rows into JSON.
 * Their source text is also the worker thread's, so each names nothing outside itself.
 */

/**
 * How a column's stored value becomes its JSON value: SQLite stores booleans as 0 or 1,
 * arrays as JSON text, and the bytes of a dead-lettered message as base64 (read as UTF-8).
 */
export type StoredDecoding = 'value' | 'boolean' | 'json' | 'base64';

/** Which columns a page's rows have, in answer order, and which of them the client asked for. */
export interface PageShape {
  columns: readonly (readonly [name: string, decoding: StoredDecoding])[];
  /** Null: every column. */
  fields: readonly string[] | null;
  /** The page ends once its rows hold about this many characters (it holds at least one). */
  maxChars: number;
}

/** A page of an answer, serialized where it was read: rows of a list, events of a history. */
export interface JsonPage<T = Record<string, unknown>> {
  /** The page as a JSON array (of rows: with only the fields asked for). */
  json: string;
  count: number;
  /** Its last item with every column (the next page starts after it); null for an empty page. */
  last: T | null;
  /** Whether it ended at `maxChars` with items left to read. */
  cut: boolean;
}

/**
 * The item the next page starts after, when there may be one: the page is full (`limit`
 * items) or ended at `maxChars`; else null.
 */
export function nextPageAfter<T>(page: JsonPage<T>, limit: number): T | null {
  return page.count === limit || page.cut ? page.last : null;
}

/** Rows as SQLite gives them, each an array of values in the order of `columns`. */
export interface StoredRows {
  columns: readonly string[];
  rows: readonly (readonly unknown[])[];
}

/** A stored value as a client reads it. */
export function decodeStored(
  decoding: StoredDecoding,
  value: unknown,
): unknown {
  if (value === null || value === undefined) return null;
  if (decoding === 'boolean') return value === 1 || value === true;
  if (decoding === 'json')
    return JSON.parse(typeof value === 'string' ? value : '[]');
  if (decoding === 'base64')
    return typeof value === 'string'
      ? Buffer.from(value, 'base64').toString('utf8')
      : null;
  return value;
}

/**
 * Rows read from SQLite as a page of the answer, up to about `shape.maxChars` of text (the
 * column names and the stored values, 8 for a number); `decode` is `decodeStored`.
 */
export function jsonPage(
  stored: StoredRows,
  shape: PageShape,
  decode: typeof decodeStored,
): JsonPage {
  const columns = shape.columns
    .map(([name, decoding]) => ({
      name,
      decoding,
      at: stored.columns.indexOf(name),
    }))
    .filter((column) => column.at >= 0);
  const rows: Record<string, unknown>[] = [];
  let length = 0;
  for (const values of stored.rows) {
    // Past the budget with a row left: the page ends before it.
    if (length >= shape.maxChars) break;
    const row: Record<string, unknown> = {};
    for (const { name, decoding, at } of columns) {
      const value = values[at];
      row[name] = decode(decoding, value);
      length += name.length + (typeof value === 'string' ? value.length : 8);
    }
    rows.push(row);
  }
  const fields = shape.fields;
  const body = fields
    ? rows.map((row) => {
        const picked: Record<string, unknown> = {};
        for (const field of fields) picked[field] = row[field];
        return picked;
      })
    : rows;
  return {
    json: JSON.stringify(body),
    count: rows.length,
    last: rows.length > 0 ? rows[rows.length - 1] : null,
    cut: rows.length < stored.rows.length,
  };
}

/** Rows read as objects (a database in memory), as `StoredRows`. */
export function storedRows(
  records: readonly Record<string, unknown>[],
): StoredRows {
  const columns = records.length > 0 ? Object.keys(records[0]) : [];
  return {
    columns,
    rows: records.map((record) => columns.map((column) => record[column])),
  };
}
