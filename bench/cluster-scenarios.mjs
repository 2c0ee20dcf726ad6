// @ts-check
/** The benchmark's scenarios on a running 3-node cluster behind nginx. */
import { performance } from 'node:perf_hooks';
import {
  RssSampler,
  createUserRequest,
  fmtInt,
  load,
  pacedLoad,
  progress,
  readByIdRequest,
  rssMiB,
  round,
  sleep,
  stats,
} from './lib.mjs';
import { CONFIG, LAG_POLL_MS } from './config.mjs';
import {
  getJson,
  AppliedPositionReader,
  waitApplied,
  ApplyTracker,
} from './probes.mjs';

/**
 * Scenarios 1, 2 and 4 on the running cluster: writes through nginx, replication lag at a fixed
 * rate, reads on one node; then whether the replicas are identical. Fills `results`.
 * @param {{ cluster: import('../tools/supervisor/cluster.mjs').Cluster, topic: string,
 *   endOffset: (topic: string) => Promise<number>, results: Record<string, any> }} p
 */
export async function clusterScenarios({ cluster, topic, endOffset, results }) {
  const nodes = cluster.nodes;
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
  const { connections: wc, warmupSeconds, durationSeconds: wd } = CONFIG.writes;
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
  const warmUp = await load('warm-up', {
    url: cluster.url,
    connections: wc,
    duration: warmupSeconds,
    requests: [writeRequest],
  });
  await waitApplied(readers, topic, maxOffset, 60_000);
  const before = await endOffset(topic);
  progress(`scenario 1: POST /users through nginx, ${wc} connections, ${wd} s`);
  const writeSampler = new RssSampler(pids);
  const writes = await load('writes', {
    url: cluster.url,
    connections: wc,
    duration: wd,
    requests: [writeRequest],
  });
  const loadEnded = performance.now();
  const after = await endOffset(topic);
  const drainedAt = await waitApplied(readers, topic, after - 1, 120_000, (m) =>
    progress(`  ${m}`),
  );
  const writeRss = writeSampler.stop();
  results.writes = {
    connections: wc,
    ...writes,
    acceptedPerSecond: writes.okPerSecond,
    warmUp: { seconds: warmupSeconds, acceptedPerSecond: warmUp.okPerSecond },
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
    onResponse: (/** @type {number} */ status, /** @type {string} */ body) => {
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
  const readSampler = new RssSampler({ [node1.nodeId]: node1.pid });
  const byId = await load('GET /users/{id}', {
    url: node1.url,
    connections: rc,
    duration: rd,
    requests: [readByIdRequest(createdIds)],
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

  return {
    idleRss,
    writeRss,
    readRss,
    readIds: createdIds,
    readDb: node1.dbPath,
  };
}
