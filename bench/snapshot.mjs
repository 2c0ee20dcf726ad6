// @ts-check
/**
 * Does a snapshot stop a node from applying events? `npm run bench:snapshot`
 *
 *   1. a real broker; a node creates its file and topics, then stops;
 *   2. 1,000,000 rows go into its `users` table by direct SQL (a recursive CTE), and EVENTS user
 *      events onto its topic, so a backlog waits for it;
 *   3. run A: the node starts on a copy of that file and applies the backlog, nothing else;
 *   4. run B: the same file, the same backlog, and `GET /_cluster/snapshot` downloaded while it
 *      applies: the apply rate inside the snapshot window is compared with run A's.
 *
 *   --events <n>   backlog per run (default 200,000)   --rows <n>  pre-filled rows (default 1,000,000)
 * Writes bench/results/snapshot.json.
 */
import { Kafka, logLevel } from 'kafkajs';
import sqlite3 from 'sqlite3';
import { v7 as uuidv7 } from 'uuid';
import {
  copyFileSync,
  mkdtempSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { SupervisedNode } from '../tools/supervisor/node.mjs';
import {
  ensureKafkaJars,
  findFreePort,
  startKafkaBroker,
} from '../tools/kafka/broker.mjs';
import {
  fmtInt,
  progress,
  round,
  setProgressLabel,
  sleep,
  waitFor200,
} from './lib.mjs';

setProgressLabel('bench:snapshot');
const HERE = import.meta.dirname;
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    rows: { type: 'string', default: '1000000' },
  },
});
const EVENTS = Number(values.events);
const ROWS = Number(values.rows);
const work = mkdtempSync(join(tmpdir(), 'clusterlite-bench-snapshot-'));
const prefix = `bsnap${Date.now().toString(36)}`;
const topic = `${prefix}.users`;

/** @param {string} path @param {(db: sqlite3.Database) => Promise<any>} fn */
async function withDb(path, fn) {
  const db = await new Promise((ok, fail) => {
    const opened = new sqlite3.Database(path, (e) =>
      e ? fail(e) : ok(opened),
    );
  });
  try {
    return await fn(db);
  } finally {
    await new Promise((ok) => db.close(() => ok(undefined)));
  }
}
/** @param {sqlite3.Database} db @param {string} sql @returns {Promise<any[]>} */
const all = (db, sql) =>
  new Promise((ok, fail) => db.all(sql, (e, rows) => (e ? fail(e) : ok(rows))));

/** @param {string} brokers @param {string} dbPath @param {string} name */
async function startNode(brokers, dbPath, name) {
  // The supervisor (tools/supervisor) never leaves it behind, whatever ends the script.
  const node = new SupervisedNode({
    nodeId: 'bench',
    port: await findFreePort(),
    dbPath,
    logFile: join(work, `${name}.log`),
    env: {
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: prefix,
      LOG_LEVEL: 'warn',
    },
    readyTimeoutMs: 120_000,
  });
  await node.start('live');
  /** @type {sqlite3.Database | undefined} */
  let reader;
  return {
    url: node.url,
    /**
     * Offset of the last applied event of the users topic, or -1. Read from the file on a
     * read-only connection: /_cluster/status would checksum the 1M rows on every poll.
     */
    applied: () =>
      new Promise((ok) => {
        reader ??= new sqlite3.Database(dbPath, sqlite3.OPEN_READONLY);
        reader.get(
          'SELECT "offset" FROM "_clusterlite_positions" WHERE "topic" = ? AND "partition" = 0',
          [topic],
          (/** @type {Error | null} */ error, /** @type {any} */ row) =>
            ok(error || !row ? -1 : Number(row.offset)),
        );
      }),
    stop: async () => {
      reader?.close();
      await node.stop();
    },
  };
}

/** Fills `users` with ROWS rows whatever its columns are (read from the file). @param {string} dbPath */
async function fillRows(dbPath) {
  await withDb(dbPath, async (db) => {
    const columns = await all(db, 'PRAGMA table_info("users")');
    const value = (/** @type {{ name: string, type: string }} */ c) => {
      if (c.name === 'id') return "printf('fill-%07d', i)";
      if (c.name === 'name') return "printf('Filled User %d', i)";
      if (c.name === 'email') return "printf('fill-%d@bench.example', i)";
      if (c.name === 'version') return '1';
      if (/INT|REAL|NUM/i.test(c.type)) return '0';
      return "'2026-01-01T00:00:00.000Z'";
    };
    const names = columns.map((c) => `"${c.name}"`).join(', ');
    const exprs = columns.map(value).join(', ');
    await all(
      db,
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS}) ` +
        `INSERT INTO "users" (${names}) SELECT ${exprs} FROM n`,
    );
    await all(db, 'PRAGMA wal_checkpoint(TRUNCATE)');
  });
}

/** @param {Kafka} kafka */
async function produceBacklog(kafka) {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  for (let start = 0; start < EVENTS; start += 1_000) {
    const messages = [];
    for (let i = start; i < Math.min(EVENTS, start + 1_000); i++) {
      const entityId = uuidv7();
      messages.push({
        key: entityId,
        value: JSON.stringify({
          eventId: uuidv7(),
          type: 'created',
          table: 'users',
          entityId,
          data: { name: `Backlog ${i}`, email: `backlog-${i}@bench.example` },
          expectedVersion: null,
          occurredAt: new Date().toISOString(),
          origin: 'bench-snapshot',
          schemaVersion: 1,
        }),
      });
    }
    await producer.send({ topic, acks: -1, messages });
  }
  await producer.disconnect();
}

/**
 * Starts the node on a fresh copy of the filled file and samples its applied offset every
 * 100 ms until the backlog is applied; with `snapshot`, downloads one meanwhile.
 * @param {string} brokers @param {string} filled @param {string} name @param {boolean} snapshot
 */
async function applyRun(brokers, filled, name, snapshot) {
  const dbPath = join(work, `${name}.sqlite`);
  copyFileSync(filled, dbPath);
  const node = await startNode(brokers, dbPath, name);
  /** @type {{ t: number, applied: number }[]} */
  const samples = [];
  let window = { start: NaN, end: NaN, bytes: 0 };
  const download = snapshot
    ? (async () => {
        await sleep(1_000);
        window.start = performance.now();
        const response = await fetch(`${node.url}/_cluster/snapshot`);
        const body = Buffer.from(await response.arrayBuffer());
        window.end = performance.now();
        window.bytes = body.length;
        if (response.status !== 200)
          throw new Error(`snapshot answered ${response.status}`);
      })()
    : Promise.resolve();
  for (;;) {
    const applied = await node.applied();
    samples.push({ t: performance.now(), applied });
    if (applied >= EVENTS - 1) break;
    await sleep(100);
  }
  await download;
  await node.stop();
  rmSync(dbPath, { force: true });
  const first = samples.find((s) => s.applied >= 0) ?? samples[0];
  const last = samples[samples.length - 1];
  const rate = (/** @type {typeof samples} */ span) =>
    span.length < 2
      ? NaN
      : ((span[span.length - 1].applied - span[0].applied) /
          (span[span.length - 1].t - span[0].t)) *
        1000;
  const result = {
    eventsPerSecond: round(rate([first, last]), 0),
    applySeconds: round((last.t - first.t) / 1000, 1),
  };
  if (!snapshot) return result;
  const inside = samples.filter(
    (s) => s.t >= window.start && s.t <= window.end,
  );
  const caughtUpDuringSnapshot = last.t <= window.end;
  return {
    ...result,
    snapshotSeconds: round((window.end - window.start) / 1000, 1),
    snapshotMiB: round(window.bytes / 1024 / 1024, 1),
    eventsPerSecondDuringSnapshot: round(rate(inside), 0),
    caughtUpBeforeSnapshotEnded: caughtUpDuringSnapshot,
  };
}

await ensureKafkaJars();
const broker = await startKafkaBroker({ dataDir: join(work, 'kafka') });
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM']))
  process.once(signal, () => {
    void broker.kill().finally(() => process.exit(130));
  });
try {
  const kafka = new Kafka({
    brokers: [broker.brokers],
    logLevel: logLevel.NOTHING,
  });
  const filled = join(work, 'filled.sqlite');
  progress('creating the node file and topics');
  const first = await startNode(broker.brokers, filled, 'create');
  await waitFor200(`${first.url}/_cluster/health/ready`, 120_000);
  await first.stop();
  progress(`filling ${fmtInt(ROWS)} rows by direct SQL`);
  let t = performance.now();
  await fillRows(filled);
  progress(
    `  ${round((performance.now() - t) / 1000, 1)} s, file ${round(statSync(filled).size / 1024 / 1024, 1)} MiB`,
  );
  progress(`producing a backlog of ${fmtInt(EVENTS)} events to ${topic}`);
  t = performance.now();
  await produceBacklog(kafka);
  progress(`  ${round((performance.now() - t) / 1000, 1)} s`);

  progress('run A: apply the backlog, no snapshot');
  const without = await applyRun(broker.brokers, filled, 'without', false);
  progress(`  ${JSON.stringify(without)}`);
  progress('run B: apply the same backlog while a snapshot streams');
  const withSnapshot = await applyRun(broker.brokers, filled, 'with', true);
  progress(`  ${JSON.stringify(withSnapshot)}`);
  const report = {
    at: new Date().toISOString(),
    loadAverage: os.loadavg().map((load) => round(load, 1)),
    cpus: os.cpus().length,
    rows: ROWS,
    backlogEvents: EVENTS,
    withoutSnapshot: without,
    withSnapshot,
    rateDuringSnapshotVsWithout: round(
      /** @type {{ eventsPerSecondDuringSnapshot: number }} */ (withSnapshot)
        .eventsPerSecondDuringSnapshot / without.eventsPerSecond,
      2,
    ),
  };
  writeFileSync(
    join(HERE, 'results', 'snapshot.json'),
    `${JSON.stringify(report, null, 2)}\n`,
  );
  progress(`written to bench/results/snapshot.json`);
} finally {
  await broker.stop();
  rmSync(work, { recursive: true, force: true });
}
