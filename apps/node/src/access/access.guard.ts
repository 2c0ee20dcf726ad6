import {
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  AccessDeniedError,
  AuthenticationRequiredError,
  roleIncludes,
} from '@clusterlite/core';
import { setPrincipal } from '@clusterlite/api';
import type { Request } from 'express';
import {
  REQUIRED_ROLE,
  defaultRequirement,
  type Requirement,
} from './access-policy.js';
import { Authenticator } from './authenticator.js';

/**
 * API keys with roles (`API_KEYS`, or JWTs): 401 without a known bearer token, 403 when
 * its role is below the route's. A global guard, so routes generated at
 * runtime (entity controllers) and routes of libraries (metrics) are covered
 * by the same rule: a route's `@Public()`, else `defaultRequirement`.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: Authenticator,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<Request>();
    const required =
      this.reflector.getAllAndOverride<Requirement | undefined>(REQUIRED_ROLE, [
        context.getHandler(),
        context.getClass(),
      ]) ?? defaultRequirement(request.method, request.path);
    const { role, client, tokenGiven } = this.authenticator.identify(request);
    if (role !== null) setPrincipal(request, { role, client });
    if (required === 'none') return true;
    if (role === null) throw new AuthenticationRequiredError(tokenGiven);
    if (!roleIncludes(role, required))
      throw new AccessDeniedError(required, role);
    return true;
  }
}
