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
  },
  strict: true,
});
export const QUICK = /** @type {boolean} */ (args.quick);
export const OUT_DIR = resolve(
  /** @type {string | undefined} */ (args.out) ?? join(HERE, 'results'),
);

/** Every knob of the run; copied into the report. */
export const CONFIG = QUICK
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
export const TASKSET = ['/usr/bin/taskset', '/bin/taskset'].find((p) =>
  existsSync(p),
);

/** How often scenario 2 reads each node's applied position (ms): the lag's resolution. */
export const LAG_POLL_MS = 5;

export const TARGETS = {
  catchUpEventsPerSecond: 20_000,
  catchUpFractionOfSqlite: 0.3,
  writesPerSecond: 3_000,
  writesP99Ms: 50,
  lagP99Ms: 100,
  readsByIdPerSecond: 5_000,
};
