#!/usr/bin/env node
// @ts-check
/**
 * ClusterLite benchmark: `npm run bench` (= npm run build && node bench/run.mjs).
 *
 * Runs on one machine against a local cluster (a real Kafka broker from tools/kafka, three node
 * processes from dist/, nginx in front, all started by scripts/cluster.mjs) and writes
 * bench/results/latest.json and bench/results/latest.md. Load comes from autocannon.
 *
 *   node bench/run.mjs [--quick] [--out DIR]
 *
 *   --quick    shorter runs and a 50,000-event catch-up (for trying things out; says so in the report)
 *   --out DIR  where to write latest.json / latest.md (default bench/results)
 *
 * Order (each step prints progress lines):
 *   1. ceilings: raw kafkajs produce (also pre-fills the catch-up topic), empty Nest/Express route
 *   2. cluster: 3 nodes + nginx; idle memory
 *   3. writes through nginx (fixed time, fixed connections) + time until every node applied them
 *   4. replication lag at a fixed rate (each node's applied position, polled every 5 ms)
 *   5. reads on one node: by id, list page; then a check that the replicas are identical
 *   6. time from start to serving (fresh node, empty log), cluster stopped
 *   7. catch-up: fresh node against the pre-filled topic (and, for comparison, one pinned to a CPU)
 *   8. ceiling: raw sqlite3 upserts of the same rows in one transaction
 *
 * "Applied" is read from each node's own SQLite file (its stored log position, read-only, WAL):
 * exact, and it does not load the node the way /_cluster/status does (that checksums every row).
 * The machine is shared with whatever else runs on it: every figure carries the share of CPU
 * that processes outside this benchmark used meanwhile (from /proc), and the report the load
 * average at the start.
 */
import { Kafka, logLevel } from 'kafkajs';
import sqlite3 from 'sqlite3';
import { v7 as uuidv7 } from 'uuid';
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { supervise, terminate } from '../tools/supervisor/children.mjs';
import {
  NODE_MAIN,
  REPO_ROOT,
  findNginx,
  startCluster,
} from '../tools/supervisor/cluster.mjs';
import { SupervisedNode } from '../tools/supervisor/node.mjs';
import {
  KAFKA_LIB_DIR,
  ensureKafkaJars,
  findFreePort,
  startKafkaBroker,
} from '../tools/kafka/broker.mjs';
import {
  RssSampler,
  cpuWindow,
  createUserRequest,
  elapsedSeconds,
  fmtInt,
  load,
  pacedLoad,
  progress,
  rssMiB,
  round,
  sleep,
  stats,
  waitFor200,
} from './lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
  strict: true,
});
const QUICK = /** @type {boolean} */ (args.quick);
const OUT_DIR = resolve(
  /** @type {string | undefined} */ (args.out) ?? join(HERE, 'results'),
);

/** Every knob of the run; copied into the report. */
const CONFIG = QUICK
  ? {
      writes: { connections: 64, warmupSeconds: 2, durationSeconds: 6 },
      lag: { rate: 500, clients: 50, durationSeconds: 6 },
      reads: { connections: 32, durationSeconds: 4 },
      httpCeiling: { connections: 32, durationSeconds: 4 },
      catchUp: { events: 50_000, produceBatch: 1_000, produceInFlight: 4 },
      startupRuns: 2,
    }
  : {
      writes: { connections: 64, warmupSeconds: 3, durationSeconds: 20 },
      lag: { rate: 500, clients: 50, durationSeconds: 20 },
      reads: { connections: 32, durationSeconds: 10 },
      httpCeiling: { connections: 32, durationSeconds: 10 },
      catchUp: { events: 200_000, produceBatch: 1_000, produceInFlight: 4 },
      startupRuns: 3,
    };

/** taskset (util-linux), to run one extra catch-up with the node pinned to one CPU; undefined if missing. */
const TASKSET = ['/usr/bin/taskset', '/bin/taskset'].find((p) => existsSync(p));

/** How often scenario 2 reads each node's applied position (ms): the lag's resolution. */
const LAG_POLL_MS = 5;

const TARGETS = {
  catchUpEventsPerSecond: 20_000,
  catchUpFractionOfSqlite: 0.3,
  writesPerSecond: 3_000,
  writesP99Ms: 50,
  lagP99Ms: 100,
  readsByIdPerSecond: 5_000,
};

/** The fresh nodes this run starts outside the cluster (killed at the end if still running). */
/** @type {Set<SupervisedNode>} */
const freshNodes = new Set();

/**
 * Starts one node process from the build through the supervisor (outside the cluster: catch-up
 * and start-up runs), without waiting: the caller times it until it serves.
 * @param {{ nodeId: string, port: number, dbPath: string, brokers: string, topicPrefix: string, logFile: string, pin?: number }} o
 */
async function spawnNode(o) {
  mkdirSync(dirname(o.dbPath), { recursive: true });
  const node = new SupervisedNode({
    nodeId: o.nodeId,
    port: o.port,
    dbPath: o.dbPath,
    logFile: o.logFile,
    env: { KAFKA_BROKERS: o.brokers, KAFKA_TOPIC_PREFIX: o.topicPrefix },
    wrapper:
      o.pin === undefined
        ? []
        : [/** @type {string} */ (TASKSET), '-c', String(o.pin)],
  });
  freshNodes.add(node);
  await node.start('spawned');
  return node;
}

/** @param {string} url */
async function getJson(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return response.json();
}

// ---------------------------------------------------------------------------------------------
// A node's applied position, read from its own SQLite file (read-only, WAL): exact and cheap,
// and it does not load the node (its /_cluster/status checksums every row on every call).
// ---------------------------------------------------------------------------------------------

class AppliedPositionReader {
  /** @param {string} dbPath */
  constructor(dbPath) {
    this.dbPath = dbPath;
    /** @type {import('sqlite3').Database | null} */
    this.db = null;
  }
  /** @returns {Promise<import('sqlite3').Database>} */
  open() {
    return new Promise((resolveOpen, reject) => {
      const db = new sqlite3.Database(
        this.dbPath,
        sqlite3.OPEN_READONLY,
        (error) => (error ? reject(error) : resolveOpen(db)),
      );
    });
  }
  /** Offset of the last applied event of `topic` partition 0, or -1. @param {string} topic */
  async applied(topic) {
    this.db ??= await this.open();
    const db = this.db;
    return new Promise((resolveRow) => {
      db.get(
        'SELECT "offset" FROM "_clusterlite_positions" WHERE "topic" = ? AND "partition" = 0',
        [topic],
        (error, row) => {
          // Before the node created its tables: nothing applied yet.
          resolveRow(
            error || !row
              ? -1
              : Number(/** @type {{ offset: unknown }} */ (row).offset),
          );
        },
      );
    });
  }
  close() {
    this.db?.close();
    this.db = null;
  }
}

/**
 * Waits until every reader shows `offset` applied on `topic`; resolves with the time each did.
 * @param {AppliedPositionReader[]} readers @param {string} topic @param {number} offset @param {number} timeoutMs
 * @param {(message: string) => void} [report]
 */
async function waitApplied(readers, topic, offset, timeoutMs, report) {
  const start = performance.now();
  /** @type {(number | null)[]} */
  const doneAt = readers.map(() => null);
  let lastReport = start;
  for (;;) {
    const now = performance.now();
    const applied = await Promise.all(readers.map((r) => r.applied(topic)));
    applied.forEach((a, i) => {
      if (doneAt[i] === null && a >= offset) doneAt[i] = performance.now();
    });
    if (doneAt.every((d) => d !== null))
      return /** @type {number[]} */ (doneAt);
    if (report && now - lastReport > 2_000) {
      lastReport = now;
      report(`applied offsets ${applied.join(' / ')} of ${offset}`);
    }
    if (now - start > timeoutMs)
      throw new Error(
        `not every node applied offset ${offset} of ${topic} within ${timeoutMs} ms (${applied.join(', ')})`,
      );
    await sleep(10);
  }
}

// ---------------------------------------------------------------------------------------------
// When did each offset get applied on a node: its applied position, polled every few ms
// ---------------------------------------------------------------------------------------------

class ApplyTracker {
  /** @param {AppliedPositionReader} reader @param {string} topic @param {number} intervalMs */
  constructor(reader, topic, intervalMs) {
    /** @type {Map<number, number>} offset → performance.now() when first seen applied */
    this.appliedAt = new Map();
    this.running = true;
    this.done = (async () => {
      let last = await reader.applied(topic);
      while (this.running) {
        await sleep(intervalMs);
        const now = performance.now();
        const applied = await reader.applied(topic);
        for (let offset = last + 1; offset <= applied; offset++)
          this.appliedAt.set(offset, now);
        if (applied > last) last = applied;
      }
    })();
  }
  async stop() {
    this.running = false;
    await this.done;
  }
}

// ---------------------------------------------------------------------------------------------
// Events in the replication envelope (libs/core/src/events/replication-event.ts), as a node makes them
// ---------------------------------------------------------------------------------------------

/** @param {string} runId @param {number} i */
function userEvent(runId, i) {
  const entityId = uuidv7();
  const occurredAt = new Date().toISOString();
  return {
    eventId: uuidv7(),
    type: 'created',
    table: 'users',
    entityId,
    data: {
      name: `Catch-up User ${i}`,
      email: `catchup-${runId}-${i}@bench.example`,
    },
    expectedVersion: null,
    occurredAt,
    origin: 'bench-prefill',
    schemaVersion: 1,
  };
}

// ---------------------------------------------------------------------------------------------
// Environment facts for the report
// ---------------------------------------------------------------------------------------------

/**
 * What a command prints: its standard output, or its standard error when that is where it
 * writes (`java -version`, `nginx -v`); null if it cannot run.
 * @param {string} cmd @param {string[]} argv
 */
function tryRun(cmd, argv) {
  const run = spawnSync(cmd, argv, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (run.error) return null;
  return (
    run.stdout.trim() || run.stderr.trim() || (run.status === 0 ? '' : null)
  );
}

/** @param {string} name */
function packageVersion(name) {
  try {
    return JSON.parse(
      readFileSync(
        join(REPO_ROOT, 'node_modules', name, 'package.json'),
        'utf8',
      ),
    ).version;
  } catch {
    return null;
  }
}

function environment() {
  const kafkaJar = readdirSync(KAFKA_LIB_DIR).find((f) =>
    /^kafka_2\.13-[\d.]+\.jar$/.test(f),
  );
  const nginx = findNginx();
  // Earlier results in bench/results do not make the code differ from the commit.
  const dirty = tryRun('git', [
    'status',
    '--porcelain',
    '--untracked-files=no',
    '--',
    '.',
    ':(exclude)bench/results',
  ]);
  return {
    commit: tryRun('git', ['rev-parse', 'HEAD']),
    commitShort: tryRun('git', ['rev-parse', '--short', 'HEAD']),
    workingTreeChanged: Boolean(dirty),
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? null,
      memoryGiB: round(os.totalmem() / 1024 ** 3, 1),
      os: `${os.type()} ${os.release()} ${os.arch()}`,
    },
    versions: {
      node: process.version,
      kafkaBroker: kafkaJar
        ? kafkaJar.replace(/^kafka_2\.13-/, '').replace(/\.jar$/, '')
        : null,
      java: (tryRun('java', ['-version']) ?? '').split('\n')[0] || null,
      kafkajs: packageVersion('kafkajs'),
      sqlite3: packageVersion('sqlite3'),
      sqlite:
        /** @type {{ VERSION?: string }} */ (/** @type {unknown} */ (sqlite3))
          .VERSION ?? null,
      nestCore: packageVersion('@nestjs/core'),
      typeorm: packageVersion('typeorm'),
      nginx: nginx
        ? (tryRun(nginx, ['-v']) ?? '').replace(
            /^nginx version: (nginx\/)?/,
            '',
          )
        : null,
      autocannon: packageVersion('autocannon'),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Ceilings
// ---------------------------------------------------------------------------------------------

/**
 * Raw kafkajs: produce `events` envelopes in batches (acks=all), `inFlight` batches at a time.
 * This also fills the catch-up topic.
 * @param {Kafka} kafka @param {string} topic @param {string} runId
 */
async function kafkaCeiling(kafka, topic, runId) {
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

/** Empty Nest/Express route on one process (bench/empty-nest.mjs). */
async function httpCeiling() {
  const port = await findFreePort();
  const child = spawn(process.execPath, [join(HERE, 'empty-nest.mjs')], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = supervise(child);
  await new Promise((resolveReady, reject) => {
    child.stdout?.on(
      'data',
      (d) => String(d).includes('listening') && resolveReady(undefined),
    );
    child.once('exit', (code) =>
      reject(new Error(`empty-nest.mjs exited with ${code}`)),
    );
  });
  const { connections, durationSeconds } = CONFIG.httpCeiling;
  const result = await load('empty route', {
    url: `http://127.0.0.1:${port}/ping`,
    connections,
    duration: durationSeconds,
  });
  await terminate(child, exited);
  return { connections, ...result };
}

/**
 * Raw sqlite3: the same rows, upserted with one prepared statement in one transaction, into a
 * table with the schema the node created (copied from a node's file), with the nodes' pragmas.
 * Also the same statements awaited one by one (what one round trip per statement costs).
 * @param {string} schemaFrom a node's SQLite file @param {{ id: string, name: string, email: string, at: string }[]} rows
 * @param {string} dir
 */
async function sqliteCeiling(schemaFrom, rows, dir) {
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

  /** @param {string} name @param {boolean} awaitEach */
  const measure = async (name, awaitEach) => {
    const file = join(dir, `${name}.sqlite`);
    const db = await open(file);
    for (const pragma of [
      'PRAGMA journal_mode = WAL',
      'PRAGMA synchronous = NORMAL',
      'PRAGMA busy_timeout = 5000',
      'PRAGMA cache_size = -2000',
      'PRAGMA mmap_size = 268435456',
    ]) {
      await all(db, pragma);
    }
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
  return { statement: upsert, queued, awaitedOneByOne: awaited };
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

async function main() {
  if (!existsSync(NODE_MAIN))
    throw new Error(
      `${NODE_MAIN} is missing: run \`npm run build\` first (npm run bench does)`,
    );
  const env = environment();
  const runId =
    new Date()
      .toISOString()
      .replace(/[-:.TZ]/g, '')
      .slice(0, 14) +
    '-' +
    Math.random().toString(36).slice(2, 6);
  const prefix = `bench-${runId}`;
  const workDir = join(os.tmpdir(), `clusterlite-bench-${runId}`);
  mkdirSync(workDir, { recursive: true });
  progress(
    `ClusterLite benchmark${QUICK ? ' (QUICK: shortened, not for the record)' : ''}, commit ${env.commitShort}${env.workingTreeChanged ? ' + uncommitted changes' : ''}`,
  );
  progress(
    `machine: ${env.machine.cpus} cores (${env.machine.cpuModel}), ${env.machine.memoryGiB} GiB; Node ${env.versions.node}, Kafka ${env.versions.kafkaBroker}, kafkajs ${env.versions.kafkajs}, SQLite ${env.versions.sqlite}`,
  );
  progress(`topic prefix ${prefix}, work dir ${workDir}`);
  const load1 = os.loadavg()[0];
  /** @type {Record<string, unknown>} */ (env).loadAverageAtStart = round(
    load1,
    2,
  );
  if (load1 > 0.5 * env.machine.cpus)
    progress(
      `!! the machine is busy before the run (load average ${load1.toFixed(2)}): figures will be lower than on an idle machine`,
    );

  /** @type {Record<string, any>} */
  const results = {};
  /** @type {import('../tools/kafka/broker.mjs').KafkaBroker | undefined} */
  let broker;
  /** @type {import('../tools/supervisor/cluster.mjs').Cluster | undefined} */
  let cluster;
  try {
    // --- Kafka broker -------------------------------------------------------------------------
    progress('starting the Kafka broker...');
    await ensureKafkaJars();
    broker = await startKafkaBroker({ dataDir: join(workDir, 'kafka') });
    progress(
      `Kafka broker ${env.versions.kafkaBroker} ready at ${broker.brokers} in ${broker.startupMs} ms`,
    );
    const kafka = new Kafka({
      clientId: 'clusterlite-bench',
      brokers: [broker.brokers],
      logLevel: logLevel.ERROR,
    });
    const admin = kafka.admin();
    await admin.connect();
    /** @param {string} topic */
    const endOffset = async (topic) =>
      Number(
        (await admin.fetchTopicOffsets(topic)).find((p) => p.partition === 0)
          ?.high ?? 0,
      );

    // --- Ceiling: the log ---------------------------------------------------------------------
    progress(
      'ceiling 1/3: raw kafkajs producer (also pre-fills the catch-up topic)',
    );
    const catchUpPrefix = `${prefix}-catchup`;
    const catchUpTopic = `${catchUpPrefix}.users`;
    const { rows: catchUpRows, result: kafkaResult } = await kafkaCeiling(
      kafka,
      catchUpTopic,
      runId,
    );
    results.ceilingKafka = kafkaResult;
    progress(
      `  => ${fmtInt(kafkaResult.eventsPerSecond)} events/s (${kafkaResult.megabytesPerSecond} MB/s)`,
    );

    // --- Ceiling: HTTP ------------------------------------------------------------------------
    progress(
      `ceiling 2/3: empty Nest/Express route, ${CONFIG.httpCeiling.connections} connections, ${CONFIG.httpCeiling.durationSeconds} s`,
    );
    results.ceilingHttp = await httpCeiling();
    progress(
      `  => ${fmtInt(results.ceilingHttp.okPerSecond)} req/s, p50 ${results.ceilingHttp.latencyMs.p50} ms, p99 ${results.ceilingHttp.latencyMs.p99} ms`,
    );

    // --- Cluster ------------------------------------------------------------------------------
    progress('starting the cluster: 3 nodes + nginx...');
    cluster = await startCluster({
      nodes: 3,
      dataDir: join(workDir, 'cluster'),
      fresh: true,
      nginxPort: 0,
      brokers: broker.brokers,
      topicPrefix: prefix,
      quiet: true,
      log: (m) => progress(`  ${m}`),
      onUnexpectedExit: (exit) =>
        progress(
          `!! ${exit.name} exited unexpectedly (code ${exit.code}, signal ${exit.signal}):\n${exit.tail}`,
        ),
    });
    const nodes = cluster.nodes;
    const topic = `${prefix}.users`;
    const readers = nodes.map((n) => new AppliedPositionReader(n.dbPath));
    const pids = Object.fromEntries(nodes.map((n) => [n.nodeId, n.pid]));
    await sleep(3_000);
    const idleRss = Object.fromEntries(
      nodes.map((n) => [n.nodeId, round(rssMiB(n.pid), 1)]),
    );
    progress(
      `  cluster up at ${cluster.url}; idle RSS ${Object.values(idleRss).join(' / ')} MiB`,
    );

    // --- Scenario 1: writes through nginx ------------------------------------------------------
    const {
      connections: wc,
      warmupSeconds,
      durationSeconds: wd,
    } = CONFIG.writes;
    /** @type {string[]} */
    const createdIds = [];
    let maxOffset = -1;
    const writeRequest = createUserRequest('', (answer) => {
      if (createdIds.length < 50_000) createdIds.push(answer.id);
      const offset = Number(
        answer.position.slice(answer.position.lastIndexOf(':') + 1),
      );
      if (offset > maxOffset) maxOffset = offset;
    });
    progress(`scenario 1: writes through nginx; warm-up ${warmupSeconds} s`);
    await load('warm-up', {
      url: cluster.url,
      connections: wc,
      duration: warmupSeconds,
      requests: [writeRequest],
    });
    await waitApplied(readers, topic, maxOffset, 60_000);
    const before = await endOffset(topic);
    progress(
      `scenario 1: POST /users through nginx, ${wc} connections, ${wd} s`,
    );
    const writeSampler = new RssSampler(pids);
    const writes = await load('writes', {
      url: cluster.url,
      connections: wc,
      duration: wd,
      requests: [writeRequest],
    });
    const loadEnded = performance.now();
    const after = await endOffset(topic);
    const drainedAt = await waitApplied(
      readers,
      topic,
      after - 1,
      120_000,
      (m) => progress(`  ${m}`),
    );
    const writeRss = writeSampler.stop();
    results.writes = {
      connections: wc,
      ...writes,
      acceptedPerSecond: writes.okPerSecond,
      eventsOnLog: after - before,
      allAppliedAfterLoadMs: round(Math.max(...drainedAt) - loadEnded, 0),
      appliedAfterLoadMsPerNode: Object.fromEntries(
        nodes.map((n, i) => [n.nodeId, round(drainedAt[i] - loadEnded, 0)]),
      ),
      rssMaxMiB: writeRss,
    };
    progress(
      `  => ${fmtInt(writes.okPerSecond)} accepted writes/s, p50 ${writes.latencyMs.p50} ms, p99 ${writes.latencyMs.p99} ms, ` +
        `non-2xx ${writes.non2xx}, errors ${writes.errors}; all nodes applied everything ${results.writes.allAppliedAfterLoadMs} ms after the load ended`,
    );

    // --- Scenario 2: replication lag at a fixed rate ------------------------------------------
    const { rate, clients: lc, durationSeconds: ld } = CONFIG.lag;
    progress(
      `scenario 2: replication lag at ${rate} writes/s through nginx, evenly paced by ${lc} clients, ${ld} s (applied position of each node polled every ${LAG_POLL_MS} ms)`,
    );
    const trackers = readers.map(
      (reader) => new ApplyTracker(reader, topic, LAG_POLL_MS),
    );
    /** @type {Map<number, number>} offset → when its 202 arrived */
    const ackedAt = new Map();
    const lagRequest = {
      ...writeRequest,
      onResponse: (
        /** @type {number} */ status,
        /** @type {string} */ body,
      ) => {
        if (status !== 202) return;
        const now = performance.now();
        const position = JSON.parse(body).position;
        ackedAt.set(Number(position.slice(position.lastIndexOf(':') + 1)), now);
      },
    };
    const lagLoad = await pacedLoad('fixed rate', {
      url: cluster.url,
      rate,
      clients: lc,
      duration: ld,
      requests: [lagRequest],
    });
    const lagTopicEnd = await endOffset(topic);
    await waitApplied(readers, topic, lagTopicEnd - 1, 60_000);
    await sleep(3 * LAG_POLL_MS);
    await Promise.all(trackers.map((t) => t.stop()));
    /** @type {number[]} */
    const lags = [];
    /** @type {number[][]} */
    const perNodeLags = nodes.map(() => []);
    let missing = 0;
    for (const [offset, acked] of ackedAt) {
      const seenAt = trackers.map((t) => t.appliedAt.get(offset));
      if (seenAt.some((t) => t === undefined)) {
        missing++;
        continue;
      }
      // A poll that finds the offset applied bounds it from above; the 202 may come after the apply.
      seenAt.forEach((t, i) =>
        perNodeLags[i].push(Math.max(0, /** @type {number} */ (t) - acked)),
      );
      lags.push(
        Math.max(0, Math.max(.../** @type {number[]} */ (seenAt)) - acked),
      );
    }
    results.lag = {
      targetRate: rate,
      clients: lc,
      durationSeconds: lagLoad.durationSeconds,
      achievedPerSecond: lagLoad.okPerSecond,
      accepted: ackedAt.size,
      non2xx: lagLoad.non2xx,
      errors: lagLoad.errors,
      writeLatencyMs: lagLoad.latencyMs,
      machine: lagLoad.machine,
      missingOnSomeNode: missing,
      lagAllNodesMs: stats(lags),
      lagPerNodeMs: Object.fromEntries(
        nodes.map((n, i) => [n.nodeId, stats(perNodeLags[i])]),
      ),
    };
    progress(
      `  => ${fmtInt(lagLoad.okPerSecond)} writes/s; 202 → applied on all 3 nodes: p50 ${results.lag.lagAllNodesMs.p50} ms, ` +
        `p99 ${results.lag.lagAllNodesMs.p99} ms, max ${results.lag.lagAllNodesMs.max} ms (${missing} not seen)`,
    );

    // --- Scenario 4: reads on one node --------------------------------------------------------
    const { connections: rc, durationSeconds: rd } = CONFIG.reads;
    const node1 = nodes[0];
    progress(
      `scenario 4: reads on ${node1.nodeId} (${node1.url}), ${rc} connections, ${rd} s each`,
    );
    let pick = 0;
    const readSampler = new RssSampler({ [node1.nodeId]: node1.pid });
    const byId = await load('GET /users/{id}', {
      url: node1.url,
      connections: rc,
      duration: rd,
      requests: [
        {
          method: 'GET',
          setupRequest: (/** @type {any} */ r) => ({
            ...r,
            path: `/users/${createdIds[(pick = (pick + 7919) % createdIds.length)]}`,
          }),
        },
      ],
    });
    progress(
      `  => by id: ${fmtInt(byId.okPerSecond)} req/s, p50 ${byId.latencyMs.p50} ms, p99 ${byId.latencyMs.p99} ms, non-2xx ${byId.non2xx}`,
    );
    const list = await load('GET /users?limit=100', {
      url: `${node1.url}/users?limit=100`,
      connections: rc,
      duration: rd,
    });
    progress(
      `  => list page: ${fmtInt(list.okPerSecond)} req/s, p50 ${list.latencyMs.p50} ms, p99 ${list.latencyMs.p99} ms, non-2xx ${list.non2xx}`,
    );
    const readRss = readSampler.stop();

    // --- Replicas identical? --------------------------------------------------------------------
    progress(
      'checking that the three replicas are identical (status checksums)...',
    );
    const statusStarted = performance.now();
    const statuses = await Promise.all(
      nodes.map((n) => getJson(`${n.url}/_cluster/status`)),
    );
    const statusMs = (performance.now() - statusStarted) / nodes.length;
    const checksums = statuses.map((s) =>
      s.tables
        .map((/** @type {any} */ t) => `${t.table}:${t.rows}:${t.checksum}`)
        .join(','),
    );
    const usersRows = statuses.map(
      (s) => s.tables.find((/** @type {any} */ t) => t.table === 'users')?.rows,
    );
    results.reads = {
      node: node1.nodeId,
      connections: rc,
      rowsInTable: usersRows[0],
      idsUsed: createdIds.length,
      byId,
      listPage: { limit: 100, ...list },
      rssMaxMiB: readRss,
    };
    results.replicas = {
      identical: checksums.every((c) => c === checksums[0]),
      usersRows,
      deadLetters: statuses.map((s) => s.deadLetters),
      rejectedEvents: statuses.map((s) => s.rejectedEvents),
      statusCallMs: round(statusMs, 0),
    };
    progress(
      `  => identical: ${results.replicas.identical}; users rows ${results.replicas.usersRows.join(' / ')}`,
    );
    readers.forEach((r) => r.close());

    progress('stopping the cluster...');
    await cluster.stop();
    cluster = undefined;

    // --- Scenario 5: start-up time (fresh node, empty log) -----------------------------------
    progress(
      `scenario 5: time from start to serving, fresh node on an empty log, ${CONFIG.startupRuns} runs`,
    );
    /** @type {number[]} */
    const startups = [];
    /** @type {number[]} */
    const startupRss = [];
    for (let run = 1; run <= CONFIG.startupRuns; run++) {
      const port = await findFreePort();
      const node = await spawnNode({
        nodeId: `startup-${run}`,
        port,
        dbPath: join(workDir, 'startup', `startup-${run}.sqlite`),
        brokers: broker.brokers,
        topicPrefix: `${prefix}-startup`,
        logFile: join(workDir, 'startup', `startup-${run}.log`),
      });
      const spawnedAt = performance.now();
      const servingAt = await waitFor200(
        `${node.url}/users?limit=1`,
        60_000,
        node,
      );
      startups.push(servingAt - spawnedAt);
      await sleep(2_000);
      startupRss.push(rssMiB(/** @type {number} */ (node.pid)));
      await node.stop();
      progress(
        `  run ${run}: serving after ${round(servingAt - spawnedAt, 0)} ms, idle RSS ${round(startupRss.at(-1) ?? NaN, 1)} MiB`,
      );
    }
    results.footprint = {
      idleRssMiB: idleRss,
      writeLoadMaxRssMiB: writeRss,
      readLoadMaxRssMiB: readRss,
      startToServingMs: startups.map((s) => round(s, 0)),
      startToServingMedianMs: stats(startups).p50,
      freshNodeIdleRssMiB: startupRss.map((s) => round(s, 1)),
    };

    // --- Scenario 3: catch-up ---------------------------------------------------------------
    const catchUpEnd = await endOffset(catchUpTopic);
    /**
     * A fresh node (own NODE_ID, empty file) started against the pre-filled topic, timed from
     * spawn until its stored position is end − 1 (checked again through /_cluster/status).
     * @param {string} nodeId @param {number | undefined} pin CPU to pin the node to (taskset), or none
     */
    const catchUp = async (nodeId, pin) => {
      const dbPath = join(workDir, 'catchup', `${nodeId}.sqlite`);
      const node = await spawnNode({
        nodeId,
        port: await findFreePort(),
        dbPath,
        brokers:
          /** @type {import('../tools/kafka/broker.mjs').KafkaBroker} */ (
            broker
          ).brokers,
        topicPrefix: catchUpPrefix,
        logFile: join(workDir, 'catchup', `${nodeId}.log`),
        pin,
      });
      const started = performance.now();
      const cpu = cpuWindow();
      const sampler = new RssSampler({
        [nodeId]: /** @type {number} */ (node.pid),
      });
      const servingAt = await waitFor200(
        `${node.url}/users?limit=1`,
        60_000,
        node,
      );
      progress(`  serving after ${round(servingAt - started, 0)} ms`);
      const reader = new AppliedPositionReader(dbPath);
      let firstAppliedAt = NaN;
      const deadline = performance.now() + 300_000;
      let lastReport = performance.now();
      let lastApplied = -1;
      for (;;) {
        const applied = await reader.applied(catchUpTopic);
        if (applied >= 0 && Number.isNaN(firstAppliedAt))
          firstAppliedAt = performance.now();
        if (applied >= catchUpEnd - 1) break;
        if (performance.now() - lastReport > 2_000) {
          const rateNow =
            ((applied - lastApplied) / (performance.now() - lastReport)) * 1000;
          lastReport = performance.now();
          lastApplied = applied;
          progress(
            `  applied ${fmtInt(applied + 1)}/${fmtInt(catchUpEnd)} (${fmtInt(rateNow)} events/s now)`,
          );
        }
        if (performance.now() > deadline)
          throw new Error(
            `catch-up did not finish within 300 s (applied ${applied})`,
          );
        await sleep(10);
      }
      const caughtUpAt = performance.now();
      const machine = cpu();
      const rss = sampler.stop();
      reader.close();
      const status = await getJson(`${node.url}/_cluster/status`);
      const progressOf = status.topics.find(
        (/** @type {any} */ t) => t.topic === catchUpTopic,
      );
      const rssAfter = rssMiB(/** @type {number} */ (node.pid));
      await node.stop();
      if (Number(progressOf?.appliedOffset) !== catchUpEnd - 1)
        throw new Error(
          `${nodeId}: status does not show appliedOffset = end - 1`,
        );
      const result = {
        events: catchUpEnd,
        pinnedToCpu: pin ?? null,
        startToServingMs: round(servingAt - started, 0),
        startToFirstAppliedMs: round(firstAppliedAt - started, 0),
        startToCaughtUpMs: round(caughtUpAt - started, 0),
        eventsPerSecond: round(catchUpEnd / ((caughtUpAt - started) / 1000), 0),
        eventsPerSecondAfterServing: round(
          catchUpEnd / ((caughtUpAt - servingAt) / 1000),
          0,
        ),
        status: {
          appliedOffset: progressOf?.appliedOffset,
          endOffset: progressOf?.endOffset,
          lag: progressOf?.lag,
          rows: status.tables.find(
            (/** @type {any} */ t) => t.table === 'users',
          )?.rows,
        },
        rssMaxMiB: rss[nodeId],
        rssAfterMiB: round(rssAfter, 1),
        machine,
      };
      progress(
        `  => ${fmtInt(result.eventsPerSecond)} events/s from start (${fmtInt(result.eventsPerSecondAfterServing)} after serving); ` +
          `caught up after ${result.startToCaughtUpMs} ms; status appliedOffset ${progressOf?.appliedOffset}, end ${progressOf?.endOffset}`,
      );
      return { result, dbPath };
    };
    progress(
      `scenario 3: catch-up of a fresh node on ${catchUpTopic} (${fmtInt(catchUpEnd)} events), nothing else running`,
    );
    const { result: catchUpResult, dbPath: catchUpDb } = await catchUp(
      'catchup-1',
      undefined,
    );
    results.catchUp = catchUpResult;
    if (TASKSET) {
      progress(
        `scenario 3b (for comparison): the same with a second fresh node pinned to one CPU (taskset -c 1)`,
      );
      results.catchUpPinned = (await catchUp('catchup-pinned', 1)).result;
    }

    // --- Ceiling: the store ----------------------------------------------------------------------
    progress(
      'ceiling 3/3: raw sqlite3 upserts of the same rows in one transaction',
    );
    results.ceilingSqlite = await sqliteCeiling(
      catchUpDb,
      catchUpRows,
      workDir,
    );
    await admin.disconnect();
  } finally {
    if (cluster) await cluster.stop().catch(() => {});
    await Promise.allSettled([...freshNodes].map((node) => node.kill()));
    if (broker) {
      progress('stopping the Kafka broker...');
      await broker.stop().catch(() => {});
    }
    if (!process.env.BENCH_KEEP)
      rmSync(workDir, { recursive: true, force: true });
  }

  const report = buildReport(env, results, elapsedSeconds());
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(
    join(OUT_DIR, 'latest.json'),
    JSON.stringify(report, null, 2) + '\n',
  );
  writeFileSync(join(OUT_DIR, 'latest.md'), renderMarkdown(report));
  progress(
    `wrote ${relative(process.cwd(), join(OUT_DIR, 'latest.json'))} and latest.md`,
  );
  process.stdout.write('\n' + renderMarkdown(report));
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

/** @param {ReturnType<typeof environment>} env @param {Record<string, any>} r @param {number} seconds */
function buildReport(env, r, seconds) {
  const other = (
    /** @type {{ otherProcessesPercent: number } | undefined} */ m,
  ) => (m ? `; other processes used ${m.otherProcessesPercent}% CPU` : '');
  const fraction = (/** @type {number} */ a, /** @type {number} */ b) =>
    round(a / b, 3);
  const w = r.writes;
  const rows = [
    {
      id: 'writes',
      scenario: '1. Writes through nginx',
      figure: 'accepted writes',
      value: w.acceptedPerSecond,
      unit: 'writes/s',
      ceiling: {
        name: 'raw kafkajs produce',
        value: r.ceilingKafka.eventsPerSecond,
        unit: 'events/s',
      },
      fraction: fraction(w.acceptedPerSecond, r.ceilingKafka.eventsPerSecond),
      target: `≥ ${fmtInt(TARGETS.writesPerSecond)}`,
      met: w.acceptedPerSecond >= TARGETS.writesPerSecond,
      conditions: `POST /users, ${w.connections} connections, ${w.durationSeconds} s, through nginx to 3 nodes; ${w.non2xx} non-2xx, ${w.errors} errors${other(w.machine)}`,
    },
    {
      id: 'writes-p50',
      scenario: '1. Writes through nginx',
      figure: 'latency p50',
      value: w.latencyMs.p50,
      unit: 'ms',
      conditions: 'of the 202 answers',
    },
    {
      id: 'writes-p99',
      scenario: '1. Writes through nginx',
      figure: 'latency p99',
      value: w.latencyMs.p99,
      unit: 'ms',
      target: `≤ ${TARGETS.writesP99Ms}`,
      met: w.latencyMs.p99 <= TARGETS.writesP99Ms,
      conditions: 'of the 202 answers',
    },
    {
      id: 'writes-drain',
      scenario: '1. Writes through nginx',
      figure: 'every accepted write applied on every node',
      value: w.allAppliedAfterLoadMs,
      unit: 'ms after the load ended',
      conditions: `${fmtInt(w.eventsOnLog)} events; applied position read from each node's SQLite file every 10 ms`,
    },
    {
      id: 'lag-p50',
      scenario: `2. Replication lag at ${r.lag.targetRate}/s`,
      figure: '202 → applied on all 3 nodes, p50',
      value: r.lag.lagAllNodesMs.p50,
      unit: 'ms',
      conditions: `${fmtInt(r.lag.achievedPerSecond)} writes/s achieved, ${r.lag.durationSeconds} s, paced evenly by ${r.lag.clients} autocannon clients of one connection (${round(r.lag.targetRate / r.lag.clients, 1)} writes/s each, started ${round(1000 / r.lag.clients, 0)} ms apart); applied = each node's stored position (read from its SQLite file every ${LAG_POLL_MS} ms) covers the write's offset`,
    },
    {
      id: 'lag-p99',
      scenario: `2. Replication lag at ${r.lag.targetRate}/s`,
      figure: '202 → applied on all 3 nodes, p99',
      value: r.lag.lagAllNodesMs.p99,
      unit: 'ms',
      target: `≤ ${TARGETS.lagP99Ms}`,
      met:
        r.lag.lagAllNodesMs.p99 <= TARGETS.lagP99Ms &&
        r.lag.missingOnSomeNode === 0,
      conditions: `${fmtInt(r.lag.accepted)} writes; ${r.lag.missingOnSomeNode} never seen on some node; write latency p99 ${r.lag.writeLatencyMs.p99} ms${other(r.lag.machine)}`,
    },
    {
      id: 'catchup',
      scenario: '3. Catch-up',
      figure: 'events applied, start → end of log',
      value: r.catchUp.eventsPerSecond,
      unit: 'events/s',
      ceiling: {
        name: 'raw sqlite3 upserts, one transaction',
        value: r.ceilingSqlite.queued.rowsPerSecond,
        unit: 'rows/s',
      },
      fraction: fraction(
        r.catchUp.eventsPerSecond,
        r.ceilingSqlite.queued.rowsPerSecond,
      ),
      target: `≥ ${fmtInt(TARGETS.catchUpEventsPerSecond)} and ≥ ${TARGETS.catchUpFractionOfSqlite * 100}% of ceiling`,
      met:
        r.catchUp.eventsPerSecond >= TARGETS.catchUpEventsPerSecond &&
        r.catchUp.eventsPerSecond / r.ceilingSqlite.queued.rowsPerSecond >=
          TARGETS.catchUpFractionOfSqlite,
      conditions: `${fmtInt(r.catchUp.events)} events pre-filled with kafkajs, fresh node (empty file), timed from process start until appliedOffset = end − 1 (${r.catchUp.startToCaughtUpMs} ms)${other(r.catchUp.machine)}`,
    },
    {
      id: 'catchup-serving',
      scenario: '3. Catch-up',
      figure: 'start → serving',
      value: r.catchUp.startToServingMs,
      unit: 'ms',
      conditions: `same node; ${fmtInt(r.catchUp.eventsPerSecondAfterServing)} events/s counted from serving`,
    },
    ...(r.catchUpPinned
      ? [
          {
            id: 'catchup-pinned',
            scenario: '3. Catch-up',
            figure: 'the same, node pinned to one CPU (for comparison)',
            value: r.catchUpPinned.eventsPerSecond,
            unit: 'events/s',
            conditions: `a second fresh node started with \`taskset -c 1\` (not how the cluster runs nodes): its main thread and SQLite worker share one core, so no wake-ups across cores; caught up after ${r.catchUpPinned.startToCaughtUpMs} ms${other(r.catchUpPinned.machine)}`,
          },
        ]
      : []),
    {
      id: 'reads-id',
      scenario: '4. Reads, one node',
      figure: 'GET /users/{id}',
      value: r.reads.byId.okPerSecond,
      unit: 'req/s',
      ceiling: {
        name: 'empty Nest/Express route',
        value: r.ceilingHttp.okPerSecond,
        unit: 'req/s',
      },
      fraction: fraction(r.reads.byId.okPerSecond, r.ceilingHttp.okPerSecond),
      target: `≥ ${fmtInt(TARGETS.readsByIdPerSecond)}`,
      met: r.reads.byId.okPerSecond >= TARGETS.readsByIdPerSecond,
      conditions: `${r.reads.connections} connections, ${r.reads.byId.durationSeconds} s, ${fmtInt(r.reads.idsUsed)} ids, ${fmtInt(r.reads.rowsInTable)} rows; p50 ${r.reads.byId.latencyMs.p50} ms, p99 ${r.reads.byId.latencyMs.p99} ms; ${r.reads.byId.non2xx} non-2xx${other(r.reads.byId.machine)}`,
    },
    {
      id: 'reads-list',
      scenario: '4. Reads, one node',
      figure: 'GET /users?limit=100',
      value: r.reads.listPage.okPerSecond,
      unit: 'req/s',
      ceiling: {
        name: 'empty Nest/Express route',
        value: r.ceilingHttp.okPerSecond,
        unit: 'req/s',
      },
      fraction: fraction(
        r.reads.listPage.okPerSecond,
        r.ceilingHttp.okPerSecond,
      ),
      conditions: `${r.reads.connections} connections, ${r.reads.listPage.durationSeconds} s; p50 ${r.reads.listPage.latencyMs.p50} ms, p99 ${r.reads.listPage.latencyMs.p99} ms; ${r.reads.listPage.non2xx} non-2xx${other(r.reads.listPage.machine)}`,
    },
    {
      id: 'rss-idle',
      scenario: '5. Footprint',
      figure: 'RSS of a node, idle',
      value: Math.max(
        ...Object.values(
          /** @type {Record<string, number>} */ (r.footprint.idleRssMiB),
        ),
      ),
      unit: 'MiB',
      conditions: `max of the 3 cluster nodes 3 s after start (${Object.values(r.footprint.idleRssMiB).join(' / ')})`,
    },
    {
      id: 'rss-load',
      scenario: '5. Footprint',
      figure: 'RSS of a node under load',
      value: Math.max(
        ...Object.values(
          /** @type {Record<string, number>} */ (
            r.footprint.writeLoadMaxRssMiB
          ),
        ),
        ...Object.values(
          /** @type {Record<string, number>} */ (r.footprint.readLoadMaxRssMiB),
        ),
      ),
      unit: 'MiB',
      conditions: `max sampled every 250 ms during scenarios 1 and 4 (writes ${Object.values(r.footprint.writeLoadMaxRssMiB).join(' / ')}; reads ${Object.values(r.footprint.readLoadMaxRssMiB).join(' / ')}); catch-up node max ${r.catchUp.rssMaxMiB}`,
    },
    {
      id: 'startup',
      scenario: '5. Footprint',
      figure: 'start → serving',
      value: r.footprint.startToServingMedianMs,
      unit: 'ms',
      conditions: `median of ${r.footprint.startToServingMs.length} fresh nodes on an empty log (${r.footprint.startToServingMs.join(', ')} ms): spawn until GET /users answers 200`,
    },
  ];
  const ceilings = [
    {
      name: 'Log: raw kafkajs produce',
      value: r.ceilingKafka.eventsPerSecond,
      unit: 'events/s',
      conditions: `${fmtInt(r.ceilingKafka.events)} envelopes of ${r.ceilingKafka.bytesPerEvent} B, batches of ${r.ceilingKafka.batch}, ${r.ceilingKafka.inFlight} in flight, acks=all, 1 partition (${r.ceilingKafka.megabytesPerSecond} MB/s)${other(r.ceilingKafka.machine)}`,
    },
    {
      name: 'Store: raw sqlite3 upserts',
      value: r.ceilingSqlite.queued.rowsPerSecond,
      unit: 'rows/s',
      conditions: `the same ${fmtInt(r.ceilingSqlite.queued.rows)} rows, one prepared INSERT … ON CONFLICT DO UPDATE, one transaction, node pragmas (WAL, synchronous=NORMAL); ${fmtInt(r.ceilingSqlite.awaitedOneByOne.rowsPerSecond)} rows/s when each statement is awaited${other(r.ceilingSqlite.queued.machine)}`,
    },
    {
      name: 'HTTP: empty Nest/Express route',
      value: r.ceilingHttp.okPerSecond,
      unit: 'req/s',
      conditions: `GET /ping → {"ok":true}, one process, ${r.ceilingHttp.connections} connections, ${r.ceilingHttp.durationSeconds} s; p50 ${r.ceilingHttp.latencyMs.p50} ms, p99 ${r.ceilingHttp.latencyMs.p99} ms${other(r.ceilingHttp.machine)}`,
    },
  ];
  return {
    quick: QUICK,
    runtimeSeconds: round(seconds, 0),
    environment: env,
    config: CONFIG,
    targets: TARGETS,
    summary: rows,
    ceilings,
    details: r,
  };
}

/** @param {any} report */
function renderMarkdown(report) {
  const env = report.environment;
  const value = (/** @type {number} */ v) =>
    Number.isInteger(v) && Math.abs(v) >= 1000 ? fmtInt(v) : String(v);
  const lines = [
    `# ClusterLite benchmark${report.quick ? ' (QUICK run: shortened, not for the record)' : ''}`,
    '',
    `- Commit \`${env.commitShort}\`${env.workingTreeChanged ? ' (with uncommitted changes)' : ''}, ${env.date}, ${report.runtimeSeconds} s, load average at start ${env.loadAverageAtStart}`,
    `- Machine: ${env.machine.cpus} cores (${env.machine.cpuModel}), ${env.machine.memoryGiB} GiB, ${env.machine.os}; everything (broker, 3 nodes, nginx, load generator) on this one machine`,
    `- Node ${env.versions.node}; Kafka ${env.versions.kafkaBroker} (KRaft, single broker, ${env.versions.java}); kafkajs ${env.versions.kafkajs}; sqlite3 ${env.versions.sqlite3} (SQLite ${env.versions.sqlite}); NestJS ${env.versions.nestCore}; TypeORM ${env.versions.typeorm}; nginx ${env.versions.nginx}; load: autocannon ${env.versions.autocannon}`,
    '',
    '| Scenario | Figure | Measured | Ceiling | Share of ceiling | Target | Met | Conditions |',
    '|---|---|---:|---:|---:|---|:-:|---|',
  ];
  for (const row of report.summary) {
    lines.push(
      `| ${row.scenario} | ${row.figure} | ${value(row.value)} ${row.unit} | ${row.ceiling ? `${value(row.ceiling.value)} ${row.ceiling.unit} (${row.ceiling.name})` : '–'} | ${
        row.fraction !== undefined ? `${round(row.fraction * 100, 1)}%` : '–'
      } | ${row.target ?? '–'} | ${row.met === undefined ? '–' : row.met ? 'yes' : '**no**'} | ${row.conditions} |`,
    );
  }
  lines.push('', '| Ceiling | Measured | Conditions |', '|---|---:|---|');
  for (const c of report.ceilings)
    lines.push(`| ${c.name} | ${value(c.value)} ${c.unit} | ${c.conditions} |`);
  const d = report.details;
  lines.push(
    '',
    `Replicas identical after the run (per-table SHA-256 from /_cluster/status): ${d.replicas.identical ? 'yes' : '**NO**'}; ` +
      `users rows ${d.replicas.usersRows.join(' / ')}; dead letters ${d.replicas.deadLetters.join(' / ')}; rejected events ${d.replicas.rejectedEvents.join(' / ')}.`,
    '',
    'Latencies are measured by the load generator from request sent to response received (2xx only). ' +
      'Writes answer 202 only after Kafka acknowledged the event (acks=all). Produced by `npm run bench` (bench/run.mjs); the full figures are in latest.json.',
    '',
  );
  return lines.join('\n');
}

process.on('SIGINT', () => {
  progress('interrupted');
  process.exit(130);
});

try {
  await main();
} catch (error) {
  progress(
    `FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exitCode = 1;
}
