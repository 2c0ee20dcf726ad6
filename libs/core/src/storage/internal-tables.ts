import { EntitySchema } from 'typeorm';

/**
 * Bookkeeping tables every node keeps in its own SQLite file, beside the
 * entity tables. Their names start with `_clusterlite_`, which no entity table
 * can (table names must start with a letter).
 */
export interface AppliedPositionRecord {
  topic: string;
  partition: number;
  offset: string;
}

export const AppliedPositionSchema = new EntitySchema<AppliedPositionRecord>({
  name: 'AppliedPosition',
  tableName: '_clusterlite_positions',
  columns: {
    topic: { type: 'text', primary: true },
    partition: { type: 'integer', primary: true },
    offset: { type: 'integer', comment: 'offset of the last event applied' },
  },
});

export interface OutcomeRecord {
  eventId: string;
  topic: string;
  partition: number;
  offset: string;
  tableName: string;
  entityId: string;
  type: string;
  status: string;
  rejection: string | null;
  reason: string | null;
  version: number | null;
  occurredAt: string;
  origin: string;
  data: string | null;
}

export const OutcomeSchema = new EntitySchema<OutcomeRecord>({
  name: 'Outcome',
  tableName: '_clusterlite_outcomes',
  columns: {
    eventId: { type: 'text', primary: true },
    topic: { type: 'text' },
    partition: { type: 'integer' },
    offset: { type: 'integer' },
    tableName: { type: 'text' },
    entityId: { type: 'text' },
    type: { type: 'text' },
    status: { type: 'text' },
    rejection: { type: 'text', nullable: true },
    reason: { type: 'text', nullable: true },
    version: { type: 'integer', nullable: true },
    occurredAt: { type: 'text' },
    origin: { type: 'text' },
    data: {
      type: 'text',
      nullable: true,
      comment: 'the event data, kept for tables that keep history',
    },
  },
  indices: [
    { name: 'IDX_outcome_row', columns: ['tableName', 'entityId', 'offset'] },
    // Change feeds resuming after a position.
    { name: 'IDX_outcome_feed', columns: ['tableName', 'offset'] },
  ],
});

export interface DeadLetterRecord {
  topic: string;
  partition: number;
  offset: string;
  reason: string;
  payload: string | null;
  /** The event that re-drove it through the log, once applied (migration AddDeadLetterRedrive). */
  redrivenBy: string | null;
}

export const DeadLetterSchema = new EntitySchema<DeadLetterRecord>({
  name: 'DeadLetter',
  tableName: '_clusterlite_dead_letters',
  columns: {
    topic: { type: 'text', primary: true },
    partition: { type: 'integer', primary: true },
    offset: { type: 'integer', primary: true },
    reason: { type: 'text' },
    payload: { type: 'text', nullable: true },
    redrivenBy: { type: 'text', nullable: true },
  },
});

/**
 * The first outcome of each `Idempotency-Key`, written when its event is
 * applied, so a retry through any node gets the same answer.
 */
export interface IdempotencyRecord {
  key: string;
  fingerprint: string;
  eventId: string;
  tableName: string;
  entityId: string;
  position: string;
}

export const IdempotencySchema = new EntitySchema<IdempotencyRecord>({
  name: 'IdempotencyKey',
  tableName: '_clusterlite_idempotency',
  columns: {
    key: { type: 'text', primary: true },
    fingerprint: { type: 'text' },
    eventId: { type: 'text' },
    tableName: { type: 'text' },
    entityId: { type: 'text' },
    position: { type: 'text' },
  },
});

/** The durable log of embedded mode: what Kafka is in cluster mode. */
export interface EmbeddedLogRecord {
  topic: string;
  offset: string;
  key: string;
  value: string;
}

export const EmbeddedLogSchema = new EntitySchema<EmbeddedLogRecord>({
  name: 'EmbeddedLogEntry',
  tableName: '_clusterlite_event_log',
  columns: {
    topic: { type: 'text', primary: true },
    offset: { type: 'integer', primary: true },
    key: { type: 'text' },
    value: { type: 'text' },
  },
});

export const INTERNAL_SCHEMAS = [
  AppliedPositionSchema,
  OutcomeSchema,
  DeadLetterSchema,
  IdempotencySchema,
  EmbeddedLogSchema,
];
