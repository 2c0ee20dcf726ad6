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
  fingerprint: string | null;
}

export const AppliedPositionSchema = new EntitySchema<AppliedPositionRecord>({
  name: 'AppliedPosition',
  tableName: '_clusterlite_positions',
  columns: {
    topic: { type: 'text', primary: true },
    partition: { type: 'integer', primary: true },
    offset: { type: 'integer', comment: 'offset of the last event applied' },
    // Kafka's topic ids are out of kafkajs's reach (Metadata v10+): the message at the stored
    // offset names the topic instead. A re-created topic has other messages at those offsets.
    fingerprint: {
      type: 'text',
      nullable: true,
      comment: 'SHA-256 of the message at offset: checked again on resume',
    },
  },
});

/**
 * Which log this file was built from: `embedded`, or `kafka:<cluster id>`.
 * A node on another log refuses the file (its positions name other events).
 */
export interface LogIdentityRecord {
  name: string;
  value: string;
}

export const LogIdentitySchema = new EntitySchema<LogIdentityRecord>({
  name: 'LogIdentity',
  tableName: '_clusterlite_log',
  columns: {
    name: { type: 'text', primary: true },
    value: { type: 'text' },
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
    // An event id is unique within its table: duplicate detection never crosses tables.
    tableName: { type: 'text', primary: true },
    eventId: { type: 'text', primary: true },
    topic: { type: 'text' },
    partition: { type: 'integer' },
    offset: { type: 'integer' },
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
    // The status's count of rejected events: as cheap with a long log as with a short one.
    {
      name: 'IDX_outcome_rejected',
      columns: ['status'],
      where: `"status" = 'rejected'`,
    },
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
 * The first outcome of each `Idempotency-Key` on a table, written when its event is
 * applied, so a retry through any node gets the same answer. A key is scoped to its
 * table: the same key on another table is another request.
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
    tableName: { type: 'text', primary: true },
    key: { type: 'text', primary: true },
    fingerprint: { type: 'text' },
    eventId: { type: 'text' },
    entityId: { type: 'text' },
    position: { type: 'text' },
  },
});

/**
 * A message of the log that repeated an event already applied (a producer retry, or two
 * nodes emitting one keyed request): skipped, and recorded here so no skip is silent.
 */
export interface SkippedDuplicateRecord {
  topic: string;
  partition: number;
  offset: string;
  tableName: string;
  eventId: string;
}

export const SkippedDuplicateSchema = new EntitySchema<SkippedDuplicateRecord>({
  name: 'SkippedDuplicate',
  tableName: '_clusterlite_skipped_duplicates',
  columns: {
    topic: { type: 'text', primary: true },
    partition: { type: 'integer', primary: true },
    offset: { type: 'integer', primary: true },
    tableName: { type: 'text' },
    eventId: { type: 'text' },
  },
});

/**
 * The last version of each deleted row, so that a row created again under the same id
 * continues from it and an ETag never names two states of one row (invariant 10).
 * Derived from the log alone: the same on every node.
 */
export interface TombstoneRecord {
  tableName: string;
  entityId: string;
  version: number;
}

export const TombstoneSchema = new EntitySchema<TombstoneRecord>({
  name: 'Tombstone',
  tableName: '_clusterlite_tombstones',
  columns: {
    tableName: { type: 'text', primary: true },
    entityId: { type: 'text', primary: true },
    version: { type: 'integer', comment: 'version of the row when deleted' },
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

/**
 * Per entity table: its row count and an order-independent checksum of its rows,
 * kept up to date in the transaction that applies each event, so that a status
 * call costs the same at any table size.
 */
export interface TableChecksumRecord {
  tableName: string;
  rows: number;
  checksum: string;
  /** What the checksum was computed over (the table's columns); another value means recompute. */
  layout: string;
}

export const TableChecksumSchema = new EntitySchema<TableChecksumRecord>({
  name: 'TableChecksum',
  tableName: '_clusterlite_table_checksums',
  columns: {
    tableName: { type: 'text', primary: true },
    rows: { type: 'integer' },
    checksum: {
      type: 'text',
      comment: 'sum of 64-bit row hashes mod 2^64, hex',
    },
    layout: { type: 'text' },
  },
});

export const INTERNAL_SCHEMAS = [
  AppliedPositionSchema,
  LogIdentitySchema,
  OutcomeSchema,
  DeadLetterSchema,
  IdempotencySchema,
  SkippedDuplicateSchema,
  TombstoneSchema,
  EmbeddedLogSchema,
  TableChecksumSchema,
];
