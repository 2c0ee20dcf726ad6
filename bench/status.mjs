// @ts-check
/**
 * The cost of GET /_cluster/status at 10 rows and at 100,000 rows, on one embedded node
 * from the build (`npm run bench:status`). The checksums are kept as events are applied,
 * so the two should cost about the same; the ratio of the medians (p50) is the figure. The full
 * recomputation (`?verify=true`) at 100,000 rows is shown beside it for contrast.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { SupervisedNode } from '../tools/supervisor/node.mjs';
import { fmtInt, progress, round, setProgressLabel, stats } from './lib.mjs';

setProgressLabel('bench:status');
const HERE = dirname(fileURLToPath(import.meta.url));
const ROWS = Number(process.env.BENCH_STATUS_ROWS ?? 100_000);
const CALLS = Number(process.env.BENCH_STATUS_CALLS ?? 200);
const BULK = 1000;

/** A port nobody listens on now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        resolve(typeof address === 'object' && address ? address.port : 0),
      );
    });
  });
}

/**
 * Latencies (ms) of `calls` sequential GETs of `url`, after a few unmeasured ones.
 * @param {string} url @param {number} calls @param {number} [warmUp]
 */
async function timeCalls(url, calls, warmUp = 10) {
  for (let i = 0; i < warmUp; i++) await (await fetch(url)).arrayBuffer();
  const latencies = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    const response = await fetch(url);
    await response.arrayBuffer();
    if (response.status !== 200)
      throw new Error(`${url} answered ${response.status}`);
    latencies.push(performance.now() - started);
  }
  return stats(latencies);
}

/**
 * Three rounds of `calls` after a pause: the machine may be busy with other work, and the
 * node with the writes just made (WAL checkpoint, garbage collection). The round with the
 * median p50 stands for the size.
 * @param {string} url @param {number} calls
 */
async function measure(url, calls) {
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const rounds = [];
  for (let round = 0; round < 3; round++)
    rounds.push(await timeCalls(url, calls));
  rounds.sort((a, b) => a.p50 - b.p50);
  return { ...rounds[1], roundsP50: rounds.map((r) => r.p50) };
}

/**
 * Creates `count` users in bulk requests; resolves once the node applied the last.
 * @param {string} base @param {number} count @param {number} from
 */
async function createUsers(base, count, from) {
  let position = '';
  for (let done = 0; done < count; done += BULK) {
    const items = Array.from(
      { length: Math.min(BULK, count - done) },
      (_, i) => ({
        name: `User ${from + done + i}`,
        email: `user${from + done + i}@example.com`,
      }),
    );
    const response = await fetch(`${base}/users`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(items),
    });
    if (response.status !== 202)
      throw new Error(
        `bulk create answered ${response.status}: ${await response.text()}`,
      );
    position = response.headers.get('clusterlite-position') ?? '';
    await response.arrayBuffer();
    if ((done / BULK) % 10 === 9)
      progress(`  ${fmtInt(from + done + BULK)} rows written`);
  }
  for (;;) {
    const read = await fetch(`${base}/users?limit=1`, {
      headers: { 'ClusterLite-Position': position },
    });
    await read.arrayBuffer();
    if (read.status === 200) return;
  }
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'clusterlite-bench-status-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const node = new SupervisedNode({
    nodeId: 'bench-status',
    port,
    dbPath: join(dir, 'node.sqlite'),
    logFile: join(dir, 'node.log'),
    env: { KAFKA_BROKERS: '', API_KEYS: '', LOG_LEVEL: 'warn' },
    echo: true,
  });
  try {
    await node.start('ready');
    await createUsers(base, 10, 0);
    progress('status at 10 rows…');
    const small = await measure(`${base}/_cluster/status`, CALLS);
    progress(
      `  p50 ${small.p50} ms (rounds ${small.roundsP50.join(', ')}), mean ${small.mean} ms`,
    );
    progress(`writing ${fmtInt(ROWS - 10)} more rows…`);
    await createUsers(base, ROWS - 10, 10);
    progress(`status at ${fmtInt(ROWS)} rows…`);
    const large = await measure(`${base}/_cluster/status`, CALLS);
    progress(
      `  p50 ${large.p50} ms (rounds ${large.roundsP50.join(', ')}), mean ${large.mean} ms`,
    );
    const verify = await timeCalls(`${base}/_cluster/status?verify=true`, 5, 1);
    progress(`  verify=true (full recomputation): p50 ${verify.p50} ms`);
    const status = await (
      await fetch(`${base}/_cluster/status?verify=true`)
    ).json();
    const users = status.tables.find(
      (/** @type {{ table: string }} */ table) => table.table === 'users',
    );
    if (users.rows !== ROWS || !status.checksumsVerified)
      throw new Error(`unexpected status: ${JSON.stringify(users)}`);
    const result = {
      measuredAt: new Date().toISOString(),
      rows: { small: 10, large: ROWS },
      callsEach: CALLS,
      statusMs: { small, large },
      verifyMsAtLarge: verify,
      ratioP50: round(large.p50 / small.p50, 2),
      ratioMean: round(large.mean / small.mean, 2),
    };
    mkdirSync(join(HERE, 'results'), { recursive: true });
    writeFileSync(
      join(HERE, 'results', 'status.json'),
      `${JSON.stringify(result, null, 2)}\n`,
    );
    progress(
      `ratio ${fmtInt(ROWS)} rows / 10 rows: p50 ×${result.ratioP50}, mean ×${result.ratioMean} (bench/results/status.json)`,
    );
  } finally {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
