#!/usr/bin/env node
// @ts-check
/**
 * ClusterLite benchmark: `npm run bench` (= npm run build && node bench/run.mjs).
 *
 * Runs on one machine against a local cluster (a real Kafka broker from tools/kafka, three node
 * processes from dist/, nginx in front, all started by scripts/cluster.mjs) and writes
 * bench/results/latest.json and bench/results/latest.md. Load comes from autocannon.
 *
 *   node bench/run.mjs [--quick] [--out DIR] [--original DIR]
 *
 *   --quick         shorter runs and a 50,000-event catch-up (for trying things out; says so in the report)
 *   --out DIR       where to write latest.json / latest.md (default bench/results)
 *   --original DIR  a checkout of github.com/deemkeen/clusterlite (needs Go): the original runs in
 *                   the same run under the same loads, and the targets are judged against it
 *
 * Order (each step prints progress lines):
 *   1. ceilings: raw kafkajs produce (also pre-fills the catch-up topic), empty Nest/Express route
 *   2. cluster: 3 nodes + nginx; idle memory
 *   3. writes through nginx (fixed time, fixed connections) + time until every node applied them
 *   4. replication lag at a fixed rate (each node's applied position, polled every 5 ms)
 *   5. reads on one node: by id, list page; then a check that the replicas are identical
 *   5b. ceiling: the same reads on a bare Express route and bare node:http (bench/read-ceiling.mjs)
 *   5c. with --original: the original Go ClusterLite under the same loads (bench/original.mjs)
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
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative } from 'node:path';
import { NODE_MAIN, startCluster } from '../tools/supervisor/cluster.mjs';
import { ensureKafkaJars, startKafkaBroker } from '../tools/kafka/broker.mjs';
import { elapsedSeconds, fmtInt, progress, round, stats } from './lib.mjs';
import { QUICK, OUT_DIR, CONFIG, TASKSET, ORIGINAL_SOURCE } from './config.mjs';
import { measureOriginal } from './original.mjs';
import { environment } from './environment.mjs';
import {
  kafkaCeiling,
  kafkaConsumeCeiling,
  httpCeiling,
  readCeiling,
  sqliteCeiling,
} from './ceilings.mjs';
import { buildReport, renderMarkdown } from './report.mjs';
import { clusterScenarios } from './cluster-scenarios.mjs';
import {
  startupScenario,
  catchUpScenario,
  killFreshNodes,
} from './fresh-nodes.mjs';

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
    const { idleRss, writeRss, readRss, readIds, readDb } =
      await clusterScenarios({
        cluster,
        topic: `${prefix}.users`,
        endOffset,
        results,
      });
    progress(
      `ceiling: GET /users/{id} on a bare Express route, then on bare node:http (sqlite3 prepared get on ${cluster.nodes[0].nodeId}'s file, read-only)`,
    );
    results.ceilingRead = await readCeiling(readDb, readIds);
    progress(
      `  => Express ${fmtInt(results.ceilingRead.express.okPerSecond)} req/s, node:http ${fmtInt(results.ceilingRead.nodeHttp.okPerSecond)} req/s, Express + node:sqlite ${fmtInt(results.ceilingRead.expressNodeSqlite.okPerSecond)} req/s`,
    );
    progress('stopping the cluster...');
    await cluster.stop();
    cluster = undefined;

    // --- The original, side by side (same broker, nginx config and loads) --------------------
    if (ORIGINAL_SOURCE) {
      progress(`the original Go ClusterLite from ${ORIGINAL_SOURCE}`);
      results.original = await measureOriginal({
        source: ORIGINAL_SOURCE,
        brokers: broker.brokers,
        workDir: join(workDir, 'original'),
      });
    } else
      progress(
        'the original is not measured: give its checkout with --original DIR (or CLUSTERLITE_ORIGINAL)',
      );

    // --- Scenario 5: start-up time (fresh node, empty log) -----------------------------------
    const { startups, startupRss } = await startupScenario({
      brokers: broker.brokers,
      topicPrefix: `${prefix}-startup`,
      workDir,
    });
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
    /** @param {string} nodeId @param {number | undefined} pin */
    const catchUp = (nodeId, pin) =>
      catchUpScenario({
        nodeId,
        pin,
        brokers:
          /** @type {import('../tools/kafka/broker.mjs').KafkaBroker} */ (
            broker
          ).brokers,
        topicPrefix: catchUpPrefix,
        topic: catchUpTopic,
        end: catchUpEnd,
        workDir,
      });
    progress(
      `ceiling: raw kafkajs consume of ${catchUpTopic} (${fmtInt(catchUpEnd)} events), the nodes' fetch sizes`,
    );
    results.ceilingKafkaConsume = await kafkaConsumeCeiling(
      kafka,
      catchUpTopic,
      catchUpEnd,
    );
    progress(
      `  => ${fmtInt(results.ceilingKafkaConsume.eventsPerSecond)} events/s`,
    );
    progress(
      `scenario 3: catch-up of a fresh node on ${catchUpTopic} (${fmtInt(catchUpEnd)} events), nothing else running`,
    );
    // Several fresh nodes, one after another: the figure is the median run, all are reported.
    const catchUps = [];
    for (let run = 1; run <= CONFIG.catchUp.runs; run++)
      catchUps.push(await catchUp(`catchup-${run}`, undefined));
    const byRate = [...catchUps].sort(
      (a, b) => a.result.eventsPerSecond - b.result.eventsPerSecond,
    );
    const { result: catchUpResult, dbPath: catchUpDb } =
      byRate[Math.floor((byRate.length - 1) / 2)];
    results.catchUp = {
      ...catchUpResult,
      runsEventsPerSecond: catchUps.map((c) => c.result.eventsPerSecond),
    };
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
    await killFreshNodes();
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
