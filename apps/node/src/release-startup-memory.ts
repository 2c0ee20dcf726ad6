import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** V8's gc() when exposed; `last-resort` also shrinks the young generation and frees pooled pages. */
type ExposedGc = (options: {
  type: 'major';
  execution: 'sync';
  flavor: 'last-resort';
}) => void;

/** How long after the node listens it gives back its start-up memory (it has joined the log by then). */
export const RELEASE_STARTUP_MEMORY_AFTER_MS = 1_000;

/**
 * Gives back, once, the memory the node used to start. Loading the modules, migrating and
 * building the routes grow V8's young generation to its maximum (2 × 32 MiB) and leave
 * freed pages pooled; V8 keeps both until it judges the process idle, which a node polling
 * Kafka rarely is. One full collection that also releases memory brings an idle node from
 * ~165 to ~130 MB RSS; the young generation grows back only if load comes. Not at start
 * itself: the collection pauses the process for some tens of milliseconds, better once it serves.
 */
export function releaseStartupMemory(
  delayMs = RELEASE_STARTUP_MEMORY_AFTER_MS,
): void {
  setTimeout(() => {
    // gc() is only given to contexts made after --expose-gc: make one, take its gc, put it back.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as ExposedGc;
    setFlagsFromString('--no-expose-gc');
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  }, delayMs).unref();
}
