// @ts-check
/** Fresh nodes outside the cluster (scenarios 5 and 3): start-up time and catch-up. */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SupervisedNode } from '../tools/supervisor/node.mjs';
import { findFreePort } from '../tools/kafka/broker.mjs';
import {
  RssSampler,
  cpuWindow,
  fmtInt,
  progress,
  rssMiB,
  round,
  sleep,
  waitFor200,
} from './lib.mjs';
import { CONFIG, TASKSET } from './config.mjs';
import { getJson, AppliedPositionReader } from './probes.mjs';

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

/** Kills the fresh nodes that still run (after a failure). */
export async function killFreshNodes() {
  await Promise.allSettled([...freshNodes].map((node) => node.kill()));
}

/**
 * Scenario 5: time from start to serving of fresh nodes on an empty log, and their idle memory.
 * @param {{ brokers: string, topicPrefix: string, workDir: string }} p
 */
export async function startupScenario({ brokers, topicPrefix, workDir }) {
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
      brokers,
      topicPrefix,
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
  return { startups, startupRss };
}

/**
 * A fresh node (own NODE_ID, empty file) started against the pre-filled topic, timed from
 * spawn until its stored position is end − 1 (checked again through /_cluster/status).
 * @param {{ nodeId: string, pin: number | undefined, brokers: string, topicPrefix: string,
 *   topic: string, end: number, workDir: string }} p pin: CPU to pin the node to (taskset), or none
 */
export async function catchUpScenario({
  nodeId,
  pin,
  brokers,
  topicPrefix,
  topic,
  end,
  workDir,
}) {
  const dbPath = join(workDir, 'catchup', `${nodeId}.sqlite`);
  const node = await spawnNode({
    nodeId,
    port: await findFreePort(),
    dbPath,
    brokers,
    topicPrefix,
    logFile: join(workDir, 'catchup', `${nodeId}.log`),
    pin,
  });
  const started = performance.now();
  const cpu = cpuWindow();
  const sampler = new RssSampler({
    [nodeId]: /** @type {number} */ (node.pid),
  });
  const servingAt = await waitFor200(`${node.url}/users?limit=1`, 60_000, node);
  progress(`  serving after ${round(servingAt - started, 0)} ms`);
  const reader = new AppliedPositionReader(dbPath);
  let firstAppliedAt = NaN;
  const deadline = performance.now() + 300_000;
  let lastReport = performance.now();
  let lastApplied = -1;
  for (;;) {
    const applied = await reader.applied(topic);
    if (applied >= 0 && Number.isNaN(firstAppliedAt))
      firstAppliedAt = performance.now();
    if (applied >= end - 1) break;
    if (performance.now() - lastReport > 2_000) {
      const rateNow =
        ((applied - lastApplied) / (performance.now() - lastReport)) * 1000;
      lastReport = performance.now();
      lastApplied = applied;
      progress(
        `  applied ${fmtInt(applied + 1)}/${fmtInt(end)} (${fmtInt(rateNow)} events/s now)`,
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
  // The node's own view follows its file: it advances once the COMMIT's callback has run,
  // which can be a moment after another process sees the commit in the file.
  let status;
  let progressOf;
  for (const checkBy = performance.now() + 5_000; ; await sleep(20)) {
    status = await getJson(`${node.url}/_cluster/status`);
    progressOf = status.topics.find(
      (/** @type {any} */ t) => t.topic === topic,
    );
    if (
      Number(progressOf?.appliedOffset) === end - 1 ||
      performance.now() > checkBy
    )
      break;
  }
  const rssAfter = rssMiB(/** @type {number} */ (node.pid));
  await node.stop();
  if (Number(progressOf?.appliedOffset) !== end - 1)
    throw new Error(
      `${nodeId}: status does not show appliedOffset = end - 1 (${progressOf?.appliedOffset})`,
    );
  const result = {
    events: end,
    pinnedToCpu: pin ?? null,
    startToServingMs: round(servingAt - started, 0),
    startToFirstAppliedMs: round(firstAppliedAt - started, 0),
    startToCaughtUpMs: round(caughtUpAt - started, 0),
    eventsPerSecond: round(end / ((caughtUpAt - started) / 1000), 0),
    eventsPerSecondAfterServing: round(
      end / ((caughtUpAt - servingAt) / 1000),
      0,
    ),
    status: {
      appliedOffset: progressOf?.appliedOffset,
      endOffset: progressOf?.endOffset,
      lag: progressOf?.lag,
      rows: status.tables.find((/** @type {any} */ t) => t.table === 'users')
        ?.rows,
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
}
