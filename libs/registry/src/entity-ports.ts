import type { EventOutcome, EventType, LogPosition } from '@clusterlite/core';
import type { Observable } from 'rxjs';
import type { EntityDefinition, EntityRow } from './entity-definition.js';
import type { ListQuery } from './list-query.js';

/** A validated write, about to become an event. */
export interface WriteCommand {
  type: EventType;
  entityId: string;
  data: Record<string, unknown> | null;
  expectedVersion: number | null;
}

/** What the event log acknowledged for a write. */
export interface WriteReceipt {
  id: string;
  eventId: string;
  position: LogPosition;
}

/** A page of rows, and the number of rows matching the filters when it was asked for. */
export interface ListPage {
  rows: EntityRow[];
  total: number | null;
}

/**
 * The write side as the generated controllers see it: implemented by the
 * command module, which turns a command into an event on the log.
 */
export abstract class EntityCommands {
  abstract submit(definition: EntityDefinition, command: WriteCommand): Promise<WriteReceipt>;
}

/**
 * The read side as the generated controllers see it: implemented by the
 * projection module over this node's SQLite file.
 */
export abstract class EntityQueries {
  abstract findOne(definition: EntityDefinition, id: string): Promise<EntityRow | null>;
  abstract list(definition: EntityDefinition, query: ListQuery): Promise<ListPage>;
  /** Resolves once this node has applied `position`; throws PositionWaitTimeoutError. */
  abstract waitForPosition(position: LogPosition, timeoutMs: number): Promise<void>;
  abstract outcomeOf(eventId: string): Promise<EventOutcome | null>;
  /** Every change this node applies to `definition`'s table from now on, with the row after it. */
  abstract changes(definition: EntityDefinition): Observable<EntityChange>;
}

/** One applied change, as the change feed sends it. */
export interface EntityChange {
  type: EventType;
  id: string;
  eventId: string;
  position: string;
  version: number | null;
  /** The row after the change; null once deleted. */
  row: EntityRow | null;
}
