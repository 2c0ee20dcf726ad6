import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** V8's gc() when exposed; `last-resort` also shrinks the young generation and frees pooled pages. */
type ExposedGc = (options: {
  type: 'major';
  execution: 'sync';
  flavor: 'last-resort';
}) => void;

/** How much V8 lets the old generation grow past what the last full collection kept, in %. */
export const HEAP_GROWING_PERCENT = 50;

/**
 * Keeps V8's old generation close to what is live. A busy node (requests, and the SQLite work
 * that runs on its main thread) makes V8 judge collections cheap and let the old generation grow
 * to about four times what is live before a full collection: under a list load of 5,000 req/s
 * it reached ~185 MB for ~44 MB live (RSS 480-580 MiB). Growing by at most half: ~340 MiB, for
 * the same throughput within the machine's spread (bench/, README Benchmarks). Set once at start,
 * before the heap has grown.
 */
export function limitHeapGrowth(percent = HEAP_GROWING_PERCENT): void {
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}

/** How long after the node listens it gives back its start-up memory, at the earliest. */
export const RELEASE_STARTUP_MEMORY_AFTER_MS = 1_000;

/** Above this share of a second spent running, the node is busy: the release waits. */
export const BUSY_EVENT_LOOP_UTILIZATION = 0.5;

/** How many seconds the release waits for a quiet one before it gives up. */
export const RELEASE_STARTUP_MEMORY_TRIES = 60;

/**
 * Gives back, once, the memory the node used to start. Loading the modules, migrating and
 * building the routes grow V8's young generation to its maximum and leave freed pages pooled;
 * V8 keeps both until it judges the process idle, which a node polling Kafka rarely is. One
 * full collection that also releases memory brings an idle node from ~165 to ~125 MB RSS; the
 * young generation grows back only if load comes.
 *
 * Only in a quiet second: the collection pauses the process (two full collections, ~100 ms on a
 * 40 MB heap), and a node that catches up on the log or serves load right after it starts would
 * pay for memory it is about to use again. A node still busy after `tries` seconds keeps it.
 */
export function releaseStartupMemory(
  delayMs = RELEASE_STARTUP_MEMORY_AFTER_MS,
  tries = RELEASE_STARTUP_MEMORY_TRIES,
  release: () => unknown = releaseMemoryNow,
): void {
  let last = performance.eventLoopUtilization();
  let left = tries;
  const check = (): void => {
    const now = performance.eventLoopUtilization();
    const busy =
      performance.eventLoopUtilization(now, last).utilization >
      BUSY_EVENT_LOOP_UTILIZATION;
    last = now;
    if (!busy) release();
    else if (--left > 0) setTimeout(check, delayMs).unref();
  };
  setTimeout(check, delayMs).unref();
}

/**
 * One full, memory-releasing collection now; false if this Node.js offers none (then nothing
 * happens: it only saves memory, it must never stop a node).
 */
export function releaseMemoryNow(): boolean {
  try {
    // gc() is only given to contexts made after --expose-gc: make one, take its gc, put it back.
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    setFlagsFromString('--no-expose-gc');
    if (typeof gc !== 'function') return false;
    (gc as ExposedGc)({
      type: 'major',
      execution: 'sync',
      flavor: 'last-resort',
    });
    return true;
  } catch {
    return false;
  }
}
