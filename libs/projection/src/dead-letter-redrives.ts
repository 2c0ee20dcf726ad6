import type { ReplicationEvent, SqliteTransaction } from '@clusterlite/core';

/**
 * Applying (or rejecting) a re-driven event marks the dead letter it came
 * from, in the same transaction, on every node: `redrivenBy` is its event id.
 * A dead letter's id is its position, `topic:partition:offset`, the same on
 * every node because each dead-letters the same message of the log.
 */
export async function markRedriven(
  tx: SqliteTransaction,
  events: readonly ReplicationEvent[],
): Promise<void> {
  for (const event of events) {
    const source = event.redriveOf ? parseDeadLetterId(event.redriveOf) : null;
    if (!source) continue;
    await tx.execute(
      'UPDATE "_clusterlite_dead_letters" SET "redrivenBy" = ? ' +
        'WHERE "topic" = ? AND "partition" = ? AND "offset" = ? AND "redrivenBy" IS NULL',
      [event.eventId, source.topic, source.partition, source.offset],
    );
  }
}

/** `topic:partition:offset` (topic names have no colon), or null. */
export function parseDeadLetterId(
  id: string,
): { topic: string; partition: number; offset: string } | null {
  const match = /^([A-Za-z0-9._-]+):(\d{1,9}):(\d{1,19})$/.exec(id);
  return match
    ? { topic: match[1], partition: Number(match[2]), offset: match[3] }
    : null;
}
