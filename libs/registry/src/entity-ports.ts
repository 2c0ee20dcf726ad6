import type {
  EventOutcome,
  EventType,
  JsonPage,
  LogPosition,
} from '@clusterlite/core';
import type { Observable } from 'rxjs';
import type { EntityDefinition, EntityRow } from './entity-definition.js';
import type { ListQuery } from './list-query.model.js';

/** A validated write, about to become an event. */
export interface WriteCommand {
  type: EventType;
  entityId: string;
  data: Record<string, unknown> | null;
  expectedVersion: number | null;
  /** Set for a request with an `Idempotency-Key`: the event id is derived from it. */
  idempotency?: { key: string; fingerprint: string; eventId: string };
}

/** What the event log acknowledged for a write. */
export interface WriteReceipt {
  id: string;
  eventId: string;
  position: LogPosition;
}

/** A page of rows, and the number of rows matching the filters when it was asked for. */
export interface ListPage extends JsonPage<EntityRow> {
  total: number | null;
}

/**
 * The write side as the generated controllers see it: implemented by the
 * command module, which turns a command into an event on the log.
 */
export abstract class EntityCommands {
  abstract submit(
    definition: EntityDefinition,
    command: WriteCommand,
  ): Promise<WriteReceipt>;
  /** Emits several writes of one table as one batch on the log, in order; all or none are accepted. */
  abstract submitMany(
    definition: EntityDefinition,
    commands: WriteCommand[],
  ): Promise<WriteReceipt[]>;
}

/**
 * The read side as the generated controllers see it: implemented by the
 * projection module over this node's SQLite file.
 */
export abstract class EntityQueries {
  abstract findOne(
    definition: EntityDefinition,
    id: string,
  ): Promise<EntityRow | null>;
  abstract list(
    definition: EntityDefinition,
    query: ListQuery,
  ): Promise<ListPage>;
  /** Resolves once this node has applied `position`; throws PositionWaitTimeoutError. */
  abstract waitForPosition(
    position: LogPosition,
    timeoutMs: number,
  ): Promise<void>;
  abstract outcomeOf(
    definition: EntityDefinition,
    eventId: string,
  ): Promise<EventOutcome | null>;
  /** The first request made with an `Idempotency-Key` on this table, once this node has applied it. */
  abstract idempotentRequest(
    definition: EntityDefinition,
    key: string,
  ): Promise<IdempotentRequest | null>;
  /**
   * Events that made a row, oldest first, with their outcomes: at most `limit`, after `after`,
   * and ending early at MAX_PAGE_CHARS.
   */
  abstract history(
    definition: EntityDefinition,
    id: string,
    page: { limit: number; after: LogPosition | null },
  ): Promise<JsonPage<HistoryEntry>>;
  /**
   * Every change this node applies to `definition`'s table from now on, with the row after it.
   * With `after`, first the changes this node applied after that position (oldest first, each
   * with the row as it is now), then the live ones, none twice. The missed ones are read a
   * page at a time, the next once `ready` resolves (the client took the previous one).
   */
  abstract changes(
    definition: EntityDefinition,
    after?: LogPosition | null,
    ready?: () => Promise<void>,
  ): Observable<EntityChange>;
}

export interface IdempotentRequest {
  key: string;
  fingerprint: string;
  eventId: string;
  entityId: string;
  position: string;
}

export interface HistoryEntry {
  eventId: string;
  type: EventType;
  position: string;
  status: 'applied' | 'rejected';
  rejection: string | null;
  reason: string | null;
  version: number | null;
  occurredAt: string;
  origin: string;
  data: Record<string, unknown> | null;
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
