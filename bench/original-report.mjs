// @ts-check
/** The report of bench/original.mjs: the original Go ClusterLite's figures beside ClusterLite's. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fmtInt } from './lib.mjs';

/**
 * Writes original.json and original.md beside ClusterLite's latest.json, compared with it.
 * @param {string} OUT_DIR @param {string} SOURCE the checkout @param {any} r the figures
 */
export function report(OUT_DIR, SOURCE, r) {
  /** @type {any} */
  let ours = null;
  try {
    ours = JSON.parse(readFileSync(join(OUT_DIR, 'latest.json'), 'utf8'));
  } catch {
    /* no ClusterLite run to compare with */
  }
  const figure = (/** @type {string} */ id) =>
    ours?.summary?.find((/** @type {any} */ f) => f.id === id)?.value ?? null;
  const commit =
    spawnSync('git', ['rev-parse', '--verify', '-q', 'HEAD'], {
      cwd: SOURCE,
      encoding: 'utf8',
    }).stdout?.trim() || 'unknown';
  const result = {
    date: new Date().toISOString(),
    source: {
      dir: SOURCE,
      commit,
      patch: 'KAFKA_URL and HTTP_PORT constants read from the environment',
    },
    machine: {
      cpus: os.cpus().length,
      memoryGiB: Number((os.totalmem() / 1024 ** 3).toFixed(1)),
    },
    ...r,
  };
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(
    join(OUT_DIR, 'original.json'),
    `${JSON.stringify(result, null, 2)}\n`,
  );
  const row = (
    /** @type {string} */ what,
    /** @type {string} */ original,
    /** @type {any} */ mine,
    /** @type {string} */ unit,
  ) =>
    `| ${what} | ${original} | ${mine === null ? '–' : `${typeof mine === 'number' ? mine.toLocaleString('en-US') : mine} ${unit}`} |`;
  const md = [
    '# The original Go ClusterLite on the same machine',
    '',
    `- ${result.date}; source: github.com/deemkeen/clusterlite at commit ${commit === 'unknown' ? 'unknown (not a git checkout)' : `\`${commit.slice(0, 7)}\``}, built with its broker and port read from the environment (nothing else changed)`,
    `- ${result.machine.cpus} cores, ${result.machine.memoryGiB} GiB; the same Kafka broker jars, nginx config and autocannon settings as bench/run.mjs`,
    '- As its docker-compose.yml runs it: three nodes sharing one SQLite file and one consumer group, so each event is applied once, by one node (ClusterLite applies every event on every node, each into its own file)',
    '',
    '| Figure | Original (Go) | ClusterLite (bench/results/latest.json) |',
    '|---|---:|---:|',
    row(
      'Writes through nginx, 64 connections, 20 s',
      `${fmtInt(r.writes.okPerSecond)} writes/s`,
      figure('writes'),
      'writes/s',
    ),
    row(
      '  latency p50 / p99',
      `${r.writes.latencyMs.p50} / ${r.writes.latencyMs.p99} ms`,
      figure('writes-p50') === null
        ? null
        : `${figure('writes-p50')} / ${figure('writes-p99')}`,
      'ms',
    ),
    row(
      '  every accepted write applied',
      `${r.drainedMs} ms after the load (${fmtInt(r.events)} events, one file)`,
      figure('writes-drain'),
      'ms after the load (on all 3 files)',
    ),
    row(
      'Reads by id, one node, 32 connections, 10 s',
      `${fmtInt(r.reads.okPerSecond)} req/s (p99 ${r.reads.latencyMs.p99} ms)`,
      figure('reads-id'),
      'req/s',
    ),
    row(
      'Catch-up of a fresh node',
      `${fmtInt(r.catchUp.eventsPerSecond)} events/s (${fmtInt(r.catchUp.events)} events)`,
      figure('catchup'),
      'events/s (200,000 events)',
    ),
    row(
      'Resident memory, idle',
      `${Math.max(...r.idleRss)} MiB`,
      figure('rss-idle'),
      'MiB',
    ),
    row(
      'Resident memory under load',
      `${Math.max(...r.writeRss, r.readRss)} MiB`,
      figure('rss-load'),
      'MiB',
    ),
    '',
    'Produced by `node bench/original.mjs --source <checkout>`; the figures are in original.json.',
    '',
  ].join('\n');
  writeFileSync(join(OUT_DIR, 'original.md'), md);
  console.log(`\n${md}`);
}
