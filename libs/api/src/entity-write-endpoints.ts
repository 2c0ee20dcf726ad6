import { Injectable } from '@nestjs/common';
import {
  EntityNotFoundError,
  EventNotAppliedError,
  EventRejectedError,
  IdempotencyKeyReusedError,
  InvalidPreconditionError,
  LogPosition,
  NodeConfig,
  uuidV7,
  type EventType,
} from '@clusterlite/core';
import { BadRequestException } from '@nestjs/common';
import {
  keepingHeaders,
  type EndpointRequest,
  type EndpointResult,
} from './endpoint-result.js';
import { createHash } from 'node:crypto';
import {
  EntityCommands,
  EntityQueries,
  type EntityDefinition,
  type EntityRow,
  type WriteReceipt,
} from '@clusterlite/registry';
import {
  POSITION_HEADER,
  type BulkItemResultDto,
  type WriteAcceptedDto,
} from './entity-http.dto.js';
import { validateCreateBody } from './body-validation.js';
import { IDEMPOTENCY_KEY, VERSION_ETAG } from './parameter-schemas.js';

import { checkId } from './entity-id.js';

/**
 * The write handlers of every generated entity controller, for any table:
 * turn a request into a command and decide the HTTP semantics around it
 * (Location, Idempotency-Key, If-Match, Prefer: return=representation,
 * the position header) as plain values: the controller writes the result.
 */
@Injectable()
export class EntityWriteEndpoints {
  constructor(
    private readonly commands: EntityCommands,
    private readonly queries: EntityQueries,
    private readonly config: NodeConfig,
  ) {}

  async create(
    definition: EntityDefinition,
    raw: unknown,
    request: EndpointRequest,
  ): Promise<
    EndpointResult<
      WriteAcceptedDto | EntityRow | BulkItemResultDto[] | WriteAcceptedDto[]
    >
  > {
    const body = await validateCreateBody(definition.createDto, raw);
    if (Array.isArray(body)) return this.createMany(definition, body, request);
    // A keyed create gets an id derived from its key, so a retry names the same row.
    const key = idempotencyKeyOf(request);
    const id = key ? uuidFrom(`row:${definition.table}:${key}`) : uuidV7();
    return this.write(definition, 'created', id, body, request);
  }

  async replace(
    definition: EntityDefinition,
    id: string,
    body: object,
    request: EndpointRequest,
  ) {
    return this.write(definition, 'replaced', checkId(id), body, request);
  }

  async patch(
    definition: EntityDefinition,
    id: string,
    body: object,
    request: EndpointRequest,
  ) {
    return this.write(definition, 'patched', checkId(id), body, request);
  }

  async remove(
    definition: EntityDefinition,
    id: string,
    request: EndpointRequest,
  ) {
    return this.write(definition, 'deleted', checkId(id), null, request);
  }

  /**
   * Bulk create: every item was validated before anything is emitted, then all
   * go to the log in one batch. 202 with one receipt per item; with
   * `Prefer: return=representation`, 200 with each item's outcome.
   */
  private async createMany(
    definition: EntityDefinition,
    items: object[],
    request: EndpointRequest,
  ): Promise<EndpointResult<WriteAcceptedDto[] | BulkItemResultDto[]>> {
    if (request.headers['idempotency-key'] !== undefined) {
      throw new BadRequestException(
        'Idempotency-Key is not supported on a bulk create',
      );
    }
    const receipts = await this.commands.submitMany(
      definition,
      items.map((item) => ({
        type: 'created' as const,
        entityId: uuidV7(),
        data: dataOf(definition, item),
        expectedVersion: null,
      })),
    );
    const last = receipts.at(-1)!.position;
    const headers: Record<string, string> = { [POSITION_HEADER]: last.token };
    if (!prefersRepresentation(request)) {
      return {
        status: 202,
        headers,
        body: receipts.map((receipt) => ({
          id: receipt.id,
          eventId: receipt.eventId,
          position: receipt.position.token,
        })),
      };
    }
    await keepingHeaders(headers, () =>
      this.queries.waitForPosition(last, this.config.readWaitTimeoutMs),
    );
    headers['Preference-Applied'] = 'return=representation';
    const body = await keepingHeaders(headers, () =>
      this.outcomesOf(definition, receipts),
    );
    return { status: 200, headers, body };
  }

  /** Each bulk item's outcome on this node: its row, or why it has none. */
  private outcomesOf(
    definition: EntityDefinition,
    receipts: WriteReceipt[],
  ): Promise<BulkItemResultDto[]> {
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

  private async write(
    definition: EntityDefinition,
    type: EventType,
    id: string,
    body: object | null,
    request: EndpointRequest,
  ): Promise<EndpointResult<WriteAcceptedDto | EntityRow>> {
    const data = body === null ? null : dataOf(definition, body);
    const expectedVersion = expectedVersionOf(request);
    const location = `/${definition.table}/${encodeURIComponent(id)}`;
    const key = idempotencyKeyOf(request);
    let receipt: WriteReceipt;
    const headers: Record<string, string> = {};
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
        headers['Idempotent-Replayed'] = 'true';
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
    headers[POSITION_HEADER] = receipt.position.token;
    if (!prefersRepresentation(request)) {
      headers.Location = location;
      return {
        status: 202,
        headers,
        body: {
          id: receipt.id,
          eventId: receipt.eventId,
          position: receipt.position.token,
        },
      };
    }
    return keepingHeaders(headers, () =>
      this.answerWhenApplied(definition, type, receipt, location, headers),
    );
  }

  /** `Prefer: return=representation`: wait until this node applied the event itself. */
  private async answerWhenApplied(
    definition: EntityDefinition,
    type: EventType,
    receipt: WriteReceipt,
    location: string,
    headers: Record<string, string>,
  ): Promise<EndpointResult<EntityRow>> {
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
    headers['Preference-Applied'] = 'return=representation';
    if (type === 'deleted') {
      return {
        status: 204,
        headers,
        body: undefined as unknown as EntityRow,
      };
    }
    const row = await this.queries.findOne(definition, receipt.id);
    if (!row) throw new EntityNotFoundError(definition.table, receipt.id);
    headers.ETag = `"${row.version}"`;
    // Versions continue across a delete, so a row this event made is told by its timestamps.
    if (type === 'created' || row.createdAt === row.updatedAt) {
      headers.Location = location;
      return { status: 201, headers, body: row };
    }
    headers['Content-Location'] = location;
    return { status: 200, headers, body: row };
  }
}

function idempotencyKeyOf(request: EndpointRequest): string | null {
  const key = request.headers['idempotency-key'];
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

function expectedVersionOf(request: EndpointRequest): number | null {
  const header = request.headers['if-match'];
  if (header === undefined) return null;
  const match = VERSION_ETAG.exec(header.trim());
  if (!match) throw new InvalidPreconditionError('If-Match');
  return Number(match[1]);
}

function prefersRepresentation(request: EndpointRequest): boolean {
  const prefer = request.headers.prefer;
  return (
    prefer !== undefined &&
    /(^|[,;\s])return=representation($|[,;\s])/.test(prefer)
  );
}
