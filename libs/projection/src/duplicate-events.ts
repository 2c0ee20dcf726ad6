import type { Logger } from '@nestjs/common';
import type { ReplicationEvent, SqliteTransaction } from '@clusterlite/core';
import { inListPlaceholders, paddedInList } from './statement-shapes.js';

/** Event ids per statement: far below SQLite's bound-parameter limit. */
const CHUNK = 512;

/**
 * Which of these events already have an outcome in their own table: one query per chunk,
 * not one per event. Keyed by table, so an event id never makes a duplicate across topics.
 */
export async function appliedEventIds(
  tx: SqliteTransaction,
  events: ReplicationEvent[],
): Promise<Set<string>> {
  const byTable = new Map<string, string[]>();
  for (const event of events) {
    const ids = byTable.get(event.table) ?? [];
    ids.push(event.eventId);
    byTable.set(event.table, ids);
  }
  const seen = new Set<string>();
  for (const [table, eventIds] of byTable) {
    for (let start = 0; start < eventIds.length; start += CHUNK) {
      const chunk = eventIds.slice(start, start + CHUNK);
      const rows = await tx.rows<{ eventId: string }>(
        `SELECT "eventId" FROM "_clusterlite_outcomes" WHERE "tableName" = ? AND "eventId" IN (${inListPlaceholders(chunk.length)})`,
        [table, ...paddedInList(chunk)],
      );
      for (const row of rows) seen.add(row.eventId);
    }
  }
  return seen;
}

/**
 * Records the messages skipped as repeats of an event already applied (a producer retry,
 * or two nodes emitting one keyed request), in the batch's transaction: no skip is silent.
 */
export async function recordDuplicates(
  tx: SqliteTransaction,
  topic: string,
  partition: number,
  duplicates: { offset: string; event: ReplicationEvent }[],
  logger: Logger,
): Promise<void> {
  for (const { offset, event } of duplicates) {
    logger.warn(
      `Skipped ${topic}:${partition}:${offset}: event ${event.eventId} of "${event.table}" was already applied`,
    );
    await tx.execute(
      'INSERT INTO "_clusterlite_skipped_duplicates" ("topic", "partition", "offset", "tableName", "eventId") VALUES (?, ?, ?, ?, ?) ' +
        'ON CONFLICT DO NOTHING',
      [topic, partition, offset, event.table, event.eventId],
    );
  }
}
