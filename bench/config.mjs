// @ts-check
/** The knobs of `npm run bench` (bench/run.mjs): its flags, the run's sizes and the targets. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const HERE = dirname(fileURLToPath(import.meta.url));

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    original: { type: 'string' },
  },
  strict: true,
});
export const QUICK = /** @type {boolean} */ (args.quick);
export const OUT_DIR = resolve(
  /** @type {string | undefined} */ (args.out) ?? join(HERE, 'results'),
);

/**
 * A checkout of the original Go ClusterLite (github.com/deemkeen/clusterlite), from `--original DIR`
 * or CLUSTERLITE_ORIGINAL: when given, the same run measures it under the same loads, side by side.
 */
export const ORIGINAL_SOURCE = (() => {
  const dir =
    /** @type {string | undefined} */ (args.original) ??
    process.env.CLUSTERLITE_ORIGINAL;
  return dir ? resolve(dir) : undefined;
})();

/**
 * Every knob of the run; copied into the report. The writes' warm-up is long enough for the
 * JIT compilers on their path (V8 in the nodes, the broker's JVM) to settle: on a fresh broker
 * and cluster, 5-s windows of the same load measured 1.8k, 2.7k, 3.0k, then 4.2-4.9k writes/s
 * from the 15th second on, with the broker's CPU per write halving. The original (Go, compiled
 * ahead of time) gets the same warm-up, on the broker ClusterLite warmed before it.
 */
export const CONFIG = QUICK
  ? {
      writes: { connections: 64, warmupSeconds: 5, durationSeconds: 6 },
      lag: { rate: 500, clients: 50, durationSeconds: 6 },
      reads: { connections: 32, durationSeconds: 4 },
      httpCeiling: { connections: 32, durationSeconds: 4 },
      catchUp: {
        events: 50_000,
        produceBatch: 1_000,
        produceInFlight: 4,
        runs: 1,
      },
      startupRuns: 2,
    }
  : {
      writes: { connections: 64, warmupSeconds: 15, durationSeconds: 20 },
      lag: { rate: 500, clients: 50, durationSeconds: 20 },
      reads: { connections: 32, durationSeconds: 10 },
      httpCeiling: { connections: 32, durationSeconds: 10 },
      catchUp: {
        events: 200_000,
        produceBatch: 1_000,
        produceInFlight: 4,
        runs: 3,
      },
      startupRuns: 3,
    };

/** taskset (util-linux), to run one extra catch-up with the node pinned to one CPU; undefined if missing. */
export const TASKSET = ['/usr/bin/taskset', '/bin/taskset'].find((p) =>
  existsSync(p),
);

/** How often scenario 2 reads each node's applied position (ms): the lag's resolution. */
export const LAG_POLL_MS = 5;

/**
 * The targets of issue 15. Most are ratios against what the same run measured: the original
 * (when its source is given) and a bare Express route reading the same row.
 */
export const TARGETS = {
  /** reads by id on one node ÷ the original's, same connections and time */
  readsVsOriginal: 0.3,
  /** reads by id on one node ÷ a bare Express 5 route + sqlite3 prepared get, one process each */
  readsVsBareExpress: 0.9,
  /** writes through nginx, applied on all three nodes ÷ the original's accepted writes */
  writesVsOriginal: 1.3,
  /** write p99 ÷ the original's write p99 */
  writesP99VsOriginal: 1,
  idleRssMiB: 100,
  loadRssMiB: 200,
  lagP99Ms: 50,
  catchUpEventsPerSecond: 40_000,
};
