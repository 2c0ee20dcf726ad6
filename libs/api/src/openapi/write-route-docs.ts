import {
  ApiBody,
  ApiOperation,
  ApiResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { MAX_BULK_ITEMS } from '../body-validation.js';
import { rowLinks } from '../row-links.js';
import { BulkItemResultDto, WriteAcceptedDto } from '../entity-http.dto.js';
import { responseHeaderSchemas } from '../parameter-schemas.js';
import { stacked, type RouteDocsContext } from './route-docs-context.js';
import {
  Accepted,
  header,
  problem,
  representationHeaders,
  writeHeaders,
} from './responses.js';
import { IdParam, WriteHeaders } from './parameters.js';

/** OpenAPI docs of `POST /{table}` (one row or a bulk create). */
export const CreateDocs = ({ label, definition }: RouteDocsContext) => {
  const { createDto, rowDto } = definition;
  return stacked(
    ApiOperation({
      summary: `Create a ${label}, or several`,
      description:
        `The id is chosen by the node (UUIDv7). Send an array of up to ${MAX_BULK_ITEMS} objects for a bulk create: ` +
        'every item is validated first (errors name the item, e.g. `[3].email`), then all go to the log in one batch; ' +
        'the answer is an array with one result per item.',
    }),
    ApiBody({
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
    }),
    ApiResponse({
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
    }),
    ApiResponse({
      status: 201,
      description: 'Created (with Prefer: return=representation)',
      type: rowDto,
      headers: representationHeaders(201),
      links: rowLinks(label),
    }),
    ApiResponse({
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
    }),
    WriteHeaders(false),
    problem(400, 'Invalid body: each invalid field is listed in `errors`'),
    problem(
      409,
      'Rejected by the projection (Prefer: return=representation), e.g. a unique field taken',
    ),
    problem(
      413,
      'Body over BODY_LIMIT, or its events over the log limit per write (KAFKA_MAX_MESSAGE_BYTES)',
    ),
    problem(
      415,
      'Content-Type is not JSON (application/json or application/*+json, in UTF-8)',
    ),
  );
};

/** OpenAPI docs of `PUT /{table}/{id}`. */
export const ReplaceDocs = ({ label, definition }: RouteDocsContext) => {
  const { replaceDto, rowDto } = definition;
  return stacked(
    ApiOperation({
      summary: `Replace a ${label}`,
      description:
        'Replaces every field; creates the row if it does not exist.',
    }),
    IdParam(),
    ApiBody({ type: replaceDto }),
    Accepted('Replace'),
    ApiResponse({
      status: 200,
      description: 'Replaced (with Prefer: return=representation)',
      type: rowDto,
      headers: representationHeaders(200),
    }),
    ApiResponse({
      status: 201,
      description: 'Created (with Prefer: return=representation)',
      type: rowDto,
      headers: representationHeaders(201),
    }),
    WriteHeaders(true),
    problem(400, 'Invalid body or id'),
    problem(409, 'Rejected by the projection, e.g. a unique field taken'),
    problem(412, 'If-Match did not hold (with Prefer: return=representation)'),
    problem(413, 'Body too large'),
    problem(
      415,
      'Content-Type is not JSON (application/json or application/*+json, in UTF-8)',
    ),
  );
};

/** OpenAPI docs of `PATCH /{table}/{id}`. */
export const PatchDocs = ({ label, definition }: RouteDocsContext) => {
  const { patchDto, rowDto } = definition;
  return stacked(
    ApiOperation({
      summary: `Update some fields of a ${label}`,
      description:
        'Only the fields sent change. A missing row rejects the event.',
    }),
    IdParam(),
    ApiBody({ type: patchDto }),
    Accepted('Update'),
    ApiResponse({
      status: 200,
      description: 'Updated (with Prefer: return=representation)',
      type: rowDto,
      headers: representationHeaders(200),
    }),
    WriteHeaders(true),
    problem(400, 'Invalid body or id'),
    problem(404, 'No such row (with Prefer: return=representation)'),
    problem(409, 'Rejected by the projection, e.g. a unique field taken'),
    problem(412, 'If-Match did not hold (with Prefer: return=representation)'),
    problem(413, 'Body too large'),
    problem(
      415,
      'Content-Type is not JSON (application/json or application/*+json, in UTF-8)',
    ),
  );
};

/** OpenAPI docs of `DELETE /{table}/{id}`. */
export const RemoveDocs = ({ label }: RouteDocsContext) => {
  return stacked(
    ApiOperation({
      summary: `Delete a ${label}`,
      description: 'Deleting a row that does not exist is not an error.',
    }),
    IdParam(),
    Accepted('Delete'),
    ApiResponse({
      status: 204,
      description: 'Deleted (with Prefer: return=representation)',
      headers: {
        ...writeHeaders,
        'Preference-Applied': header('`return=representation`', true, {
          type: 'string',
          enum: ['return=representation'],
        }),
      },
    }),
    WriteHeaders(true),
    problem(400, 'Invalid id'),
    problem(412, 'If-Match did not hold (with Prefer: return=representation)'),
  );
};
