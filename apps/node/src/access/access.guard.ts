import {
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  AccessDeniedError,
  AuthenticationRequiredError,
  NodeConfig,
  roleIncludes,
  setPrincipal,
  type RequestPrincipal,
} from '@clusterlite/core';
import type { Request } from 'express';
import { createHash } from 'node:crypto';
import {
  REQUIRED_ROLE,
  defaultRequirement,
  type Requirement,
} from './access-policy.js';

const BEARER = /^Bearer[ ]+([^ ]+)[ ]*$/i;

/**
 * Who is calling: the role of the bearer token (null for a missing or unknown
 * one) and the client name per-client limits count by. With no API_KEYS every
 * caller is an admin. Memoized on the request, as both guards ask.
 */
export function identify(
  request: Request,
  config: NodeConfig,
): { role: RequestPrincipal['role'] | null; client: string; token: boolean } {
  const cached = (request as Request & { [IDENTITY]?: Identity })[IDENTITY];
  if (cached) return cached;
  const address = `address:${request.ip ?? 'unknown'}`;
  let identity: Identity;
  if (!config.apiKeys.enabled) {
    identity = { role: 'admin', client: address, token: false };
  } else {
    const header = request.header('authorization');
    const token =
      header === undefined ? null : (BEARER.exec(header)?.[1] ?? '');
    const role = token === null ? null : config.apiKeys.roleOf(token);
    identity = {
      role,
      // A key names its client; an unknown token counts against its address.
      client:
        role === null
          ? address
          : `key:${createHash('sha256').update(token!).digest('base64url').slice(0, 16)}`,
      token: header !== undefined,
    };
  }
  (request as Request & { [IDENTITY]?: Identity })[IDENTITY] = identity;
  return identity;
}

type Identity = ReturnType<typeof identify>;
const IDENTITY = Symbol('clusterlite.identity');

/**
 * API keys with roles (`API_KEYS`): 401 without a known bearer token, 403 when
 * its role is below the route's. A global guard, so routes generated at
 * runtime (entity controllers) and routes of libraries (metrics) are covered
 * by the same rule: a route's `@Public()`, else `defaultRequirement`.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly config: NodeConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<Request>();
    const required =
      this.reflector.getAllAndOverride<Requirement | undefined>(REQUIRED_ROLE, [
        context.getHandler(),
        context.getClass(),
      ]) ?? defaultRequirement(request.method, request.path);
    const { role, client, token } = identify(request, this.config);
    if (role !== null) setPrincipal(request, { role, client });
    if (required === 'none') return true;
    if (role === null) throw new AuthenticationRequiredError(token);
    if (!roleIncludes(role, required))
      throw new AccessDeniedError(required, role);
    return true;
  }
}
