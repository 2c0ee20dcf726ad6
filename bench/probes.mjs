// @ts-check
/** What the benchmark reads from the nodes: applied positions (from their files), status, events. */
import sqlite3 from 'sqlite3';
import { v7 as uuidv7 } from 'uuid';
import { performance } from 'node:perf_hooks';
import { sleep } from './lib.mjs';

/** @param {string} url */
export async function getJson(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return response.json();
}

// ---------------------------------------------------------------------------------------------
// A node's applied position, read from its own SQLite file (read-only, WAL): exact and cheap,
// and it does not load the node (its /_cluster/status checksums every row on every call).
// ---------------------------------------------------------------------------------------------

export class AppliedPositionReader {
  /** @param {string} dbPath */
  constructor(dbPath) {
    this.dbPath = dbPath;
    /** @type {import('sqlite3').Database | null} */
    this.db = null;
  }
  /** @returns {Promise<import('sqlite3').Database>} */
  open() {
    return new Promise((resolveOpen, reject) => {
      const db = new sqlite3.Database(
        this.dbPath,
        sqlite3.OPEN_READONLY,
        (error) => (error ? reject(error) : resolveOpen(db)),
      );
    });
  }
  /** Offset of the last applied event of `topic` partition 0, or -1. @param {string} topic */
  async applied(topic) {
    this.db ??= await this.open();
    const db = this.db;
    return new Promise((resolveRow) => {
      db.get(
        'SELECT "offset" FROM "_clusterlite_positions" WHERE "topic" = ? AND "partition" = 0',
        [topic],
        (error, row) => {
          // Before the node created its tables: nothing applied yet.
          resolveRow(
            error || !row
              ? -1
              : Number(/** @type {{ offset: unknown }} */ (row).offset),
          );
        },
      );
    });
  }
  close() {
    this.db?.close();
    this.db = null;
  }
}

/**
 * Waits until every reader shows `offset` applied on `topic`; resolves with the time each did.
 * @param {AppliedPositionReader[]} readers @param {string} topic @param {number} offset @param {number} timeoutMs
 * @param {(message: string) => void} [report]
 */
export async function waitApplied(readers, topic, offset, timeoutMs, report) {
  const start = performance.now();
  /** @type {(number | null)[]} */
  const doneAt = readers.map(() => null);
  let lastReport = start;
  for (;;) {
    const now = performance.now();
    const applied = await Promise.all(readers.map((r) => r.applied(topic)));
    applied.forEach((a, i) => {
      if (doneAt[i] === null && a >= offset) doneAt[i] = performance.now();
    });
    if (doneAt.every((d) => d !== null))
      return /** @type {number[]} */ (doneAt);
    if (report && now - lastReport > 2_000) {
      lastReport = now;
      report(`applied offsets ${applied.join(' / ')} of ${offset}`);
    }
    if (now - start > timeoutMs)
      throw new Error(
        `not every node applied offset ${offset} of ${topic} within ${timeoutMs} ms (${applied.join(', ')})`,
      );
    await sleep(10);
  }
}

// ---------------------------------------------------------------------------------------------
// When did each offset get applied on a node: its applied position, polled every few ms
// ---------------------------------------------------------------------------------------------

export class ApplyTracker {
  /** @param {AppliedPositionReader} reader @param {string} topic @param {number} intervalMs */
  constructor(reader, topic, intervalMs) {
    /** @type {Map<number, number>} offset → performance.now() when first seen applied */
    this.appliedAt = new Map();
    this.running = true;
    this.done = (async () => {
      let last = await reader.applied(topic);
      while (this.running) {
        await sleep(intervalMs);
        const now = performance.now();
        const applied = await reader.applied(topic);
        for (let offset = last + 1; offset <= applied; offset++)
          this.appliedAt.set(offset, now);
        if (applied > last) last = applied;
      }
    })();
  }
  async stop() {
    this.running = false;
    await this.done;
  }
}

// ---------------------------------------------------------------------------------------------
// Events in the replication envelope (libs/core/src/events/replication-event.ts), as a node makes them
// ---------------------------------------------------------------------------------------------

/** @param {string} runId @param {number} i */
export function userEvent(runId, i) {
  const entityId = uuidv7();
  const occurredAt = new Date().toISOString();
  return {
    eventId: uuidv7(),
    type: 'created',
    table: 'users',
    entityId,
    data: {
      name: `Catch-up User ${i}`,
      email: `catchup-${runId}-${i}@bench.example`,
    },
    expectedVersion: null,
    occurredAt,
    origin: 'bench-prefill',
    schemaVersion: 1,
  };
}
