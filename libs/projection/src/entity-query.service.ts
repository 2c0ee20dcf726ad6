import { Injectable } from '@nestjs/common';
import {
  InvalidPositionError,
  LogPosition,
  NodeConfig,
  SqliteReader,
  type EventOutcome,
  type EventType,
  type JsonPage,
  type PageShape,
} from '@clusterlite/core';
import {
  EntityQueries,
  EntityRegistry,
  type EntityChange,
  type EntityDefinition,
  type EntityRow,
  type HistoryEntry,
  type IdempotentRequest,
  type ListPage,
  type ListQuery,
} from '@clusterlite/registry';
import {
  Observable,
  Subject,
  concat,
  concatMap,
  defer,
  filter,
  finalize,
  from,
  takeUntil,
} from 'rxjs';
import { AppliedPositions } from './applied-positions.js';
import { filterSql, keysetSql, whereOf } from './list-sql.js';
import { ProjectionService } from './projection.service.js';

/** Missed changes a resuming feed reads from the outcomes table at a time. */
const FEED_PAGE = 500;
/** Live changes a resuming feed holds while it replays; past them it ends, to be resumed. */
export const FEED_BACKLOG = 10_000;

/** A history entry's columns, in answer order: the event's data is stored as JSON text. */
const HISTORY_COLUMNS: PageShape['columns'] = [
  ['eventId', 'value'],
  ['type', 'value'],
  ['position', 'value'],
  ['status', 'value'],
  ['rejection', 'value'],
  ['reason', 'value'],
  ['version', 'value'],
  ['occurredAt', 'value'],
  ['origin', 'value'],
  ['data', 'json'],
];

/** What a change feed needs of an outcome. */
type FeedOutcome = Pick<
  EventOutcome,
  'type' | 'entityId' | 'eventId' | 'position' | 'version'
> & {
  /** The row right after the change, when the projection sent it live (else read now). */
  row?: Record<string, unknown> | null;
};

/**
 * Reads of this node's SQLite tables. Identifiers come from the registry's
 * definitions; every value is a bound parameter.
 */
@Injectable()
export class EntityQueryService extends EntityQueries {
  constructor(
    private readonly positions: AppliedPositions,
    private readonly registry: EntityRegistry,
    private readonly config: NodeConfig,
    private readonly projection: ProjectionService,
    private readonly sqlite: SqliteReader,
  ) {
    super();
  }

  changes(
    definition: EntityDefinition,
    after: LogPosition | null = null,
    ready: () => Promise<void> = () => Promise.resolve(),
  ): Observable<EntityChange> {
    const live = this.projection.outcomes$.pipe(
      filter(
        (outcome) =>
          outcome.table === definition.table && outcome.status === 'applied',
      ),
    );
    const toChange = async (outcome: FeedOutcome): Promise<EntityChange> => ({
      type: outcome.type,
      id: outcome.entityId,
      eventId: outcome.eventId,
      position: outcome.position,
      version: outcome.version,
      row:
        outcome.type === 'deleted'
          ? null
          : outcome.row
            ? definition.toRow(outcome.row)
            : await this.findOne(definition, outcome.entityId),
    });
    if (!after) return live.pipe(concatMap(toChange));
    return defer(() => {
      // Live outcomes wait here while the missed ones are read, up to FEED_BACKLOG; then they
      // pass straight through (a ReplaySubject would keep every one for the feed's lifetime).
      const backlog: FeedOutcome[] = [];
      let replaying = true;
      const handoff = new Subject<FeedOutcome>();
      const overflow = new Subject<void>();
      const subscription = live.subscribe((outcome) => {
        if (!replaying) handoff.next(outcome);
        else if (backlog.length < FEED_BACKLOG) backlog.push(outcome);
        // Too much happened meanwhile: end the feed; the client resumes from its last event id.
        else overflow.next();
      });
      let last = after.offset;
      const unseen = (outcome: FeedOutcome) => {
        const offset = LogPosition.parse(outcome.position)?.offset ?? -1n;
        if (offset <= last) return false;
        last = offset;
        return true;
      };
      const afterReplay = defer(() => {
        replaying = false;
        return concat(from(backlog.splice(0)), handoff);
      });
      return concat(
        this.replay(definition, after, unseen, toChange, ready),
        afterReplay.pipe(filter(unseen), concatMap(toChange)),
      ).pipe(
        takeUntil(overflow),
        finalize(() => subscription.unsubscribe()),
      );
    });
  }

  /**
   * The changes applied after `after`, one page of the outcomes table at a time: the next
   * page is read only once the previous one is sent and `ready` says the client took it,
   * so a long replay never sits in memory whole.
   */
  private replay(
    definition: EntityDefinition,
    after: LogPosition,
    unseen: (outcome: FeedOutcome) => boolean,
    toChange: (outcome: FeedOutcome) => Promise<EntityChange>,
    ready: () => Promise<void>,
  ): Observable<EntityChange> {
    return new Observable<EntityChange>((subscriber) => {
      const send = async () => {
        for await (const page of this.appliedAfter(definition, after)) {
          for (const outcome of page) {
            if (subscriber.closed) return;
            if (unseen(outcome)) subscriber.next(await toChange(outcome));
          }
          await ready();
        }
        subscriber.complete();
      };
      send().catch((error: unknown) => subscriber.error(error));
    });
  }

  /** The applied outcomes of a table after a position, oldest first, a page at a time. */
  private async *appliedAfter(
    definition: EntityDefinition,
    after: LogPosition,
  ): AsyncGenerator<FeedOutcome[]> {
    let offset = after.offset;
    for (;;) {
      const records = await this.sqlite.read<{
        eventId: string;
        type: EventType;
        entityId: string;
        partition: number;
        offset: number;
        version: number | null;
      }>(
        'SELECT "eventId", "type", "entityId", "partition", "offset", "version" FROM "_clusterlite_outcomes" ' +
          'WHERE "tableName" = ? AND "offset" > ? AND "status" = \'applied\' ORDER BY "offset" LIMIT ?',
        [definition.table, offset.toString(), FEED_PAGE],
      );
      yield records.map((record) => ({
        type: record.type,
        entityId: record.entityId,
        eventId: record.eventId,
        position: `${after.topic}:${record.partition}:${record.offset}`,
        version: record.version,
      }));
      if (records.length < FEED_PAGE) return;
      offset = BigInt(records[records.length - 1].offset);
    }
  }

  async findOne(
    definition: EntityDefinition,
    id: string,
  ): Promise<EntityRow | null> {
    const [record] = await this.sqlite.readByKey<Record<string, unknown>>(
      `SELECT * FROM ${definition.quotedTable} WHERE "id" = ?`,
      [id],
    );
    return record ? definition.toRow(record) : null;
  }

  async list(
    definition: EntityDefinition,
    query: ListQuery,
  ): Promise<ListPage> {
    const conditions: string[] = [];
    const parameters: unknown[] = [];
    for (const filter of query.filters) {
      const [sql, values] = filterSql(filter);
      conditions.push(sql);
      parameters.push(...values);
    }
    const total = query.count
      ? await this.count(definition, whereOf(conditions), parameters)
      : null;
    if (query.cursor) {
      const [sql, values] = keysetSql(query.sort, query.cursor);
      conditions.push(sql);
      parameters.push(...values);
    }
    const where = whereOf(conditions);
    const order = query.sort
      .map((key) => `${key.column.column} ${key.descending ? 'DESC' : 'ASC'}`)
      .join(', ');
    const page = await this.sqlite.readPage<EntityRow>(
      `SELECT * FROM ${definition.quotedTable}${where} ORDER BY ${order} LIMIT ?`,
      [...parameters, query.limit],
      {
        columns: definition.rowShape,
        fields: query.fields,
        maxChars: this.config.maxPageChars,
      },
    );
    return { ...page, total };
  }

  /** Counts matching rows up to MAX_COUNT + 1, so a count costs at most that many rows read. */
  private async count(
    definition: EntityDefinition,
    where: string,
    parameters: unknown[],
  ): Promise<number> {
    const [{ total }] = await this.sqlite.read<{ total: number }>(
      `SELECT COUNT(*) AS total FROM (SELECT 1 FROM ${definition.quotedTable}${where} LIMIT ?)`,
      [...parameters, this.config.maxCount + 1],
    );
    return total;
  }

  async waitForPosition(
    position: LogPosition,
    timeoutMs: number,
  ): Promise<void> {
    const known = this.registry
      .all()
      .some(
        (definition) =>
          this.config.topicFor(definition.table) === position.topic,
      );
    if (!known) throw new InvalidPositionError(position.token);
    await this.positions.waitFor(position, timeoutMs);
  }

  async idempotentRequest(
    definition: EntityDefinition,
    key: string,
  ): Promise<IdempotentRequest | null> {
    const [record] = await this.sqlite.readByKey<IdempotentRequest>(
      'SELECT "key", "fingerprint", "eventId", "entityId", "position" FROM "_clusterlite_idempotency" WHERE "tableName" = ? AND "key" = ?',
      [definition.table, key],
    );
    return record ?? null;
  }

  async history(
    definition: EntityDefinition,
    id: string,
    page: { limit: number; after: LogPosition | null },
  ): Promise<JsonPage<HistoryEntry>> {
    return this.sqlite.readPage<HistoryEntry>(
      'SELECT "eventId", "type", "topic" || \':\' || "partition" || \':\' || "offset" AS "position", "status", "rejection", "reason", "version", "occurredAt", "origin", "data" ' +
        'FROM "_clusterlite_outcomes" WHERE "tableName" = ? AND "entityId" = ? AND "offset" > ? ORDER BY "offset" LIMIT ?',
      [
        definition.table,
        id,
        (page.after?.offset ?? -1n).toString(),
        page.limit,
      ],
      {
        columns: HISTORY_COLUMNS,
        fields: null,
        maxChars: this.config.maxPageChars,
      },
    );
  }

  async outcomeOf(
    definition: EntityDefinition,
    eventId: string,
  ): Promise<EventOutcome | null> {
    const [record] = await this.sqlite.readByKey<Record<string, any>>(
      'SELECT "eventId", "topic", "partition", "offset", "tableName", "entityId", "type", "status", "rejection", "reason", "version" ' +
        'FROM "_clusterlite_outcomes" WHERE "tableName" = ? AND "eventId" = ?',
      [definition.table, eventId],
    );
    if (!record) return null;
    return {
      eventId: record.eventId,
      table: record.tableName,
      entityId: record.entityId,
      type: record.type,
      status: record.status,
      rejection: record.rejection,
      reason: record.reason,
      version: record.version,
      position: `${record.topic}:${record.partition}:${record.offset}`,
    };
  }
}
