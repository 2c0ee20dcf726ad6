import type { Request } from 'express';
import type { Role } from '@clusterlite/core';

/**
 * Who made a request, as the access guard found out: the key's role (every
 * role when access control is off) and a client name for per-client limits —
 * the key when one was presented, else the address.
 */
export interface RequestPrincipal {
  role: Role;
  client: string;
}

const PRINCIPAL = Symbol('clusterlite.principal');

export function setPrincipal(
  request: Request,
  principal: RequestPrincipal,
): void {
  (request as Request & { [PRINCIPAL]?: RequestPrincipal })[PRINCIPAL] =
    principal;
}

/** The principal the guard set; without one (no guard ran), an admin known by address. */
export function principalOf(request: Request): RequestPrincipal {
  return (
    (request as Request & { [PRINCIPAL]?: RequestPrincipal })[PRINCIPAL] ?? {
      role: 'admin',
      client: `address:${request.ip ?? 'unknown'}`,
    }
  );
}
