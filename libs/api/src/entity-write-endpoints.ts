import { Injectable } from '@nestjs/common';
import {
  EntityNotFoundError,
  EventNotAppliedError,
  EventRejectedError,
  IdempotencyKeyReusedError,
  InvalidPreconditionError,
  LogPosition,
  NodeConfig,
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
 * turn a request into a command and write the HTTP semantics around it
 * (Location, Idempotency-Key, If-Match, Prefer: return=representation,
 * the position header).
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
