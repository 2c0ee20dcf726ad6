import {
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import {
  NodeConfig,
  RequestValidationError,
  ResourceLimits,
  UnsupportedMediaTypeError,
} from '@clusterlite/core';
import type { Request } from 'express';

/** Deeper JSON than any entity needs; deeper would only cost stack in validation. */
export const MAX_BODY_DEPTH = 32;

/**
 * Refuses a write whose body is not JSON with 415, before validation would
 * report every field of an empty body as missing; a body nested deeper than
 * any entity allows, or with an object of more than MAX_BODY_KEYS keys, with
 * 400, before validation walks it (class-transformer's removal of unknown keys
 * takes time quadratic in their number).
 */
@Injectable()
export class JsonBodyGuard implements CanActivate {
  constructor(
    private readonly config: NodeConfig,
    private readonly limits: ResourceLimits,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    if (!request.is(['application/json', 'application/*+json'])) {
      throw new UnsupportedMediaTypeError(request.header('content-type'));
    }
    const problem = shapeProblem(request.body, this.config.maxBodyKeys);
    if (problem) {
      throw this.limits.refuse(
        new RequestValidationError([problem.error]),
        problem.limit,
      );
    }
    return true;
  }
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
    const children = Array.isArray(current)
      ? current.map((child, index) => [child, `${path}[${index}]`] as const)
      : keys!.map(
          (key) =>
            [
              (current as Record<string, unknown>)[key],
              `${path}.${key}`,
            ] as const,
        );
    for (const [child, childPath] of children)
      if (typeof child === 'object' && child !== null)
        stack.push([child, depth + 1, childPath]);
  }
  return null;
}
