import { applyDecorators } from '@nestjs/common';
import {
  ApiHeader,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { EventFateDto } from '../event-fate.dto.js';
import { EntityChangeDto, HistoryEntryDto } from '../entity-http.dto.js';
import {
  entityTagListSchema,
  feedStartSchema,
  idSchema,
  responseHeaderSchemas,
} from '../parameter-schemas.js';
import { stacked, type RouteDocsContext } from './route-docs-context.js';
import { header, problem } from './responses.js';
import {
  HistoryPageParameters,
  IdParam,
  ListQueryParameters,
  ReadsAfterPosition,
} from './parameters.js';

/** OpenAPI docs of `GET /{table}`. */
export const ListDocs = ({
  definition,
  topics,
  selectionDto,
}: RouteDocsContext) => {
  const { table, rowDto } = definition;
  return stacked(
    ApiOperation({
      summary: `List ${table}`,
      description:
        'A JSON array, ordered by id, one page at a time: `limit` rows, or fewer when the rows pass MAX_PAGE_CHARS characters; follow `Link: rel="next"` for the rest.',
    }),
    ApiResponse({
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
    }),
    ReadsAfterPosition(topics),
    ListQueryParameters(definition),
  );
};

/** OpenAPI docs of `GET /{table}/_changes` (server-sent events). */
export const ChangesDocs = ({ topics, definition }: RouteDocsContext) => {
  const { table } = definition;
  return stacked(
    ApiOperation({
      summary: `Live feed of changes to ${table}`,
      description:
        'Server-sent events: one `change` event per write this node applies, with the row after it ' +
        '(null once deleted), and a `heartbeat` event every 25 s. The event id is the log position: ' +
        'reconnect with `Last-Event-ID` (EventSource does) or `after` to get first the changes applied ' +
        'after it, oldest first, each with the row as it is now, then the live ones.',
    }),
    ApiQuery({
      name: 'after',
      required: false,
      schema: feedStartSchema(topics),
      description:
        "Start after this position (an event id of this feed, a position of this table's topic); overrides `Last-Event-ID`; empty: live changes only",
    }),
    ApiHeader({
      name: 'Last-Event-ID',
      required: false,
      schema: feedStartSchema(topics),
      description:
        "Start after this event id (a position of this table's topic), as EventSource sends it on reconnect",
    }),
    ApiResponse({
      status: 200,
      description: 'text/event-stream of changes',
      content: {
        'text/event-stream': {
          schema: { $ref: getSchemaPath(EntityChangeDto) },
        },
      },
    }),
    problem(400, 'Not a position of this table, or an unknown query parameter'),
    problem(
      429,
      'This client has MAX_CHANGE_FEEDS_PER_CLIENT feeds open on this node',
      { 'Retry-After': header('Seconds to wait before retrying') },
    ),
    problem(
      503,
      'This node serves MAX_CHANGE_FEEDS feeds already; try another node',
      { 'Retry-After': header('Seconds to wait before retrying') },
    ),
  );
};

/** OpenAPI docs of `GET /{table}/_events/{eventId}`. */
export const EventFateDocs = () =>
  stacked(
    ApiOperation({
      summary: 'What became of an event on this node',
      description:
        'After a `504` outcome-unknown answer: `200` with `status` applied (and the position) or rejected (and why) once this node has the event; `404` while it has not seen it (not on the log, or not yet applied here: send the position of a later write to be sure).',
    }),
    ApiParam({
      name: 'eventId',
      description: 'The `eventId` of a write answer or of a 504 problem',
      schema: idSchema,
    }),
    ApiResponse({
      status: 200,
      description: "The event's outcome",
      type: EventFateDto,
    }),
    problem(400, 'Not an event id'),
    problem(404, 'This node has not seen the event'),
  );

/** OpenAPI docs of `GET /{table}/{id}`. */
export const FindOneDocs = ({
  topics,
  label,
  definition,
}: RouteDocsContext) => {
  const { rowDto } = definition;
  return stacked(
    ApiOperation({ summary: `Get one ${label}` }),
    ApiHeader({
      name: 'If-None-Match',
      required: false,
      schema: entityTagListSchema,
      description:
        'ETags held by the client (or `*`); 304 if one names the current version (weak comparison)',
    }),
    ApiResponse({
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
    }),
    ApiResponse({
      status: 304,
      description: 'Not modified since the If-None-Match ETag',
      headers: {
        ETag: header(
          'Row version, e.g. `"3"`',
          true,
          responseHeaderSchemas.etag,
        ),
      },
    }),
    problem(404, 'No such row'),
    ReadsAfterPosition(topics),
    // Applied first, so the path parameter comes first, as in the other row routes' docs.
    IdParam(),
  );
};

/** OpenAPI docs of `GET /{table}/{id}/history` (tables that keep history only). */
export const HistoryDocs = ({ topics, label }: RouteDocsContext) => {
  return applyDecorators(
    ApiOperation({
      summary: `How a ${label} came to be`,
      description:
        'Every event of the row in log order, with its position, data and outcome (applied, or rejected and why), ' +
        'a page at a time (`limit` events, or fewer when they pass MAX_PAGE_CHARS characters): follow `Link: rel="next"`. With API keys, the history of a deleted row is for admin keys only.',
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
  );
};
