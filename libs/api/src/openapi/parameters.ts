import { applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiParam, ApiQuery } from '@nestjs/swagger';
import {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  POSITION_HEADER,
} from '../entity-http.dto.js';
import { DEFAULT_HISTORY_PAGE, MAX_HISTORY_PAGE } from '../history-query.js';
import {
  cursorSchema,
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
} from '../parameter-schemas.js';
import type { EntityDefinition } from '@clusterlite/registry';
import { header, problem } from './responses.js';

/** OpenAPI parameters shared by the entity routes: position, write headers, list and history queries, id. */
export const ReadsAfterPosition = (topics: TableTopics) =>
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

export const WriteHeaders = (conditional: boolean) =>
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

/** Paging, sorting, field selection and one filter parameter per column, as OpenAPI query parameters. */
export const ListQueryParameters = (definition: EntityDefinition) => {
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

export const HistoryPageParameters = (topics: TableTopics) =>
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

export const IdParam = () =>
  ApiParam({
    name: 'id',
    description: 'Row id',
    schema: idSchema,
  });
