export const EVENT_TYPES = [
  'created',
  'replaced',
  'patched',
  'deleted',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Entity ids: server-made UUIDv7 on create, or chosen by the client on PUT. */
export const ENTITY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/**
 * The event envelope. Every value a projection stores is decided here, by the
 * node that accepted the write, so that applying the same log gives identical
 * rows on every node.
 */
export interface ReplicationEvent {
  eventId: string;
  type: EventType;
  table: string;
  entityId: string;
  data: Record<string, unknown> | null;
  expectedVersion: number | null;
  occurredAt: string;
  origin: string;
  /**
   * The schema version of the event's table on the node that accepted the write
   * (`@ReplicatedEntity({ schemaVersion })`, default 1). A node whose own version
   * of the table is lower does not apply it; see `SchemaVersionGate`.
   */
  schemaVersion: number;
  /**
   * Optional (added to the envelope after its first release): the client's `Idempotency-Key`
   * and a fingerprint of its request, so every node can answer a retry.
   */
  idempotency?: { key: string; fingerprint: string } | null;
  /**
   * Optional: set on an event an admin re-drove from a dead letter
   * (`POST /_cluster/dead-letters/{id}/retry`): the dead letter's position,
   * `topic:partition:offset`. Applying it marks that dead letter re-driven.
   */
  redriveOf?: string | null;
}

/** A message on an entity topic that is not a valid event. */
export class UndecodableEventError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'UndecodableEventError';
  }
}

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeEvent(event: ReplicationEvent): Buffer {
  return Buffer.from(JSON.stringify(event));
}

/** Parses and checks the envelope; the entity data is checked by the projection. */
export function decodeEvent(value: Buffer | string | null): ReplicationEvent {
  if (value === null || value.length === 0) {
    throw new UndecodableEventError('empty message');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString());
  } catch {
    throw new UndecodableEventError('message is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UndecodableEventError('message is not a JSON object');
  }
  const event = parsed as Record<string, unknown>;
  const fail = (field: string) => {
    throw new UndecodableEventError(`invalid or missing "${field}"`);
  };
  if (
    !Number.isSafeInteger(event.schemaVersion) ||
    (event.schemaVersion as number) < 1
  )
    fail('schemaVersion');
  if (typeof event.eventId !== 'string' || !UUID.test(event.eventId))
    fail('eventId');
  if (!EVENT_TYPES.includes(event.type as EventType)) fail('type');
  if (typeof event.table !== 'string') fail('table');
  if (
    typeof event.entityId !== 'string' ||
    !ENTITY_ID_PATTERN.test(event.entityId)
  ) {
    fail('entityId');
  }
  const dataIsObject =
    typeof event.data === 'object' &&
    event.data !== null &&
    !Array.isArray(event.data);
  if (event.type === 'deleted' ? event.data !== null : !dataIsObject)
    fail('data');
  if (
    event.expectedVersion !== null &&
    !(
      Number.isSafeInteger(event.expectedVersion) &&
      (event.expectedVersion as number) >= 0
    )
  ) {
    fail('expectedVersion');
  }
  if (
    typeof event.occurredAt !== 'string' ||
    !ISO_TIMESTAMP.test(event.occurredAt)
  ) {
    fail('occurredAt');
  }
  if (typeof event.origin !== 'string') fail('origin');
  const idempotency = event.idempotency as
    { key?: unknown; fingerprint?: unknown } | null | undefined;
  if (
    idempotency != null &&
    (typeof idempotency !== 'object' ||
      typeof idempotency.key !== 'string' ||
      typeof idempotency.fingerprint !== 'string')
  ) {
    fail('idempotency');
  }
  if (event.redriveOf != null && typeof event.redriveOf !== 'string')
    fail('redriveOf');
  return event as unknown as ReplicationEvent;
}
