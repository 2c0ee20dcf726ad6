// @ts-check
/**
 * The original Go ClusterLite (github.com/deemkeen/clusterlite) under the loads of
 * bench/run.mjs, in the same run, for the side-by-side figures: `npm run bench -- --original DIR`.
 *
 * The original reads no configuration: its broker (`redpanda:9092`) and port (`:8082`) are
 * constants. A copy of the checkout is built with those two constants read from KAFKA_URL and
 * HTTP_PORT instead; nothing else changes. It then runs as its docker-compose.yml runs it: three
 * nodes sharing ONE SQLite file (`./db/db.sqlite` in one working directory) and one consumer
 * group, so each event is applied once, by one node. nginx (the config ClusterLite's nodes get)
 * spreads the load; the Kafka broker is the run's own.
 *
 * Scenarios, with the settings of bench/config.mjs: writes through nginx, reads by id on one
 * node, catch-up (a fresh node in an empty directory reads the whole topic from its first
 * offset) and resident memory.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import sqlite3 from 'sqlite3';
import { killNow, supervise } from '../tools/supervisor/children.mjs';
import { findNginx, renderNginxConf } from '../tools/supervisor/nginx.mjs';
import { findFreePort } from '../tools/kafka/broker.mjs';
import { CONFIG } from './config.mjs';
import {
  RssSampler,
  createUserRequest,
  fmtInt,
  load,
  progress,
  readByIdRequest,
  rssMiB,
  sleep,
  waitFor200,
} from './lib.mjs';

const TOPIC = 'db_events';
const GROUP = 'db-consumer-group';

/** Builds the checkout with its broker and port read from the environment. */
function build(/** @type {string} */ source, /** @type {string} */ work) {
  const dir = join(work, 'src');
  cpSync(source, dir, {
    recursive: true,
    filter: (path) => !path.includes(`${source}/.git`),
  });
  const main = join(dir, 'main.go');
  const text = readFileSync(main, 'utf8');
  const patched = text
    .replace(
      /\bconst \(\s*\n(\s*DB_PATH\s*=\s*"[^"]*"\s*\n)\s*KAFKA_URL\s*=\s*"[^"]*"\s*\n\s*HTTP_PORT\s*=\s*"[^"]*"\s*\n\)/,
      'var (\n$1\tKAFKA_URL = os.Getenv("KAFKA_URL")\n\tHTTP_PORT = os.Getenv("HTTP_PORT")\n)',
    )
    .replace('"path/filepath"\n', '"os"\n\t"path/filepath"\n');
  if (patched === text || !patched.includes('os.Getenv("HTTP_PORT")'))
    throw new Error(
      `${main}: the DB_PATH/KAFKA_URL/HTTP_PORT constants were not found`,
    );
  writeFileSync(main, patched);
  progress('original: building it (go build)...');
  const run = spawnSync('go', ['build', '-o', 'clusterlite-original', '.'], {
    cwd: dir,
    stdio: 'inherit',
  });
  if (run.status !== 0) throw new Error('go build failed');
  return join(dir, 'clusterlite-original');
}

/** Counts the rows of `users` in a SQLite file, on one read-only connection. */
class UserCounter {
  /** @param {string} file */
  constructor(file) {
    this.db = new sqlite3.Database(file, sqlite3.OPEN_READONLY);
  }
  /** @returns {Promise<number>} */
  count() {
    return new Promise((res) =>
      this.db.get('SELECT COUNT(*) AS n FROM users', (e, row) =>
        res(e ? 0 : /** @type {any} */ (row).n),
      ),
    );
  }
  close() {
    this.db.close();
  }
}

/** The processes this run starts, each under the supervisor (tools/supervisor). */
/** @type {Array<{ child: import('node:child_process').ChildProcess, exited: Promise<unknown> }>} */
const children = [];

/** @param {import('node:child_process').ChildProcess} child */
function supervised(child) {
  children.push({ child, exited: supervise(child) });
  return child;
}
/** @param {string} binary @param {string} cwd @param {string} brokers @param {number} port */
function startNode(binary, cwd, brokers, port) {
  mkdirSync(join(cwd, 'db'), { recursive: true });
  const child = spawn(binary, [], {
    cwd,
    env: { ...process.env, KAFKA_URL: brokers, HTTP_PORT: `:${port}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // It logs every event; like docker, keep its output.
  const log = createWriteStream(join(cwd, `node-${port}.log`), { flags: 'a' });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  child.once('exit', () => log.end());
  return supervised(child);
}

/**
 * Builds the original from `source` and runs its scenarios against the broker at `brokers`;
 * resolves with its figures. Everything it starts is stopped before it returns.
 * @param {{ source: string, brokers: string, workDir: string }} p
 */
export async function measureOriginal({ source, brokers, workDir }) {
  const WORK = workDir;
  mkdirSync(WORK, { recursive: true });
  const binary = build(source, WORK);
  const { connections: wc, warmupSeconds, durationSeconds: wd } = CONFIG.writes;
  const { connections: rc, durationSeconds: rd } = CONFIG.reads;
  let nginx;
  try {
    const shared = join(WORK, 'shared');
    const ports = [
      await findFreePort(),
      await findFreePort(),
      await findFreePort(),
    ];
    /** @type {import('node:child_process').ChildProcess[]} */
    const nodes = [];
    for (const port of ports) {
      const node = startNode(binary, shared, brokers, port);
      nodes.push(node);
      await waitFor200(`http://127.0.0.1:${port}/users`, 30_000, {
        get running() {
          return node.exitCode === null && node.signalCode === null;
        },
      });
    }
    await sleep(3_000);
    const idleRss = nodes.map((n) => Number(rssMiB(n.pid).toFixed(1)));
    const nginxBin = findNginx();
    if (!nginxBin)
      throw new Error('nginx not found (apt-get install nginx-light)');
    const listenPort = await findFreePort();
    const runtimeDir = join(WORK, 'nginx');
    mkdirSync(join(runtimeDir, 'tmp'), { recursive: true });
    writeFileSync(
      join(runtimeDir, 'nginx.conf'),
      renderNginxConf({ listenPort, upstreamPorts: ports, runtimeDir }),
    );
    nginx = supervised(
      spawn(
        nginxBin,
        ['-p', runtimeDir, '-c', join(runtimeDir, 'nginx.conf')],
        {
          stdio: 'ignore',
        },
      ),
    );
    const url = `http://127.0.0.1:${listenPort}`;
    await waitFor200(`${url}/users`, 30_000);
    progress(
      `3 original nodes (one shared SQLite file) behind nginx at ${url}`,
    );

    // The original answers its 202 with no body.
    const writeRequest = createUserRequest(`${Date.now()}-`);
    progress(
      `original: writes through nginx, ${warmupSeconds} s warm-up, then ${wc} connections for ${wd} s`,
    );
    const warmUp = await load('warm-up', {
      url,
      connections: wc,
      duration: warmupSeconds,
      requests: [writeRequest],
    });
    const writeSampler = new RssSampler(
      Object.fromEntries(nodes.map((n, i) => [`node-${i + 1}`, n.pid])),
    );
    const writes = await load('original POST /users', {
      url,
      connections: wc,
      duration: wd,
      requests: [writeRequest],
    });
    const writeRss = Object.values(writeSampler.stop());
    const admin = new Kafka({
      brokers: [brokers],
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    const events = (await admin.fetchTopicOffsets(TOPIC)).reduce(
      (sum, p) => sum + Number(p.high),
      0,
    );
    const sharedRows = new UserCounter(join(shared, 'db', 'db.sqlite'));
    const loadEnded = performance.now();
    while (
      (await sharedRows.count()) < events &&
      performance.now() - loadEnded < 60_000
    )
      await sleep(10);
    const drainedMs = Math.round(performance.now() - loadEnded);
    progress(
      `  all ${fmtInt(events)} events applied (to the shared file) ${drainedMs} ms after the load ended`,
    );

    /** @type {string[]} */
    const ids = await new Promise((res, rej) =>
      sharedRows.db.all(
        'SELECT id FROM users ORDER BY random() LIMIT 20000',
        (e, rows) =>
          e ? rej(e) : res(rows.map((/** @type {any} */ r) => r.id)),
      ),
    );
    progress(`original: reads by id on one node, ${rc} connections, ${rd} s`);
    const readSampler = new RssSampler({ 'node-1': nodes[0].pid });
    const reads = await load('original GET /users/{id}', {
      url: `http://127.0.0.1:${ports[0]}`,
      connections: rc,
      duration: rd,
      requests: [readByIdRequest(ids)],
    });
    const readRss = readSampler.stop()['node-1'];

    progress(
      'original: catch-up; stopping the nodes, rewinding the group, starting a fresh node in an empty directory',
    );
    nginx.kill('SIGTERM');
    for (const node of nodes) node.kill('SIGTERM');
    const rows = await sharedRows.count();
    sharedRows.close();
    // The nodes do not leave the group on SIGTERM: wait for their session to expire.
    const rewindDeadline = Date.now() + 60_000;
    for (;;) {
      try {
        await admin.resetOffsets({
          groupId: GROUP,
          topic: TOPIC,
          earliest: true,
        });
        break;
      } catch (error) {
        if (Date.now() > rewindDeadline) throw error;
        await sleep(1_000);
      }
    }
    await admin.disconnect();
    const fresh = join(WORK, 'fresh');
    const freshFile = join(fresh, 'db', 'db.sqlite');
    const started = performance.now();
    const node = startNode(binary, fresh, brokers, await findFreePort());
    const catchUpSampler = new RssSampler({ fresh: node.pid });
    while (!existsSync(freshFile)) await sleep(10);
    const freshRows = new UserCounter(freshFile);
    while ((await freshRows.count()) < rows) {
      if (performance.now() - started > 300_000)
        throw new Error('the fresh node did not catch up in 5 minutes');
      await sleep(20);
    }
    const catchUpMs = performance.now() - started;
    freshRows.close();
    const catchUp = {
      events: rows,
      ms: Math.round(catchUpMs),
      eventsPerSecond: Math.round(rows / (catchUpMs / 1000)),
      rssMaxMiB: catchUpSampler.stop().fresh,
    };
    progress(
      `  ${fmtInt(catchUp.eventsPerSecond)} events/s (${fmtInt(rows)} rows in ${catchUp.ms} ms)`,
    );
    node.kill('SIGTERM');

    return {
      source: { dir: source, commit: commitOf(source) },
      writes: {
        ...writes,
        warmUp: {
          seconds: warmupSeconds,
          acceptedPerSecond: warmUp.okPerSecond,
        },
      },
      drainedMs,
      events,
      reads,
      catchUp,
      idleRss,
      writeRss,
      readRss,
    };
  } finally {
    nginx?.kill('SIGTERM');
    await Promise.all(
      children.map(({ child, exited }) => killNow(child, exited)),
    );
  }
}

/** The commit of a checkout, or 'unknown'. @param {string} dir */
function commitOf(dir) {
  return (
    spawnSync('git', ['rev-parse', '--verify', '-q', 'HEAD'], {
      cwd: dir,
      encoding: 'utf8',
    }).stdout?.trim() || 'unknown'
  );
}
