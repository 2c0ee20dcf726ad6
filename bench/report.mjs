// @ts-check
/** The benchmark report: latest.json (figures, conditions, targets) and latest.md. */
import { fmtInt, round } from './lib.mjs';
import { QUICK, CONFIG, LAG_POLL_MS, TARGETS } from './config.mjs';
import { judgeTargets, renderSideBySide, renderTargets } from './targets.mjs';

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

/** @param {ReturnType<typeof import('./environment.mjs').environment>} env @param {Record<string, any>} r @param {number} seconds */
export function buildReport(env, r, seconds) {
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
      conditions: `POST /users, ${w.connections} connections, ${w.durationSeconds} s, through nginx to 3 nodes, after a ${w.warmUp.seconds} s warm-up (${fmtInt(w.warmUp.acceptedPerSecond)} writes/s); ${w.non2xx} non-2xx, ${w.errors} errors${other(w.machine)}`,
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
      conditions: `${fmtInt(r.lag.accepted)} writes; ${r.lag.missingOnSomeNode} never seen on some node; write latency p99 ${r.lag.writeLatencyMs.p99} ms${other(r.lag.machine)}`,
    },
    {
      id: 'catchup',
      scenario: '3. Catch-up',
      figure: 'events applied, start → end of log',
      value: r.catchUp.eventsPerSecond,
      unit: 'events/s',
      // The store's ceiling with the nodes' own driver (node:sqlite) when the run measured it.
      ceiling: {
        name: `raw ${r.ceilingSqlite.nodeSqlite ? 'node:sqlite' : 'sqlite3'} upserts, one transaction`,
        value: (r.ceilingSqlite.nodeSqlite ?? r.ceilingSqlite.queued)
          .rowsPerSecond,
        unit: 'rows/s',
      },
      fraction: fraction(
        r.catchUp.eventsPerSecond,
        (r.ceilingSqlite.nodeSqlite ?? r.ceilingSqlite.queued).rowsPerSecond,
      ),
      conditions: `${fmtInt(r.catchUp.events)} events pre-filled with kafkajs, fresh node (empty file), timed from process start until appliedOffset = end − 1 (${r.catchUp.startToCaughtUpMs} ms); the median of ${r.catchUp.runsEventsPerSecond.length} fresh nodes started one after another (${r.catchUp.runsEventsPerSecond.map(fmtInt).join(' / ')} events/s)${other(r.catchUp.machine)}`,
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
            conditions: `a second fresh node started with \`taskset -c 1\` (not how the cluster runs nodes): all its threads (the main thread, which applies the events, and the others) share one core; caught up after ${r.catchUpPinned.startToCaughtUpMs} ms${other(r.catchUpPinned.machine)}`,
          },
        ]
      : []),
    {
      id: 'reads-id',
      scenario: '4. Reads, one node',
      figure: 'GET /users/{id}',
      value: r.reads.byId.okPerSecond,
      unit: 'req/s',
      ceiling: r.ceilingRead
        ? {
            name: 'bare Express 5 route + sqlite3 prepared get',
            value: r.ceilingRead.express.okPerSecond,
            unit: 'req/s',
          }
        : {
            name: 'empty Nest/Express route',
            value: r.ceilingHttp.okPerSecond,
            unit: 'req/s',
          },
      fraction: fraction(
        r.reads.byId.okPerSecond,
        r.ceilingRead?.express.okPerSecond ?? r.ceilingHttp.okPerSecond,
      ),
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
    ...(r.ceilingKafkaConsume
      ? [
          {
            name: 'Log: raw kafkajs consume',
            value: r.ceilingKafkaConsume.eventsPerSecond,
            unit: 'events/s',
            conditions: `the ${fmtInt(r.ceilingKafkaConsume.events)} events of the catch-up topic, from its start, by a consumer of a fresh group with the nodes' fetch sizes (${r.ceilingKafkaConsume.fetch.maxBytesPerPartition / 1024} KiB per partition), timed from its start (the group join included), counted, not applied; run just before scenario 3${other(r.ceilingKafkaConsume.machine)}`,
          },
        ]
      : []),
    {
      name: 'Store: raw sqlite3 upserts',
      value: r.ceilingSqlite.queued.rowsPerSecond,
      unit: 'rows/s',
      conditions: `the same ${fmtInt(r.ceilingSqlite.queued.rows)} rows, one prepared INSERT … ON CONFLICT DO UPDATE, one transaction, node pragmas (WAL, synchronous=NORMAL); ${fmtInt(r.ceilingSqlite.awaitedOneByOne.rowsPerSecond)} rows/s when each statement is awaited${other(r.ceilingSqlite.queued.machine)}`,
    },
    ...(r.ceilingSqlite.nodeSqlite
      ? [
          {
            name: 'Store: raw node:sqlite upserts',
            value: r.ceilingSqlite.nodeSqlite.rowsPerSecond,
            unit: 'rows/s',
            conditions: `the same rows and statement on the calling thread (the nodes' driver), one transaction${other(r.ceilingSqlite.nodeSqlite.machine)}`,
          },
        ]
      : []),
    {
      name: 'HTTP: empty Nest/Express route',
      value: r.ceilingHttp.okPerSecond,
      unit: 'req/s',
      conditions: `GET /ping → {"ok":true}, one process, ${r.ceilingHttp.connections} connections, ${r.ceilingHttp.durationSeconds} s; p50 ${r.ceilingHttp.latencyMs.p50} ms, p99 ${r.ceilingHttp.latencyMs.p99} ms${other(r.ceilingHttp.machine)}`,
    },
    ...(r.ceilingRead
      ? [
          {
            name: 'HTTP read: bare Express 5 route + sqlite3 prepared get',
            value: r.ceilingRead.express.okPerSecond,
            unit: 'req/s',
            conditions: `GET /users/{id} on a read-only connection to node 1's file, the same ids, one process, ${r.reads.connections} connections; p99 ${r.ceilingRead.express.latencyMs.p99} ms; the load generator used ${r.ceilingRead.express.loadGeneratorCpuPercent}% of a core`,
          },
          {
            name: 'HTTP read: bare node:http + sqlite3 prepared get',
            value: r.ceilingRead.nodeHttp.okPerSecond,
            unit: 'req/s',
            conditions: `the same without Express; p99 ${r.ceilingRead.nodeHttp.latencyMs.p99} ms; the load generator used ${r.ceilingRead.nodeHttp.loadGeneratorCpuPercent}% of a core`,
          },
          ...(r.ceilingRead.expressNodeSqlite
            ? [
                {
                  name: 'HTTP read: bare Express 5 route + node:sqlite prepared get',
                  value: r.ceilingRead.expressNodeSqlite.okPerSecond,
                  unit: 'req/s',
                  conditions: `the same Express route reading on the calling thread (the nodes' driver); p99 ${r.ceilingRead.expressNodeSqlite.latencyMs.p99} ms; the load generator used ${r.ceilingRead.expressNodeSqlite.loadGeneratorCpuPercent}% of a core`,
                },
              ]
            : []),
        ]
      : []),
    {
      name: 'Load generator (autocannon, in the benchmark process)',
      value: r.reads.byId.loadGeneratorCpuPercent,
      unit: '% of a core',
      conditions: `during GET /users/{id} on ClusterLite; ${r.writes.loadGeneratorCpuPercent}% during the writes`,
    },
  ];
  return {
    quick: QUICK,
    runtimeSeconds: round(seconds, 0),
    environment: env,
    config: CONFIG,
    targets: TARGETS,
    judged: judgeTargets(r),
    summary: rows,
    ceilings,
    details: r,
  };
}

/** @param {any} report */
export function renderMarkdown(report) {
  const env = report.environment;
  const value = (/** @type {number} */ v) =>
    Number.isInteger(v) && Math.abs(v) >= 1000 ? fmtInt(v) : String(v);
  const lines = [
    `# ClusterLite benchmark${report.quick ? ' (QUICK run: shortened, not for the record)' : ''}`,
    '',
    `- Commit \`${env.commitShort}\`${env.workingTreeChanged ? ' (with uncommitted changes)' : ''}, ${env.date}, ${report.runtimeSeconds} s, load average at start ${env.loadAverageAtStart}`,
    `- Machine: ${env.machine.cpus} cores (${env.machine.cpuModel}), ${env.machine.memoryGiB} GiB, ${env.machine.os}; everything (broker, 3 nodes, nginx, load generator) on this one machine`,
    `- Node ${env.versions.node}; Kafka ${env.versions.kafkaBroker} (KRaft, single broker, ${env.versions.java}); kafkajs ${env.versions.kafkajs}; node:sqlite (SQLite ${env.versions.nodeSqlite ?? '?'}) in the nodes, sqlite3 ${env.versions.sqlite3} (SQLite ${env.versions.sqlite}) for the ceilings; NestJS ${env.versions.nestCore}; TypeORM ${env.versions.typeorm}; nginx ${env.versions.nginx}; load: autocannon ${env.versions.autocannon}`,
    '',
    '',
    '## Targets (issue 15)',
    '',
    ...renderTargets(report.judged),
    '',
    ...(report.details.original
      ? ['## Side by side with the original', '']
      : []),
    ...renderSideBySide(report.details),
    '## Figures',
    '',
    '| Scenario | Figure | Measured | Ceiling | Share of ceiling | Conditions |',
    '|---|---|---:|---:|---:|---|',
  ];
  for (const row of report.summary) {
    lines.push(
      `| ${row.scenario} | ${row.figure} | ${value(row.value)} ${row.unit} | ${row.ceiling ? `${value(row.ceiling.value)} ${row.ceiling.unit} (${row.ceiling.name})` : '–'} | ${
        row.fraction !== undefined ? `${round(row.fraction * 100, 1)}%` : '–'
      } | ${row.conditions} |`,
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
