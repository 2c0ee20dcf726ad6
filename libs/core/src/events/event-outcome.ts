import type { EventType } from './replication-event.js';

/** Why a projection refused an event; the same on every node. */
export type RejectionCode =
  'already-exists' | 'not-found' | 'version-mismatch' | 'constraint-violation';

/** What applying one event did, recorded in the same transaction as the row change. */
export interface EventOutcome {
  eventId: string;
  table: string;
  entityId: string;
  type: EventType;
  status: 'applied' | 'rejected';
  rejection: RejectionCode | null;
  reason: string | null;
  /** Row version after the event; null when rejected or deleted. */
  version: number | null;
  position: string;
}
