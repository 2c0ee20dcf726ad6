import {
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import {
  NodeConfig,
  ResourceLimits,
  UnsupportedMediaTypeError,
} from '@clusterlite/core';
import { RequestValidationError } from './http/request-validation.error.js';
import type { Request } from 'express';

/** Deeper JSON than any entity needs; deeper would only cost stack in validation. */
export const MAX_BODY_DEPTH = 32;

/**
 * Checks the shape of a write's body before validation looks at its fields:
 * an empty body is a 400 saying so; a body that is not JSON a 415; a JSON value
 * of the wrong kind (`null`, `"x"`, an array where one row is expected) a 400
 * saying what kind is expected; a body nested deeper than any entity allows a
 * 400, and an object of more than MAX_BODY_KEYS keys a 400, before validation
 * walks it (class-transformer's removal of unknown keys takes time quadratic
 * in their number). A `POST` (create) takes an object,
 * or an array of them for a bulk create; `PUT` and `PATCH` take an object.
 */
@Injectable()
export class JsonBodyGuard implements CanActivate {
  constructor(
    private readonly config: NodeConfig,
    private readonly limits: ResourceLimits,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    if (isEmpty(request)) {
      throw new RequestValidationError(
        [{ field: '(body)', messages: ['the request body is empty'] }],
        'The request body is empty',
      );
    }
    if (!request.is(['application/json', 'application/*+json'])) {
      throw new UnsupportedMediaTypeError(request.header('content-type'));
    }
    const body: unknown = request.body;
    const bulkAllowed = request.method === 'POST';
    if (!isObject(body) && !(bulkAllowed && Array.isArray(body))) {
      const expected = bulkAllowed
        ? 'a JSON object, or an array of objects for a bulk create'
        : 'a JSON object';
      throw new RequestValidationError(
        [{ field: '(body)', messages: [`must be ${expected}`] }],
        `The request body must be ${expected}; got ${kindOf(body)}`,
      );
    }
    const problem = shapeProblem(body, this.config.maxBodyKeys);
    if (problem) {
      throw this.limits.refuse(
        new RequestValidationError([problem.error]),
        problem.limit,
      );
    }
    return true;
  }
}

/** No body at all (what `curl -X POST` without `-d` sends), or `Content-Length: 0`. */
function isEmpty(request: Request): boolean {
  if (request.headers['transfer-encoding'] !== undefined) return false;
  const length = request.headers['content-length'];
  return length === undefined || Number(length) === 0;
}

const isObject = (value: unknown): value is object =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** The first way `value` is too deep or too wide, walked without recursion. */
function shapeProblem(
  value: unknown,
  maxKeys: number,
): { limit: string; error: { field: string; messages: string[] } } | null {
  const stack: [unknown, number, string][] = [[value, 0, '(body)']];
  while (stack.length > 0) {
    const [current, depth, path] = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth + 1 > MAX_BODY_DEPTH) {
      return {
        limit: 'body-depth',
        error: {
          field: '(body)',
          messages: [`the body is nested deeper than ${MAX_BODY_DEPTH} levels`],
        },
      };
    }
    const keys = Array.isArray(current) ? null : Object.keys(current);
    if (keys && keys.length > maxKeys) {
      return {
        limit: 'body-keys',
        error: {
          field: path,
          messages: [
            `an object has ${keys.length} keys; at most ${maxKeys} are accepted (MAX_BODY_KEYS)`,
          ],
        },
      };
    }
    // Only object children are walked, so only theirs get a path (a flat body builds none).
    if (keys) {
      for (const key of keys) {
        const child = (current as Record<string, unknown>)[key];
        if (typeof child === 'object' && child !== null)
          stack.push([child, depth + 1, `${path}.${key}`]);
        else if (!wellFormed(child) || !key.isWellFormed())
          return notUnicode(`${path}.${key}`);
      }
    } else {
      const items = current as unknown[];
      for (let index = 0; index < items.length; index++) {
        const child = items[index];
        if (typeof child === 'object' && child !== null)
          stack.push([child, depth + 1, `${path}[${index}]`]);
        else if (!wellFormed(child)) return notUnicode(`${path}[${index}]`);
      }
    }
  }
  return null;
}

/**
 * JSON can carry a lone surrogate (`"\ud800"`), which no character encodes: SQLite and every
 * other node would store something else than what was sent, and the validators throw on it.
 */
const wellFormed = (value: unknown): boolean =>
  typeof value !== 'string' || value.isWellFormed();

function notUnicode(path: string): {
  limit: string;
  error: { field: string; messages: string[] };
} {
  return {
    limit: 'body-unicode',
    error: {
      field: path.replace(/^\(body\)\.?/, '') || '(body)',
      messages: [
        'must be well-formed Unicode text (it holds a lone surrogate, such as \\ud800, that no character encodes)',
      ],
    },
  };
}
