import { Injectable, type MessageEvent } from '@nestjs/common';
import type { Observable } from 'rxjs';
import {
  AccessDeniedError,
  ENTITY_ID_PATTERN,
  EntityNotFoundError,
  EventNotAppliedError,
  EventNotSeenError,
  EventRejectedError,
  type EventOutcome,
  IdempotencyKeyReusedError,
  InvalidPositionError,
  InvalidPreconditionError,
  LogPosition,
  NodeConfig,
  ResourceLimits,
  type EventType,
} from '@clusterlite/core';
import { BadRequestException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { createHash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import {
  EntityCommands,
  EntityQueries,
  type EntityDefinition,
  type EntityRow,
  type ListQuery,
  type WriteReceipt,
} from '@clusterlite/registry';
import {
  POSITION_HEADER,
  type BulkItemResultDto,
  type WriteAcceptedDto,
} from './entity-http.dto.js';
import { encodeCursor, parseListQuery } from './list-query.parser.js';
import { validateCreateBody } from './body-validation.js';
import { nextHistoryUrl, parseHistoryQuery } from './history-query.js';
import { changeFeed, feedStart } from './change-feed.js';
import { principalOf } from './http/request-principal.js';
import { onlyParameter } from './query-parameters.js';
import {
  ENTITY_TAG_LIST,
  IDEMPOTENCY_KEY,
  VERSION_ETAG,
} from './parameter-schemas.js';

/**
 * What every generated entity controller does, for any table: turns HTTP
 * requests into commands and reads, and writes the HTTP semantics around them
 * (Location, ETag, Prefer, position waits).
 */
@Injectable()
export class EntityEndpoints {
  constructor(
    private readonly commands: EntityCommands,
    private readonly queries: EntityQueries,
    private readonly config: NodeConfig,
    private readonly limits: ResourceLimits,
  ) {}

  async create(
    definition: EntityDefinition,
    raw: unknown,
    request: Request,
    response: Response,
  ): Promise<
    WriteAcceptedDto | EntityRow | BulkItemResultDto[] | WriteAcceptedDto[]
  > {
    const body = await validateCreateBody(definition.createDto, raw);
    if (Array.isArray(body))
      return this.createMany(definition, body, request, response);
    // A keyed create gets an id derived from its key, so a retry names the same row.
    const key = idempotencyKeyOf(request);
    const id = key ? uuidFrom(`row:${definition.table}:${key}`) : uuidv7();
    return this.write(definition, 'created', id, body, request, response);
  }

  async replace(
    definition: EntityDefinition,
    id: string,
    body: object,
    request: Request,
    response: Response,
  ) {
    return this.write(
      definition,
      'replaced',
      checkId(id),
      body,
      request,
      response,
    );
  }

  async patch(
    definition: EntityDefinition,
    id: string,
    body: object,
    request: Request,
    response: Response,
  ) {
    return this.write(
      definition,
      'patched',
      checkId(id),
      body,
      request,
      response,
    );
  }

  async remove(
    definition: EntityDefinition,
    id: string,
    request: Request,
    response: Response,
  ) {
    return this.write(
      definition,
      'deleted',
      checkId(id),
      null,
      request,
      response,
    );
  }

  async findOne(
    definition: EntityDefinition,
    id: string,
    query: Record<string, unknown>,
    request: Request,
    response: Response,
  ): Promise<EntityRow | undefined> {
    const ifNoneMatch = request.header('if-none-match');
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
    response.setHeader('ETag', etag);
    // If-None-Match compares weakly (RFC 9110): W/"3" names version 3 too.
    if (
      ifNoneMatch !== undefined &&
      ifNoneMatch
        .split(',')
        .map((tag) => tag.trim().replace(/^W\//, ''))
        .some((tag) => tag === etag || tag === '*')
    ) {
      response.status(304);
      return undefined;
    }
    return row;
  }

  async list(
    definition: EntityDefinition,
    raw: Record<string, unknown>,
    request: Request,
    response: Response,
  ): Promise<Partial<EntityRow>[]> {
    const query = parseListQuery(definition, raw);
    await this.waitForRequestedPosition(
      typeof raw.position === 'string' ? raw.position : undefined,
      request,
    );
    const page = await this.queries.list(definition, query);
    if (page.total !== null) {
      // Counting is bounded: past MAX_COUNT the count says "at least".
      const capped = page.total > this.config.maxCount;
      response.setHeader(
        'X-Total-Count',
        String(capped ? this.config.maxCount : page.total),
      );
      if (capped) {
        response.setHeader('X-Total-Count-Capped', 'true');
        this.limits.refuse(new Error('count capped'), 'count-capped');
      }
    }
    if (page.rows.length === query.limit) {
      response.setHeader(
        'Link',
        `<${nextPageUrl(definition, request, query, page.rows.at(-1)!)}>; rel="next"`,
      );
    }
    if (!query.fields) return page.rows;
    const fields = query.fields;
    return page.rows.map((row) =>
      Object.fromEntries(fields.map((field) => [field, row[field]])),
    );
  }

  /**
   * Bulk create: every item was validated before anything is emitted, then all
   * go to the log in one batch. 202 with one receipt per item; with
   * `Prefer: return=representation`, 200 with each item's outcome.
   */
  private async createMany(
    definition: EntityDefinition,
    items: object[],
    request: Request,
    response: Response,
  ): Promise<WriteAcceptedDto[] | BulkItemResultDto[]> {
    if (request.header('idempotency-key') !== undefined) {
      throw new BadRequestException(
        'Idempotency-Key is not supported on a bulk create',
      );
    }
    const receipts = await this.commands.submitMany(
      definition,
      items.map((item) => ({
        type: 'created' as const,
        entityId: uuidv7(),
        data: dataOf(definition, item),
        expectedVersion: null,
      })),
    );
    const last = receipts.at(-1)!.position;
    response.setHeader(POSITION_HEADER, last.token);
    if (!prefersRepresentation(request)) {
      response.status(202);
      return receipts.map((receipt) => ({
        id: receipt.id,
        eventId: receipt.eventId,
        position: receipt.position.token,
      }));
    }
    await this.queries.waitForPosition(last, this.config.readWaitTimeoutMs);
    response
      .status(200)
      .setHeader('Preference-Applied', 'return=representation');
    return Promise.all(
      receipts.map(async (receipt): Promise<BulkItemResultDto> => {
        const outcome = await this.queries.outcomeOf(
          definition,
          receipt.eventId,
        );
        if (!outcome) {
          return {
            status: 500,
            id: receipt.id,
            position: receipt.position.token,
            error: new EventNotAppliedError(
              definition.table,
              receipt.eventId,
              receipt.position.token,
            ).message,
          };
        }
        if (outcome.status === 'rejected') {
          return {
            status: 409,
            id: receipt.id,
            position: receipt.position.token,
            error: outcome.reason,
          };
        }
        const row = await this.queries.findOne(definition, receipt.id);
        return {
          status: 201,
          id: receipt.id,
          position: receipt.position.token,
          row,
        };
      }),
    );
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
    request: Request,
    response: Response,
  ) {
    const page = parseHistoryQuery(
      query,
      this.config.topicFor(definition.table),
    );
    await this.waitForRequestedPosition(page.position, request);
    const entries = await this.queries.history(definition, checkId(id), page);
    if (entries.length === 0 && !page.after)
      throw new EntityNotFoundError(definition.table, id);
    const { role } = principalOf(request);
    if (role !== 'admin' && !(await this.queries.findOne(definition, id))) {
      throw new AccessDeniedError(
        'admin',
        role,
        `Row "${id}" was deleted; the history of a deleted row is for admin keys only`,
      );
    }
    if (entries.length === page.limit) {
      response.setHeader(
        'Link',
        `<${nextHistoryUrl(definition.table, id, page.limit, entries.at(-1)!.position)}>; rel="next"`,
      );
    }
    return entries;
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

  private async write(
    definition: EntityDefinition,
    type: EventType,
    id: string,
    body: object | null,
    request: Request,
    response: Response,
  ): Promise<WriteAcceptedDto | EntityRow> {
    const data = body === null ? null : dataOf(definition, body);
    const expectedVersion = expectedVersionOf(request);
    const location = `/${definition.table}/${encodeURIComponent(id)}`;
    const key = idempotencyKeyOf(request);
    let receipt: WriteReceipt;
    if (key) {
      const fingerprint = createHash('sha256')
        .update(
          JSON.stringify([request.method, location, data, expectedVersion]),
        )
        .digest('base64url');
      const first = await this.queries.idempotentRequest(definition, key);
      if (first && first.fingerprint !== fingerprint)
        throw new IdempotencyKeyReusedError(key);
      if (first) {
        response.setHeader('Idempotent-Replayed', 'true');
        receipt = {
          id: first.entityId,
          eventId: first.eventId,
          position: LogPosition.parse(first.position)!,
        };
      } else {
        // Not applied here yet: emit with an event id derived from the key and the
        // request, so that if another node emitted it too, the projection applies it
        // once; the same key on another table or route is another event.
        const eventId = uuidFrom(
          `event:${definition.table}:${request.method}:${location}:${key}`,
        );
        receipt = await this.commands.submit(definition, {
          type,
          entityId: id,
          data,
          expectedVersion,
          idempotency: { key, fingerprint, eventId },
        });
      }
    } else {
      receipt = await this.commands.submit(definition, {
        type,
        entityId: id,
        data,
        expectedVersion,
      });
    }
    response.setHeader(POSITION_HEADER, receipt.position.token);
    if (!prefersRepresentation(request)) {
      response.status(202).setHeader('Location', location);
      return {
        id: receipt.id,
        eventId: receipt.eventId,
        position: receipt.position.token,
      };
    }
    return this.answerWhenApplied(
      definition,
      type,
      receipt,
      location,
      response,
    );
  }

  /** `Prefer: return=representation`: wait until this node applied the event itself. */
  private async answerWhenApplied(
    definition: EntityDefinition,
    type: EventType,
    receipt: WriteReceipt,
    location: string,
    response: Response,
  ): Promise<EntityRow> {
    await this.queries.waitForPosition(
      receipt.position,
      this.config.readWaitTimeoutMs,
    );
    const outcome = await this.queries.outcomeOf(definition, receipt.eventId);
    // Past the position with no outcome: this node set the event aside. Never answer with the row as it was.
    if (!outcome)
      throw new EventNotAppliedError(
        definition.table,
        receipt.eventId,
        receipt.position.token,
      );
    if (outcome.status === 'rejected') throw new EventRejectedError(outcome);
    response.setHeader('Preference-Applied', 'return=representation');
    if (type === 'deleted') {
      response.status(204);
      return undefined as unknown as EntityRow;
    }
    const row = await this.queries.findOne(definition, receipt.id);
    if (!row) throw new EntityNotFoundError(definition.table, receipt.id);
    response.setHeader('ETag', `"${row.version}"`);
    // Versions continue across a delete, so a row this event made is told by its timestamps.
    if (type === 'created' || row.createdAt === row.updatedAt) {
      response.status(201).setHeader('Location', location);
    } else {
      response.status(200).setHeader('Content-Location', location);
    }
    return row;
  }

  private async waitForRequestedPosition(
    fromQuery: string | undefined,
    request: Request,
  ): Promise<void> {
    const token = fromQuery ?? request.header(POSITION_HEADER);
    if (token === undefined) return;
    const position = LogPosition.parse(token);
    if (!position) throw new InvalidPositionError(token);
    await this.queries.waitForPosition(position, this.config.readWaitTimeoutMs);
  }
}

/** The same request for the page after `last`: every parameter kept, the cursor moved. */
function nextPageUrl(
  definition: EntityDefinition,
  request: Request,
  query: ListQuery,
  last: EntityRow,
): string {
  const next = new URLSearchParams();
  for (const [name, value] of new URLSearchParams(
    request.originalUrl.split('?')[1] ?? '',
  )) {
    if (name !== 'after' && name !== 'cursor') next.append(name, value);
  }
  next.set('cursor', encodeCursor(query.sort, last));
  return `/${definition.table}?${next.toString()}`;
}

function idempotencyKeyOf(request: Request): string | null {
  const key = request.header('idempotency-key');
  if (key === undefined) return null;
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new BadRequestException(
      'Idempotency-Key must be 1-255 visible ASCII characters',
    );
  }
  return key;
}

/** A UUID (version 8, name-based) derived from `name`: the same on every node. */
function uuidFrom(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function checkId(id: string): string {
  if (!ENTITY_ID_PATTERN.test(id)) {
    throw new BadRequestException(
      'An id is 1-128 characters: letters, digits, ".", "_", ":" or "-", starting with a letter or digit',
    );
  }
  return id;
}

/** Only declared fields, and only those the client sent, go into the event. */
function dataOf(
  definition: EntityDefinition,
  body: object,
): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const field of definition.fields) {
    const value = (body as Record<string, unknown>)[field.name];
    if (value !== undefined) data[field.name] = value;
  }
  return data;
}

function expectedVersionOf(request: Request): number | null {
  const header = request.header('if-match');
  if (header === undefined) return null;
  const match = VERSION_ETAG.exec(header.trim());
  if (!match) throw new InvalidPreconditionError('If-Match');
  return Number(match[1]);
}

function prefersRepresentation(request: Request): boolean {
  const prefer = request.header('prefer');
  return (
    prefer !== undefined &&
    /(^|[,;\s])return=representation($|[,;\s])/.test(prefer)
  );
}
