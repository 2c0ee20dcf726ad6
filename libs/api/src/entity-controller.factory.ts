import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
  Res,
  Sse,
  type MessageEvent,
  UseGuards,
  applyDecorators,
  type Type,
} from '@nestjs/common';
import {
  ApiBody,
  ApiExtraModels,
  ApiHeader,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiResponse,
  ApiTags,
  PartialType,
  getSchemaPath,
  type HeaderObject,
  type SchemaObject,
} from '@nestjs/swagger';
import type { EntityDefinition } from '@clusterlite/registry';
import type { Request, Response } from 'express';
import type { Observable } from 'rxjs';
import { EntityEndpoints } from './entity-endpoints.js';
import {
  PROBLEM_CONTENT_TYPE,
  ProblemDetailsDto,
} from './http/problem-details.js';
import { JsonBodyGuard } from './json-body.guard.js';
import { MAX_BULK_ITEMS } from './body-validation.js';
import { EventFateDto } from './event-fate.dto.js';
import { rowLinks } from './row-links.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './entity-http.dto.js';
import { DEFAULT_HISTORY_PAGE, MAX_HISTORY_PAGE } from './history-query.js';
import {
  cursorSchema,
  entityTagListSchema,
  feedStartSchema,
  ownPositionSchema,
  fieldsSchema,
  filterSchema,
  idSchema,
  idempotencyKeySchema,
  positionSchema,
  responseHeaderSchemas,
  sortSchema,
  sortableColumns,
  versionEtagSchema,
  type TableTopics,
} from './parameter-schemas.js';
import {
  BulkItemResultDto,
  EntityChangeDto,
  HistoryEntryDto,
  POSITION_HEADER,
  WriteAcceptedDto,
} from './entity-http.dto.js';

const problem = (
  status: number,
  description: string,
  headers?: Record<string, HeaderObject>,
) =>
  ApiResponse({
    status,
    description,
    headers,
    content: {
      [PROBLEM_CONTENT_TYPE]: {
        schema: { $ref: getSchemaPath(ProblemDetailsDto) },
      },
    },
  });

const header = (
  description: string,
  required = true,
  schema: SchemaObject = { type: 'string' },
): HeaderObject => ({ description, required, schema });

/** Headers of every write answer: its log position, and whether it replays an earlier request. */
const writeHeaders = {
  [POSITION_HEADER]: header(
    'Log position of the event (of the last one, for a bulk create)',
    true,
    responseHeaderSchemas.position,
  ),
  'Idempotent-Replayed': header(
    '`true` when this answers a retry with the same Idempotency-Key',
    false,
    { type: 'string', enum: ['true'] },
  ),
};

/** Headers of a write answered with `Prefer: return=representation`. */
const representationHeaders = (status: 200 | 201) => ({
  ...writeHeaders,
  ETag: header('Row version, e.g. `"3"`', true, responseHeaderSchemas.etag),
  ...(status === 201
    ? {
        Location: header(
          'URL of the row',
          true,
          responseHeaderSchemas.location,
        ),
      }
    : {
        'Content-Location': header(
          'URL of the row',
          true,
          responseHeaderSchemas.location,
        ),
      }),
  'Preference-Applied': header('`return=representation`', true, {
    type: 'string',
    enum: ['return=representation'],
  }),
});

const ReadsAfterPosition = (topics: TableTopics) =>
  applyDecorators(
    ApiQuery({
      name: 'position',
      required: false,
      schema: positionSchema(topics),
      description:
        'Wait until this node has applied this log position (from a write response) before reading',
    }),
    ApiHeader({
      name: POSITION_HEADER,
      required: false,
      schema: positionSchema(topics),
      description:
        'A position from a write response: the node answers only once it has applied it (read-your-writes). Same as the `position` query parameter.',
    }),
    problem(400, 'Invalid query parameter or position token'),
    problem(504, 'This node did not reach the requested position in time'),
  );

const WriteHeaders = (conditional: boolean) =>
  applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      schema: idempotencyKeySchema,
      description:
        'A unique key per logical request: a retry with the same key gets the first answer (header `Idempotent-Replayed: true`) and no second event, on any node; reusing it for a different request is a 422. ' +
        'Not with a bulk create (an array body): that is a 400.',
    }),
    problem(422, 'Idempotency-Key reused for a different request'),
    ApiHeader({
      name: 'Prefer',
      required: false,
      description:
        '`return=representation`: wait until this node applied the event and answer with the row (201/200/204), or 409/412/404 if the event was rejected.',
    }),
    ...(conditional
      ? [
          ApiHeader({
            name: 'If-Match',
            required: false,
            schema: versionEtagSchema,
            description:
              'ETag of the version this write expects, e.g. `"3"`; decided in log order on every node',
          }),
        ]
      : []),
    problem(
      503,
      'The event log (Kafka) did not acknowledge the write; nothing was accepted. See Retry-After.',
      {
        'Retry-After': header(
          'Seconds to wait before retrying',
          true,
          responseHeaderSchemas.seconds,
        ),
      },
    ),
    problem(
      504,
      'Outcome unknown (`urn:clusterlite:problem:outcome-unknown`): the write left for the log and no answer came; ' +
        'the problem carries the `eventId`, ask `GET /{table}/_events/{eventId}`. ' +
        'Or, with Prefer: return=representation, this node did not apply the event in time',
    ),
  );

const Accepted = (what: string) =>
  ApiResponse({
    status: 202,
    description: `${what} accepted by the log; it is applied on every node shortly`,
    type: WriteAcceptedDto,
    headers: {
      Location: header('URL of the row', true, responseHeaderSchemas.location),
      ...writeHeaders,
    },
  });

/** Paging, sorting, field selection and one filter parameter per column, as OpenAPI query parameters. */
const ListQueryParameters = (definition: EntityDefinition) => {
  const sortable = sortableColumns(definition).map((column) => column.name);
  const all = definition.columns.map((column) => column.name);
  return applyDecorators(
    ApiQuery({
      name: 'limit',
      required: false,
      schema: {
        type: 'integer',
        minimum: 1,
        maximum: MAX_PAGE_SIZE,
        default: DEFAULT_PAGE_SIZE,
      },
      description: 'Rows per page',
    }),
    ApiQuery({
      name: 'sort',
      required: false,
      schema: {
        ...sortSchema(definition),
        example: sortable
          .slice(1, 3)
          .map((name, i) => (i ? `-${name}` : name))
          .join(','),
      },
      description: `Comma-separated sort keys, \`-\` for descending. Fields: ${sortable.join(', ')}; each at most once. Ties are broken by id. Not with \`after\`.`,
    }),
    ApiQuery({
      name: 'fields',
      required: false,
      schema: { ...fieldsSchema(definition), example: 'id,' + all[1] },
      description: `Comma-separated fields to return. Fields: ${all.join(', ')}`,
    }),
    ApiQuery({
      name: 'cursor',
      required: false,
      schema: cursorSchema,
      description:
        'Keyset cursor of the next page; take it from the `Link: rel="next"` header (it belongs to the `sort` it was made with). Not with `after`.',
    }),
    ApiQuery({
      name: 'after',
      required: false,
      schema: idSchema,
      description:
        'Rows whose id sorts after this one (id order only: not with `sort` or `cursor`)',
    }),
    ApiQuery({
      name: 'count',
      required: false,
      schema: { type: 'boolean' },
      description:
        'true: the number of matching rows in the `X-Total-Count` header',
    }),
    ...definition.columns.map((column) =>
      ApiQuery({
        name: column.name,
        required: false,
        schema: filterSchema(column),
        description:
          `Filter on ${column.name} (${column.type}): \`<operator>.<value>\`, repeatable (all must hold). ` +
          (column.type === 'string[]'
            ? 'Operators: contains, is (null|notnull).'
            : column.type === 'boolean'
              ? 'Operators: eq, ne, is. E.g. `eq.true`.'
              : `Operators: eq, ne, gt, gte, lt, lte, in (\`in.(a,b)\`)${column.type === 'string' ? ', prefix, contains' : ''}, is (null|notnull).`),
      }),
    ),
  );
};

const HistoryPageParameters = (topics: TableTopics) =>
  applyDecorators(
    ApiQuery({
      name: 'limit',
      required: false,
      schema: {
        type: 'integer',
        minimum: 1,
        maximum: MAX_HISTORY_PAGE,
        default: DEFAULT_HISTORY_PAGE,
      },
      description: 'Events per page',
    }),
    ApiQuery({
      name: 'after',
      required: false,
      schema: ownPositionSchema(topics),
      description:
        'Events after this position of the row; take it from the `Link: rel="next"` header',
    }),
  );

const IdParam = () =>
  ApiParam({
    name: 'id',
    description: 'Row id',
    schema: idSchema,
  });

/**
 * Builds the CRUD controller of one table. The class is made at runtime, so
 * its handlers get `design:paramtypes` set by hand: ValidationPipe and the
 * OpenAPI scanner read the body and query DTOs from there.
 */
export function createEntityController(
  definition: EntityDefinition,
  topics: TableTopics,
): Type<unknown> {
  const { table, createDto, replaceDto, patchDto, rowDto } = definition;
  const label = definition.target.name;
  // What a list answers with `fields=`: any subset of a row's columns.
  const selectionDto = PartialType(rowDto as Type<object>);
  Object.defineProperty(selectionDto, 'name', { value: `${label}Selection` });

  @ApiTags(table)
  @ApiExtraModels(
    ProblemDetailsDto,
    EntityChangeDto,
    WriteAcceptedDto,
    rowDto,
    selectionDto,
    createDto,
  )
  @Controller(table)
  class EntityController {
    constructor(
      @Inject(EntityEndpoints) private readonly endpoints: EntityEndpoints,
    ) {}

    @Post()
    @HttpCode(202)
    @ApiOperation({
      summary: `Create a ${label}, or several`,
      description:
        `The id is chosen by the node (UUIDv7). Send an array of up to ${MAX_BULK_ITEMS} objects for a bulk create: ` +
        'every item is validated first (errors name the item, e.g. `[3].email`), then all go to the log in one batch; ' +
        'the answer is an array with one result per item.',
    })
    @ApiBody({
      schema: {
        oneOf: [
          { $ref: getSchemaPath(createDto) },
          {
            type: 'array',
            items: { $ref: getSchemaPath(createDto) },
            minItems: 1,
            maxItems: MAX_BULK_ITEMS,
          },
        ],
      },
    })
    @ApiResponse({
      status: 202,
      description:
        'Accepted by the log; applied on every node shortly. An array of receipts, in item order, for a bulk create.',
      schema: {
        oneOf: [
          { $ref: getSchemaPath(WriteAcceptedDto) },
          { type: 'array', items: { $ref: getSchemaPath(WriteAcceptedDto) } },
        ],
      },
      // For a single create; a bulk create's receipts are an array.
      links: rowLinks(label, { eventId: true }),
      headers: {
        Location: header(
          'URL of the row (not for a bulk create)',
          false,
          responseHeaderSchemas.location,
        ),
        ...writeHeaders,
      },
    })
    @ApiResponse({
      status: 201,
      description: 'Created (with Prefer: return=representation)',
      type: rowDto,
      headers: representationHeaders(201),
      links: rowLinks(label),
    })
    @ApiResponse({
      status: 200,
      description:
        'Bulk create with Prefer: return=representation: the outcome of each item, in item order',
      type: BulkItemResultDto,
      isArray: true,
      headers: {
        ...writeHeaders,
        'Preference-Applied': header('`return=representation`', true, {
          type: 'string',
          enum: ['return=representation'],
        }),
      },
    })
    @WriteHeaders(false)
    @problem(400, 'Invalid body: each invalid field is listed in `errors`')
    @problem(
      409,
      'Rejected by the projection (Prefer: return=representation), e.g. a unique field taken',
    )
    @problem(
      413,
      'Body over BODY_LIMIT, or its events over the log limit per write (KAFKA_MAX_MESSAGE_BYTES)',
    )
    @problem(
      415,
      'Content-Type is not JSON (application/json or application/*+json, in UTF-8)',
    )
    @UseGuards(JsonBodyGuard)
    create(
      @Body() body: unknown,
      @Req() request: Request,
      @Res({ passthrough: true }) response: Response,
    ) {
      return this.endpoints.create(definition, body, request, response);
    }

    @Get()
    @ApiOperation({
      summary: `List ${table}`,
      description: 'A JSON array, ordered by id, one page at a time.',
    })
    @ApiResponse({
      status: 200,
      description: `A page of ${table}: whole rows, or only the columns named by \`fields\``,
      schema: {
        type: 'array',
        items: {
          anyOf: [
            { $ref: getSchemaPath(rowDto) },
            { $ref: getSchemaPath(selectionDto) },
          ],
        },
      },
      headers: {
        Link: header(
          'Next page, when there may be one: `<...>; rel="next"`',
          false,
          responseHeaderSchemas.nextLink,
        ),
        'X-Total-Count': header(
          'Number of matching rows, with `count=true`; at most MAX_COUNT',
          false,
        ),
        'X-Total-Count-Capped': header(
          '`true` when more rows than MAX_COUNT match: X-Total-Count is then a lower bound',
          false,
          responseHeaderSchemas.count,
        ),
      },
    })
    @ReadsAfterPosition(topics)
    @ListQueryParameters(definition)
    list(
      @Query() query: Record<string, unknown>,
      @Req() request: Request,
      @Res({ passthrough: true }) response: Response,
    ) {
      return this.endpoints.list(definition, query, request, response);
    }

    @Sse('_changes')
    @ApiOperation({
      summary: `Live feed of changes to ${table}`,
      description:
        'Server-sent events: one `change` event per write this node applies, with the row after it ' +
        '(null once deleted), and a `heartbeat` event every 25 s. The event id is the log position: ' +
        'reconnect with `Last-Event-ID` (EventSource does) or `after` to get first the changes applied ' +
        'after it, oldest first, each with the row as it is now, then the live ones.',
    })
    @ApiQuery({
      name: 'after',
      required: false,
      schema: feedStartSchema(topics),
      description:
        "Start after this position (an event id of this feed, a position of this table's topic); overrides `Last-Event-ID`; empty: live changes only",
    })
    @ApiHeader({
      name: 'Last-Event-ID',
      required: false,
      schema: feedStartSchema(topics),
      description:
        "Start after this event id (a position of this table's topic), as EventSource sends it on reconnect",
    })
    @ApiResponse({
      status: 200,
      description: 'text/event-stream of changes',
      content: {
        'text/event-stream': {
          schema: { $ref: getSchemaPath(EntityChangeDto) },
        },
      },
    })
    @problem(400, 'Not a position of this table, or an unknown query parameter')
    @problem(
      429,
      'This client has MAX_CHANGE_FEEDS_PER_CLIENT feeds open on this node',
      { 'Retry-After': header('Seconds to wait before retrying') },
    )
    @problem(
      503,
      'This node serves MAX_CHANGE_FEEDS feeds already; try another node',
      { 'Retry-After': header('Seconds to wait before retrying') },
    )
    changes(
      @Query() query: Record<string, unknown>,
      @Req() request: Request,
    ): Observable<MessageEvent> {
      return this.endpoints.changes(definition, query, request);
    }

    @Get('_events/:eventId')
    @ApiOperation({
      summary: 'What became of an event on this node',
      description:
        'After a `504` outcome-unknown answer: `200` with `status` applied (and the position) or rejected (and why) once this node has the event; `404` while it has not seen it (not on the log, or not yet applied here: send the position of a later write to be sure).',
    })
    @ApiParam({
      name: 'eventId',
      description: 'The `eventId` of a write answer or of a 504 problem',
      schema: idSchema,
    })
    @ApiResponse({
      status: 200,
      description: "The event's outcome",
      type: EventFateDto,
    })
    @problem(400, 'Not an event id')
    @problem(404, 'This node has not seen the event')
    eventFate(@Param('eventId') eventId: string) {
      return this.endpoints.eventFate(definition, eventId);
    }

    @Get(':id')
    @ApiOperation({ summary: `Get one ${label}` })
    @IdParam()
    @ApiHeader({
      name: 'If-None-Match',
      required: false,
      schema: entityTagListSchema,
      description:
        'ETags held by the client (or `*`); 304 if one names the current version (weak comparison)',
    })
    @ApiResponse({
      status: 200,
      description: 'The row',
      type: rowDto,
      headers: {
        ETag: header(
          'Row version, e.g. `"3"`',
          true,
          responseHeaderSchemas.etag,
        ),
      },
    })
    @ApiResponse({
      status: 304,
      description: 'Not modified since the If-None-Match ETag',
      headers: {
        ETag: header(
          'Row version, e.g. `"3"`',
          true,
          responseHeaderSchemas.etag,
        ),
      },
    })
    @problem(404, 'No such row')
    @ReadsAfterPosition(topics)
    findOne(
      @Param('id') id: string,
      @Query() query: Record<string, unknown>,
      @Req() request: Request,
      @Res({ passthrough: true }) response: Response,
    ) {
      return this.endpoints.findOne(definition, id, query, request, response);
    }

    history(
      @Param('id') id: string,
      @Query() query: Record<string, unknown>,
      @Req() request: Request,
      @Res({ passthrough: true }) response: Response,
    ) {
      return this.endpoints.history(definition, id, query, request, response);
    }

    @Put(':id')
    @HttpCode(202)
    @ApiOperation({
      summary: `Replace a ${label}`,
      description:
        'Replaces every field; creates the row if it does not exist.',
    })
    @IdParam()
    @ApiBody({ type: replaceDto })
    @Accepted('Replace')
    @ApiResponse({
      status: 200,
      description: 'Replaced (with Prefer: return=representation)',
      type: rowDto,
      headers: representationHeaders(200),
    })
    @ApiResponse({
      status: 201,
      description: 'Created (with Prefer: return=representation)',
      type: rowDto,
      headers: representationHeaders(201),
    })
    @WriteHeaders(true)
    @problem(400, 'Invalid body or id')
    @problem(409, 'Rejected by the projection, e.g. a unique field taken')
    @problem(412, 'If-Match did not hold (with Prefer: return=representation)')
    @problem(413, 'Body too large')
    @problem(
      415,
      'Content-Type is not JSON (application/json or application/*+json, in UTF-8)',
    )
    @UseGuards(JsonBodyGuard)
    replace(
      @Param('id') id: string,
      @Body() body: object,
      @Req() request: Request,
      @Res({ passthrough: true }) response: Response,
    ) {
      return this.endpoints.replace(definition, id, body, request, response);
    }

    @Patch(':id')
    @HttpCode(202)
    @ApiOperation({
      summary: `Update some fields of a ${label}`,
      description:
        'Only the fields sent change. A missing row rejects the event.',
    })
    @IdParam()
    @ApiBody({ type: patchDto })
    @Accepted('Update')
    @ApiResponse({
      status: 200,
      description: 'Updated (with Prefer: return=representation)',
      type: rowDto,
      headers: representationHeaders(200),
    })
    @WriteHeaders(true)
    @problem(400, 'Invalid body or id')
    @problem(404, 'No such row (with Prefer: return=representation)')
    @problem(409, 'Rejected by the projection, e.g. a unique field taken')
    @problem(412, 'If-Match did not hold (with Prefer: return=representation)')
    @problem(413, 'Body too large')
    @problem(
      415,
      'Content-Type is not JSON (application/json or application/*+json, in UTF-8)',
    )
    @UseGuards(JsonBodyGuard)
    patch(
      @Param('id') id: string,
      @Body() body: object,
      @Req() request: Request,
      @Res({ passthrough: true }) response: Response,
    ) {
      return this.endpoints.patch(definition, id, body, request, response);
    }

    @Delete(':id')
    @HttpCode(202)
    @ApiOperation({
      summary: `Delete a ${label}`,
      description: 'Deleting a row that does not exist is not an error.',
    })
    @IdParam()
    @Accepted('Delete')
    @ApiResponse({
      status: 204,
      description: 'Deleted (with Prefer: return=representation)',
      headers: {
        ...writeHeaders,
        'Preference-Applied': header('`return=representation`', true, {
          type: 'string',
          enum: ['return=representation'],
        }),
      },
    })
    @WriteHeaders(true)
    @problem(400, 'Invalid id')
    @problem(412, 'If-Match did not hold (with Prefer: return=representation)')
    remove(
      @Param('id') id: string,
      @Req() request: Request,
      @Res({ passthrough: true }) response: Response,
    ) {
      return this.endpoints.remove(definition, id, request, response);
    }
  }

  if (definition.keepsHistory) {
    // Only tables that keep history have the route.
    const descriptor = Object.getOwnPropertyDescriptor(
      EntityController.prototype,
      'history',
    )!;
    applyDecorators(
      Get(':id/history'),
      ApiOperation({
        summary: `How a ${label} came to be`,
        description:
          'Every event of the row in log order, with its position, data and outcome (applied, or rejected and why), ' +
          'a page at a time: follow `Link: rel="next"`. With API keys, the history of a deleted row is for admin keys only.',
      }),
      IdParam(),
      HistoryPageParameters(topics),
      ApiResponse({
        status: 200,
        description: 'Events, oldest first',
        type: HistoryEntryDto,
        isArray: true,
        headers: {
          Link: header(
            'Next page, when there may be one: `<...>; rel="next"`',
            false,
          ),
        },
      }),
      problem(404, 'No event ever named this row'),
      problem(
        403,
        'The row was deleted and the key is not an admin key (with API_KEYS)',
      ),
      ReadsAfterPosition(topics),
    )(EntityController.prototype, 'history', descriptor);
  }

  const handlerParameters: Record<string, unknown[]> = {
    // Validated by the endpoint, which also takes arrays (bulk).
    create: [Object, Object, Object],
    list: [Object, Object, Object],
    changes: [Object, Object],
    // Read queries are checked by the endpoint (one optional parameter; the pipe would cost more than the read).
    history: [String, Object, Object, Object],
    eventFate: [String],
    findOne: [String, Object, Object, Object],
    replace: [String, replaceDto, Object, Object],
    patch: [String, patchDto, Object, Object],
    remove: [String, Object, Object],
  };
  for (const [handler, types] of Object.entries(handlerParameters)) {
    Reflect.defineMetadata(
      'design:paramtypes',
      types,
      EntityController.prototype,
      handler,
    );
  }
  Object.defineProperty(EntityController, 'name', {
    value: `${label}Controller`,
  });
  return EntityController;
}
