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

/**
 * Gives back, once, the memory the node used to start: one full collection that also releases
 * memory, when the node is built (modules loaded, file migrated, routes made) and before it
 * listens or applies an event. Loading and building grow V8's young generation to its maximum
 * and leave freed pages pooled; V8 keeps both until it judges the process idle, which a node
 * polling Kafka rarely is. An idle embedded node: ~159 → ~120 MiB RSS; the young generation
 * grows back only if load comes. It holds the start up for ~70-80 ms (two full collections).
 *
 * Never later, on a node that has served or applied anything: such a collection on code V8 has
 * optimized leaves the node slower for the rest of its life. Released in the first quiet second
 * after a load instead (as before this was called here), an embedded node's reads by id took
 * 36.8-40.2 instead of 31.0-32.7 µs of CPU each, and its writes 96-128 instead of 86-91 µs
 * (two alternating pairs each; README, Benchmarks).
 *
 * False if this Node.js offers no such collection: then nothing happens (it only saves memory,
 * it must never stop a node).
 */
export function releaseStartupMemory(): boolean {
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
