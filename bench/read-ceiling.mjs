// @ts-check
// The read path's ceiling: one process answering GET /users/:id with a prepared sqlite3 `get`
// on a node's SQLite file opened read-only (in WAL mode it reads committed data while a node
// writes). No Nest, no access control, no validation: what one row by id costs at the least.
// Express 5 by default (the platform the nodes use), or bare node:http with --http.
// sqlite3 by default (a libuv thread-pool round trip per read), or with --node-sqlite a
// `node:sqlite` prepared `get` on the calling thread (for comparison: see README, Benchmarks).
//
// `get` steps the statement once and leaves it on its row, so while requests overlap the
// connection stays in one read transaction: no lock or file check per read, but it would not
// see a later commit, so a node cannot read that way. --all reads as the nodes do (`all`: the
// statement runs to its end, each read its own transaction on the latest commit).
//
//   node bench/read-ceiling.mjs --db FILE [--port N] [--http] [--all] [--statements N] [--node-sqlite]
//
// prints "listening <port>" when ready; SIGTERM/SIGINT close it.
import express from 'express';
import sqlite3 from 'sqlite3';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** The pragmas of a node's read-only connection (libs/core/src/storage/sqlite-reader.ts). */
const READ_PRAGMAS = [
  'PRAGMA busy_timeout = 5000',
  'PRAGMA cache_size = -2000',
  'PRAGMA mmap_size = 268435456',
  'PRAGMA query_only = 1',
];
const SELECT_USER = 'SELECT * FROM "users" WHERE "id" = ?';

/**
 * @typedef {object} ReadCeilingOptions
 * @property {string} db the SQLite file (a node's, with a `users` table)
 * @property {number} [port] 0 (default): any free port
 * @property {string} [host] default 127.0.0.1
 * @property {'express' | 'http'} [server] default express
 * @property {'get' | 'all'} [read] sqlite3's `get` (default) or `all` (see above)
 * @property {'sqlite3' | 'node:sqlite'} [driver] default sqlite3
 * @property {number} [statements] prepared copies of the read, used round robin; sqlite3 runs
 *   the calls of one statement one after another, so several copies let reads overlap in
 *   libuv's thread pool (4 threads by default, the default here too)
 */

/**
 * Starts the ceiling server; resolves once it listens.
 * @param {ReadCeilingOptions} options
 * @returns {Promise<{ port: number, close: () => Promise<void> }>}
 */
export async function startReadCeiling(options) {
  const { host = '127.0.0.1', server = 'express' } = options;
  const reader =
    options.driver === 'node:sqlite'
      ? nodeSqliteReader(options.db)
      : await sqlite3Reader(options);
  const listener =
    server === 'http'
      ? httpListener(reader.findUser)
      : expressListener(reader.findUser);
  const httpServer = createServer(listener);
  await new Promise((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port ?? 0, host, () => resolve(undefined));
  });
  const address = httpServer.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: async () => {
      httpServer.closeAllConnections();
      await new Promise((resolve) =>
        httpServer.close(() => resolve(undefined)),
      );
      await reader.close();
    },
  };
}

/**
 * @typedef {object} RowReader
 * @property {(id: string, done: (error: Error | null, row: unknown) => void) => void} findUser
 * @property {() => Promise<void>} close
 */

/**
 * Reads with sqlite3: `statements` prepared copies used round robin, `get` or `all` (above).
 * @param {ReadCeilingOptions} options
 * @returns {Promise<RowReader>}
 */
async function sqlite3Reader({ db, read = 'get', statements = 4 }) {
  const database = await openReadOnly(db);
  const reads = await Promise.all(
    Array.from({ length: statements }, () => prepare(database, SELECT_USER)),
  );
  let next = 0;
  return {
    findUser: (id, done) => {
      const statement = reads[next];
      next = (next + 1) % reads.length;
      if (read === 'get') statement.get([id], done);
      else
        statement.all([id], (/** @type {Error | null} */ error, rows) =>
          done(error, rows?.[0]),
        );
    },
    close: async () => {
      for (const statement of reads)
        await new Promise((resolve) =>
          statement.finalize(() => resolve(undefined)),
        );
      await new Promise((resolve) => database.close(() => resolve(undefined)));
    },
  };
}

/**
 * Reads with a `node:sqlite` prepared `get` on the calling thread: each read its own
 * transaction on the latest commit.
 * @param {string} db
 * @returns {RowReader}
 */
function nodeSqliteReader(db) {
  const { DatabaseSync } = process.getBuiltinModule('node:sqlite');
  const database = new DatabaseSync(db, { readOnly: true, timeout: 0 });
  for (const pragma of READ_PRAGMAS.filter((p) => !p.includes('busy_timeout')))
    database.exec(pragma);
  const statement = database.prepare(SELECT_USER);
  return {
    findUser: (id, done) => {
      let row;
      try {
        row = statement.get(id);
      } catch (error) {
        done(/** @type {Error} */ (error), undefined);
        return;
      }
      done(null, row);
    },
    close: async () => database.close(),
  };
}

/**
 * Express 5 with one route; Express's body ETags and X-Powered-By off, as on the nodes.
 * @param {(id: string, done: (error: Error | null, row: unknown) => void) => void} findUser
 */
function expressListener(findUser) {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/users/:id', (request, response, next) => {
    findUser(request.params.id, (error, row) => {
      if (error) next(error);
      else if (row === undefined)
        response.status(404).json({ status: 404, title: 'Not Found' });
      else response.json(row);
    });
  });
  return app;
}

/**
 * node:http alone: the path taken apart by hand, the row written with JSON.stringify.
 * @param {(id: string, done: (error: Error | null, row: unknown) => void) => void} findUser
 * @returns {import('node:http').RequestListener}
 */
function httpListener(findUser) {
  const prefix = '/users/';
  return (request, response) => {
    const url = request.url ?? '';
    const end = url.indexOf('?');
    const path = end === -1 ? url : url.slice(0, end);
    if (request.method !== 'GET' || !path.startsWith(prefix)) {
      response.writeHead(404).end();
      return;
    }
    findUser(decodeURIComponent(path.slice(prefix.length)), (error, row) => {
      if (error) {
        response.writeHead(500).end();
        return;
      }
      const body = JSON.stringify(row ?? { status: 404, title: 'Not Found' });
      response.writeHead(row === undefined ? 404 : 200, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': Buffer.byteLength(body),
      });
      response.end(body);
    });
  };
}

/** @param {string} file @returns {Promise<import('sqlite3').Database>} */
async function openReadOnly(file) {
  const database = await new Promise((resolve, reject) => {
    const opened = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (error) =>
      error ? reject(error) : resolve(opened),
    );
  });
  for (const pragma of READ_PRAGMAS)
    await new Promise((resolve, reject) =>
      database.run(pragma, (/** @type {Error | null} */ error) =>
        error ? reject(error) : resolve(undefined),
      ),
    );
  return database;
}

/** @param {import('sqlite3').Database} database @param {string} sql @returns {Promise<import('sqlite3').Statement>} */
function prepare(database, sql) {
  return new Promise((resolve, reject) => {
    const statement = database.prepare(sql, (error) =>
      error ? reject(error) : resolve(statement),
    );
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      db: { type: 'string' },
      port: { type: 'string', default: '0' },
      http: { type: 'boolean', default: false },
      all: { type: 'boolean', default: false },
      statements: { type: 'string', default: '4' },
      'node-sqlite': { type: 'boolean', default: false },
    },
  });
  if (!values.db) {
    process.stderr.write(
      'usage: node bench/read-ceiling.mjs --db FILE [--port N] [--http] [--all] [--statements N] [--node-sqlite]\n',
    );
    process.exit(2);
  }
  const ceiling = await startReadCeiling({
    db: values.db,
    port: Number(values.port),
    server: values.http ? 'http' : 'express',
    read: values.all ? 'all' : 'get',
    statements: Number(values.statements),
    driver: values['node-sqlite'] ? 'node:sqlite' : 'sqlite3',
  });
  process.stdout.write(`listening ${ceiling.port}\n`);
  const shutdown = () => void ceiling.close().finally(() => process.exit(0));
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
