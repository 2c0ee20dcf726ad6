// @ts-check
/** The ceilings the figures are compared with: raw kafkajs, an empty Nest route, raw sqlite3. */
import sqlite3 from 'sqlite3';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { supervise, terminate } from '../tools/supervisor/children.mjs';
import { findFreePort } from '../tools/kafka/broker.mjs';
import {
  cpuWindow,
  fmtInt,
  load,
  progress,
  readByIdRequest,
  round,
} from './lib.mjs';
import { HERE, CONFIG } from './config.mjs';
import { userEvent } from './probes.mjs';

// ---------------------------------------------------------------------------------------------
// Ceilings
// ---------------------------------------------------------------------------------------------

/**
 * Raw kafkajs: produce `events` envelopes in batches (acks=all), `inFlight` batches at a time.
 * This also fills the catch-up topic.
 * @param {import('kafkajs').Kafka} kafka @param {string} topic @param {string} runId
 */
export async function kafkaCeiling(kafka, topic, runId) {
  const { events, produceBatch, produceInFlight } = CONFIG.catchUp;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
  });
  await admin.disconnect();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  /** @type {{ id: string, name: string, email: string, at: string }[]} */
  const rows = [];
  /** @type {{ key: string, value: Buffer }[][]} */
  const batches = [];
  let bytes = 0;
  for (let start = 0; start < events; start += produceBatch) {
    const batch = [];
    for (let i = start; i < Math.min(events, start + produceBatch); i++) {
      const event = userEvent(runId, i);
      rows.push({
        id: event.entityId,
        name: event.data.name,
        email: event.data.email,
        at: event.occurredAt,
      });
      const value = Buffer.from(JSON.stringify(event));
      bytes += value.length;
      batch.push({ key: event.entityId, value });
    }
    batches.push(batch);
  }
  progress(
    `  kafkajs: producing ${fmtInt(events)} events (${(bytes / events).toFixed(0)} B each) to ${topic} in batches of ${produceBatch}, ${produceInFlight} in flight, acks=all`,
  );
  const started = performance.now();
  const cpu = cpuWindow();
  let next = 0;
  let done = 0;
  let lastReport = started;
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++];
      await producer.send({ topic, acks: -1, messages: batch });
      done += batch.length;
      if (performance.now() - lastReport > 2_000) {
        lastReport = performance.now();
        progress(`  kafkajs: ${fmtInt(done)}/${fmtInt(events)} events`);
      }
    }
  };
  await Promise.all(Array.from({ length: produceInFlight }, worker));
  const seconds = (performance.now() - started) / 1000;
  const machine = cpu();
  await producer.disconnect();
  return {
    rows,
    result: {
      events,
      bytesPerEvent: round(bytes / events, 0),
      batch: produceBatch,
      inFlight: produceInFlight,
      seconds: round(seconds, 2),
      eventsPerSecond: round(events / seconds, 0),
      megabytesPerSecond: round(bytes / seconds / 1024 ** 2, 1),
      machine,
    },
  };
}

/** The fetch sizes of the nodes' consumer (libs/event-log/src/kafka/kafka-options.ts). */
const NODE_FETCH = {
  maxBytesPerPartition: 512 * 1024,
  maxBytes: 2 * 1024 * 1024,
};

/**
 * Raw kafkajs consume: a consumer of a fresh group, with the nodes' fetch sizes, reads `topic`
 * from its start to `end` and only counts the messages (kafkajs decodes the record batches, as
 * it does for a node). What a catch-up could reach if applying cost nothing.
 * @param {import('kafkajs').Kafka} kafka @param {string} topic @param {number} end
 */
export async function kafkaConsumeCeiling(kafka, topic, end) {
  const consumer = kafka.consumer({
    groupId: `bench-consume-ceiling-${Date.now()}`,
    maxWaitTimeInMs: 100,
    ...NODE_FETCH,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const cpu = cpuWindow();
  const started = performance.now();
  let count = 0;
  /** @type {() => void} */
  let reached = () => {};
  const done = new Promise((resolve) => (reached = () => resolve(undefined)));
  await consumer.run({
    eachBatchAutoResolve: true,
    eachBatch: async ({ batch }) => {
      count += batch.messages.length;
      if (Number(batch.lastOffset()) >= end - 1) reached();
    },
  });
  await done;
  const seconds = (performance.now() - started) / 1000;
  const machine = cpu();
  await consumer.disconnect();
  return {
    events: count,
    seconds: round(seconds, 2),
    eventsPerSecond: round(count / seconds, 0),
    fetch: NODE_FETCH,
    machine,
  };
}

/**
 * Starts one of the ceiling servers of this folder and resolves with its port once it prints
 * `listening <port>`. @param {string[]} args @returns {Promise<{ port: number, stop: () => Promise<void> }>}
 */
async function startCeilingServer(args) {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, PORT: String(await findFreePort()) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = supervise(child);
  const port = await new Promise((resolveReady, reject) => {
    child.stdout?.on('data', (d) => {
      const match = /listening (\d+)/.exec(String(d));
      if (match) resolveReady(Number(match[1]));
    });
    child.once('exit', (code) =>
      reject(new Error(`${args.join(' ')} exited with ${code}`)),
    );
  });
  return { port, stop: () => terminate(child, exited) };
}

/** Empty Nest/Express route on one process (bench/empty-nest.mjs). */
export async function httpCeiling() {
  const server = await startCeilingServer([join(HERE, 'empty-nest.mjs')]);
  const { connections, durationSeconds } = CONFIG.httpCeiling;
  const result = await load('empty route', {
    url: `http://127.0.0.1:${server.port}/ping`,
    connections,
    duration: durationSeconds,
  });
  await server.stop();
  return { connections, ...result };
}

/**
 * The read route's ceiling: a bare Express 5 route, then bare node:http, each answering
 * GET /users/{id} with a prepared sqlite3 `get` on a read-only connection to a node's file
 * (bench/read-ceiling.mjs), one process, under the load of ClusterLite's own read scenario.
 * @param {string} dbPath @param {string[]} ids
 */
export async function readCeiling(dbPath, ids) {
  const { connections, durationSeconds } = CONFIG.reads;
  /** @param {string} label @param {string[]} flags */
  const measure = async (label, flags) => {
    const server = await startCeilingServer([
      join(HERE, 'read-ceiling.mjs'),
      '--db',
      dbPath,
      ...flags,
    ]);
    const result = await load(label, {
      url: `http://127.0.0.1:${server.port}`,
      connections,
      duration: durationSeconds,
      requests: [readByIdRequest(ids)],
    });
    await server.stop();
    return { connections, processes: 1, ...result };
  };
  return {
    express: await measure('bare Express read', []),
    nodeHttp: await measure('bare node:http read', ['--http']),
    expressNodeSqlite: await measure('bare Express read, node:sqlite', [
      '--node-sqlite',
    ]),
  };
}

/**
 * Raw sqlite3: the same rows, upserted with one prepared statement in one transaction, into a
 * table with the schema the node created (copied from a node's file), with the nodes' pragmas.
 * Also the same statements awaited one by one (what one round trip per statement costs).
 * @param {string} schemaFrom a node's SQLite file @param {{ id: string, name: string, email: string, at: string }[]} rows
 * @param {string} dir
 */
export async function sqliteCeiling(schemaFrom, rows, dir) {
  /** @param {import('sqlite3').Database} db @param {string} sql @param {unknown[]} [params] */
  const run = (db, sql, params = []) =>
    new Promise((res, rej) =>
      db.run(sql, params, (/** @type {Error | null} */ e) =>
        e ? rej(e) : res(undefined),
      ),
    );
  /** @param {import('sqlite3').Database} db @param {string} sql @param {unknown[]} [params] */
  const all = (db, sql, params = []) =>
    new Promise((res, rej) =>
      db.all(
        sql,
        params,
        (/** @type {Error | null} */ e, /** @type {any[]} */ r) =>
          e ? rej(e) : res(r),
      ),
    );
  /** @param {string} file @returns {Promise<import('sqlite3').Database>} */
  const open = (file, mode = sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE) =>
    new Promise((res, rej) => {
      const db = new sqlite3.Database(file, mode, (e) =>
        e ? rej(e) : res(db),
      );
    });
  /** @param {import('sqlite3').Database} db */
  const close = (db) => new Promise((res) => db.close(() => res(undefined)));

  const source = await open(schemaFrom, sqlite3.OPEN_READONLY);
  /** @type {{ sql: string }[]} */
  const ddl = /** @type {any} */ (
    await all(
      source,
      `SELECT sql FROM sqlite_master WHERE tbl_name = 'users' AND sql IS NOT NULL ORDER BY type DESC`,
    )
  );
  /** @type {{ name: string }[]} */
  const columns = /** @type {any} */ (
    await all(source, `PRAGMA table_info("users")`)
  );
  await close(source);
  const names = columns.map((c) => c.name);
  for (const needed of [
    'id',
    'name',
    'email',
    'version',
    'createdAt',
    'updatedAt',
  ]) {
    if (!names.includes(needed))
      throw new Error(
        `users table has no column ${needed} (${names.join(', ')})`,
      );
  }
  const upsert =
    'INSERT INTO "users" ("id", "name", "email", "version", "createdAt", "updatedAt") VALUES (?, ?, ?, 1, ?, ?) ' +
    'ON CONFLICT ("id") DO UPDATE SET "name" = excluded."name", "email" = excluded."email", "version" = "version" + 1, "updatedAt" = excluded."updatedAt"';

  /** The node's pragmas (libs/core/src/storage/sqlite-options.ts), for both drivers. */
  const NODE_PRAGMAS = [
    'PRAGMA journal_mode = WAL',
    'PRAGMA synchronous = NORMAL',
    'PRAGMA busy_timeout = 5000',
    'PRAGMA cache_size = -2000',
    'PRAGMA mmap_size = 268435456',
  ];

  /** @param {string} name @param {boolean} awaitEach */
  const measure = async (name, awaitEach) => {
    const file = join(dir, `${name}.sqlite`);
    const db = await open(file);
    for (const pragma of NODE_PRAGMAS) await all(db, pragma);
    for (const { sql } of ddl) await run(db, sql);
    const started = performance.now();
    const cpu = cpuWindow();
    await run(db, 'BEGIN IMMEDIATE');
    const statement = db.prepare(upsert);
    if (awaitEach) {
      for (const r of rows) {
        await new Promise((res, rej) =>
          statement.run(
            [r.id, r.name, r.email, r.at, r.at],
            (/** @type {Error | null} */ e) => (e ? rej(e) : res(undefined)),
          ),
        );
      }
    } else {
      let pending = rows.length;
      let failure = null;
      await new Promise((res) => {
        for (const r of rows) {
          statement.run(
            [r.id, r.name, r.email, r.at, r.at],
            (/** @type {Error | null} */ e) => {
              if (e) failure ??= e;
              if (--pending === 0) res(undefined);
            },
          );
        }
      });
      if (failure) throw failure;
    }
    await new Promise((res) => statement.finalize(() => res(undefined)));
    await run(db, 'COMMIT');
    const seconds = (performance.now() - started) / 1000;
    await close(db);
    return {
      rows: rows.length,
      seconds: round(seconds, 2),
      rowsPerSecond: round(rows.length / seconds, 0),
      machine: cpu(),
    };
  };
  progress(
    `  sqlite3: ${fmtInt(rows.length)} upserts, one prepared statement, one transaction, queued`,
  );
  const queued = await measure('ceiling-queued', false);
  progress(
    `  sqlite3: ${fmtInt(queued.rowsPerSecond)} rows/s; now the same, awaiting each statement`,
  );
  const awaited = await measure('ceiling-awaited', true);
  progress(
    `  sqlite3: ${fmtInt(awaited.rowsPerSecond)} rows/s awaited one by one`,
  );
  progress(
    `  node:sqlite: the same upserts on the calling thread (for comparison)`,
  );
  const nodeSqlite = (() => {
    const { DatabaseSync } = process.getBuiltinModule('node:sqlite');
    const db = new DatabaseSync(join(dir, 'ceiling-node-sqlite.sqlite'), {
      timeout: 5000,
    });
    for (const pragma of NODE_PRAGMAS) db.exec(pragma);
    for (const { sql } of ddl) db.exec(sql);
    const started = performance.now();
    const cpu = cpuWindow();
    db.exec('BEGIN IMMEDIATE');
    const statement = db.prepare(upsert);
    for (const r of rows) statement.run(r.id, r.name, r.email, r.at, r.at);
    db.exec('COMMIT');
    const seconds = (performance.now() - started) / 1000;
    db.close();
    return {
      rows: rows.length,
      seconds: round(seconds, 2),
      rowsPerSecond: round(rows.length / seconds, 0),
      machine: cpu(),
    };
  })();
  progress(`  node:sqlite: ${fmtInt(nodeSqlite.rowsPerSecond)} rows/s`);
  return { statement: upsert, queued, awaitedOneByOne: awaited, nodeSqlite };
}
