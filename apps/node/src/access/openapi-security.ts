import type { OpenAPIObject } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from '@clusterlite/api';
import {
  REQUIRED_ROLE_EXTENSION,
  defaultRequirement,
  type Requirement,
} from './access-policy.js';

export const BEARER_SCHEME = 'bearer';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head'] as const;

const problemResponse = (description: string) => ({
  description,
  content: {
    [PROBLEM_CONTENT_TYPE]: {
      schema: { $ref: '#/components/schemas/ProblemDetailsDto' },
    },
  },
});

/**
 * States on every operation of the document the role it needs
 * (`x-required-role`, a line of its description) and its security
 * requirement, by the same rule the access guard applies, with the 401 and 403
 * answers a secured operation can give.
 */
export function declareRoles(document: OpenAPIObject): void {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method] as
        | (Record<string, unknown> & {
            description?: string;
            responses: Record<string, unknown>;
          })
        | undefined;
      if (!operation) continue;
      const required =
        (operation[REQUIRED_ROLE_EXTENSION] as Requirement | undefined) ??
        defaultRequirement(method, path);
      operation[REQUIRED_ROLE_EXTENSION] = required;
      if (required === 'none') {
        operation.security = [];
        continue;
      }
      operation.security = [{ [BEARER_SCHEME]: [] }];
      const note = `Requires the \`${required}\` role when the node has API_KEYS.`;
      operation.description = operation.description
        ? `${operation.description}\n\n${note}`
        : note;
      operation.responses['401'] ??= {
        ...problemResponse(
          'No bearer token, or one that is not a key of this node',
        ),
        headers: {
          'WWW-Authenticate': {
            description: 'Bearer realm="clusterlite"',
            schema: { type: 'string' },
          },
        },
      };
      // Read is the lowest role: a key that is known may always read.
      if (required !== 'read')
        operation.responses['403'] ??= problemResponse(
          `The key's role is below \`${required}\``,
        );
    }
  }
}
