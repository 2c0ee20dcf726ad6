import {
  ApiResponse,
  getSchemaPath,
  type HeaderObject,
  type SchemaObject,
} from '@nestjs/swagger';
import { POSITION_HEADER, WriteAcceptedDto } from '../entity-http.dto.js';
import { responseHeaderSchemas } from '../parameter-schemas.js';
import {
  PROBLEM_CONTENT_TYPE,
  ProblemDetailsDto,
} from '../http/problem-details.js';

/** OpenAPI responses shared by the entity routes: problems, write headers, 202 Accepted. */
export const problem = (
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

export const header = (
  description: string,
  required = true,
  schema: SchemaObject = { type: 'string' },
): HeaderObject => ({ description, required, schema });

/** Headers of every write answer: its log position, and whether it replays an earlier request. */
export const writeHeaders = {
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
export const representationHeaders = (status: 200 | 201) => ({
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

export const Accepted = (what: string) =>
  ApiResponse({
    status: 202,
    description: `${what} accepted by the log; it is applied on every node shortly`,
    type: WriteAcceptedDto,
    headers: {
      Location: header('URL of the row', true, responseHeaderSchemas.location),
      ...writeHeaders,
    },
  });
