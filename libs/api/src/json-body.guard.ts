import {
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { UnsupportedMediaTypeError } from '@clusterlite/core';
import { RequestValidationError } from './http/request-validation.error.js';

/** Deeper JSON than any entity needs; deeper would only cost stack in validation. */
export const MAX_BODY_DEPTH = 32;
import type { Request } from 'express';

/**
 * Refuses a write whose body is not JSON with 415, before validation would
 * report every field of an empty body as missing, and a body nested deeper
 * than any entity allows with 400, before validation recurses into it.
 */
@Injectable()
export class JsonBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    if (!request.is(['application/json', 'application/*+json'])) {
      throw new UnsupportedMediaTypeError(request.header('content-type'));
    }
    if (depthOf(request.body) > MAX_BODY_DEPTH) {
      throw new RequestValidationError([
        {
          field: '(body)',
          messages: [`the body is nested deeper than ${MAX_BODY_DEPTH} levels`],
        },
      ]);
    }
    return true;
  }
}

/** Nesting depth of a parsed JSON value, without recursion. */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth + 1 > deepest) deepest = depth + 1;
    if (deepest > MAX_BODY_DEPTH) return deepest;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return deepest;
}
