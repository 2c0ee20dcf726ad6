import type {
  EventOutcome,
  ReplicationEvent,
  SqliteTransaction,
} from '@clusterlite/core';
import type { DeadLetter, LogMessage } from '@clusterlite/event-log';
import type { EntityDefinition } from '@clusterlite/registry';
import { powerOfTwoChunks } from './statement-shapes.js';

/** One outcome to record, with the event and where it sat in the log. */
export interface OutcomeRow {
  outcome: EventOutcome;
  event: ReplicationEvent;
  definition: EntityDefinition;
  topic: string;
  partition: number;
  offset: string;
}

/**
 * Rows per multi-row statement, at most: 14 columns × 512 stays far below SQLite's 32,766 bound
 * parameters. Chunks are powers of two, so their statements stay prepared (statement-shapes.ts).
 */
const SQL_CHUNK = 512;

/**
 * Writes what became of events, in the batch's transaction: their outcomes
 * (with the data of tables that keep history), the first use of each
 * idempotency key, and the messages set aside as dead letters.
 */
export class OutcomeStore {
  /** Records the outcomes (and first uses of idempotency keys) of a batch in a few multi-row inserts. */
  async recordOutcomes(
    tx: SqliteTransaction,
    rows: OutcomeRow[],
  ): Promise<void> {
    for (const chunk of powerOfTwoChunks(rows, SQL_CHUNK)) {
      await tx.execute(
        'INSERT INTO "_clusterlite_outcomes" ("eventId", "topic", "partition", "offset", "tableName", "entityId", "type", "status", "rejection", "reason", "version", "occurredAt", "origin", "data") ' +
          `VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
        chunk.flatMap(
          ({ outcome, event, definition, topic, partition, offset }) => [
            event.eventId,
            topic,
            partition,
            offset,
            event.table,
            event.entityId,
            event.type,
            outcome.status,
            outcome.rejection,
            outcome.reason,
            outcome.version,
            event.occurredAt,
            event.origin,
            definition.keepsHistory && event.data !== null
              ? JSON.stringify(event.data)
              : null,
          ],
        ),
      );
    }
    const keyed = rows.filter((row) => row.event.idempotency);
    for (const chunk of powerOfTwoChunks(keyed, SQL_CHUNK)) {
      await tx.execute(
        'INSERT INTO "_clusterlite_idempotency" ("key", "fingerprint", "eventId", "tableName", "entityId", "position") ' +
          `VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')} ON CONFLICT ("tableName", "key") DO NOTHING`,
        chunk.flatMap(({ event, outcome }) => [
          event.idempotency!.key,
          event.idempotency!.fingerprint,
          event.eventId,
          event.table,
          event.entityId,
          outcome.position,
        ]),
      );
    }
  }

  /** Sets a message aside as a dead letter (once per position) and returns it. */
  async deadLetter(
    tx: SqliteTransaction,
    topic: string,
    partition: number,
    message: LogMessage,
    reason: string,
  ): Promise<DeadLetter> {
    const payload =
      message.value === null
        ? null
        : Buffer.from(message.value).toString('base64');
    await tx.execute(
      'INSERT INTO "_clusterlite_dead_letters" ("topic", "partition", "offset", "reason", "payload") VALUES (?, ?, ?, ?, ?) ' +
        'ON CONFLICT DO NOTHING',
      [topic, partition, message.offset, reason, payload],
    );
    return {
      topic,
      partition,
      offset: message.offset,
      reason,
      value: message.value,
    };
  }
}
