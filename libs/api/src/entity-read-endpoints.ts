import { Injectable, type MessageEvent } from '@nestjs/common';
import type { Observable } from 'rxjs';
import {
  AccessDeniedError,
  EntityNotFoundError,
  EventNotSeenError,
  type EventOutcome,
  InvalidPositionError,
  InvalidPreconditionError,
  LogPosition,
  NodeConfig,
  nextPageAfter,
  ResourceLimits,
} from '@clusterlite/core';
import type { Request } from 'express';
import {
  EntityQueries,
  type EntityDefinition,
  type EntityRow,
  type ListQuery,
} from '@clusterlite/registry';
import { POSITION_HEADER } from './entity-http.dto.js';
import { encodeCursor, parseListQuery } from './list-query.parser.js';
import { nextHistoryUrl, parseHistoryQuery } from './history-query.js';
import { changeFeed, feedStart } from './change-feed.js';
import {
  JsonText,
  type EndpointRequest,
  type EndpointResult,
} from './endpoint-result.js';
import { onlyParameter } from './query-parameters.js';
import { ENTITY_TAG_LIST } from './parameter-schemas.js';

import { checkId } from './entity-id.js';

/**
 * The read handlers of every generated entity controller, for any table:
 * one row (ETag, If-None-Match), pages (Link, counts), history, the fate of an
 * event and the change feed, each after the position the client asked for.
 * Plain values in, status, headers and body out; only the change feed, which
 * streams, keeps the Express request (to learn when the client goes away).
 */
@Injectable()
export class EntityReadEndpoints {
  constructor(
    private readonly queries: EntityQueries,
    private readonly config: NodeConfig,
    private readonly limits: ResourceLimits,
  ) {}

  async findOne(
    definition: EntityDefinition,
    id: string,
    query: Record<string, unknown>,
    request: EndpointRequest,
  ): Promise<EndpointResult<EntityRow | undefined>> {
    const ifNoneMatch = request.headers['if-none-match'];
    if (ifNoneMatch !== undefined && !ENTITY_TAG_LIST.test(ifNoneMatch))
      throw new InvalidPreconditionError(
        'If-None-Match',
        '* or entity tags such as "3" or W/"3", separated by commas',
      );
    await this.waitForRequestedPosition(
      onlyParameter(query, 'position'),
      request,
    );
    const row = await this.queries.findOne(definition, checkId(id));
    if (!row) throw new EntityNotFoundError(definition.table, id);
    const etag = `"${row.version}"`;
    const headers: Record<string, string> = { ETag: etag };
    // If-None-Match compares weakly (RFC 9110): W/"3" names version 3 too.
    if (
      ifNoneMatch !== undefined &&
      ifNoneMatch
        .split(',')
        .map((tag) => tag.trim().replace(/^W\//, ''))
        .some((tag) => tag === etag || tag === '*')
    ) {
      return { status: 304, headers, body: undefined };
    }
    return { headers, body: row };
  }

  async list(
    definition: EntityDefinition,
    raw: Record<string, unknown>,
    request: EndpointRequest,
  ): Promise<EndpointResult<JsonText>> {
    const query = parseListQuery(definition, raw);
    await this.waitForRequestedPosition(
      typeof raw.position === 'string' ? raw.position : undefined,
      request,
    );
    const page = await this.queries.list(definition, query);
    const headers: Record<string, string> = {};
    if (page.total !== null) {
      // Counting is bounded: past MAX_COUNT the count says "at least".
      const capped = page.total > this.config.maxCount;
      headers['X-Total-Count'] = String(
        capped ? this.config.maxCount : page.total,
      );
      if (capped) {
        headers['X-Total-Count-Capped'] = 'true';
        this.limits.refuse(new Error('count capped'), 'count-capped');
      }
    }
    const after = nextPageAfter(page, query.limit);
    if (after) {
      headers.Link = `<${nextPageUrl(definition, request, query, after)}>; rel="next"`;
    }
    return { headers, body: new JsonText(page.json) };
  }

  /**
   * A row's events, a page at a time (`limit`, then `after` from `Link: rel="next"`). With API
   * keys, the history of a row that no longer exists is for admins only: it is the data the
   * delete removed.
   */
  async history(
    definition: EntityDefinition,
    id: string,
    query: Record<string, unknown>,
    request: EndpointRequest,
  ): Promise<EndpointResult<JsonText>> {
    const page = parseHistoryQuery(
      query,
      this.config.topicFor(definition.table),
    );
    await this.waitForRequestedPosition(page.position, request);
    const entries = await this.queries.history(definition, checkId(id), page);
    if (entries.count === 0 && !page.after)
      throw new EntityNotFoundError(definition.table, id);
    const { role } = request;
    if (role !== 'admin' && !(await this.queries.findOne(definition, id))) {
      throw new AccessDeniedError(
        'admin',
        role,
        `Row "${id}" was deleted; the history of a deleted row is for admin keys only`,
      );
    }
    const headers: Record<string, string> = {};
    const after = nextPageAfter(entries, page.limit);
    if (after) {
      headers.Link = `<${nextHistoryUrl(definition.table, id, page.limit, after.position)}>; rel="next"`;
    }
    return { headers, body: new JsonText(entries.json) };
  }

  /** What became of an event on this node: applied or rejected (with its position), else 404. */
  async eventFate(
    definition: EntityDefinition,
    eventId: string,
  ): Promise<EventOutcome> {
    const outcome = await this.queries.outcomeOf(definition, checkId(eventId));
    if (!outcome || outcome.table !== definition.table)
      throw new EventNotSeenError(definition.table, eventId);
    return outcome;
  }

  /**
   * The table's change feed as server-sent events; each event's id is its log position, so a
   * client that reconnects with `Last-Event-ID` (as EventSource does) or `?after=` misses nothing.
   */
  changes(
    definition: EntityDefinition,
    query: Record<string, unknown>,
    request: Request,
  ): Observable<MessageEvent> {
    return changeFeed(
      this.queries,
      this.limits,
      definition,
      feedStart(
        this.config.topicFor(definition.table),
        definition,
        query,
        request,
      ),
      request,
    );
  }

  private async waitForRequestedPosition(
    fromQuery: string | undefined,
    request: EndpointRequest,
  ): Promise<void> {
    const token = fromQuery ?? request.headers[POSITION_HEADER.toLowerCase()];
    if (token === undefined) return;
    const position = LogPosition.parse(token);
    if (!position) throw new InvalidPositionError(token);
    await this.queries.waitForPosition(position, this.config.readWaitTimeoutMs);
  }
}

/** The same request for the page after `last`: every parameter kept, the cursor moved. */
function nextPageUrl(
  definition: EntityDefinition,
  request: EndpointRequest,
  query: ListQuery,
  last: EntityRow,
): string {
  const next = new URLSearchParams();
  for (const [name, value] of new URLSearchParams(
    request.url.split('?')[1] ?? '',
  )) {
    if (name !== 'after' && name !== 'cursor') next.append(name, value);
  }
  next.set('cursor', encodeCursor(query.sort, last));
  return `/${definition.table}?${next.toString()}`;
}
