import { SetMetadata, applyDecorators } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import type { Role } from '@clusterlite/core';

/** The role a route needs, or `none` for a route anyone may call. */
export type Requirement = Role | 'none';

export const REQUIRED_ROLE = 'clusterlite:required-role';
/** The OpenAPI extension that states each operation's role. */
export const REQUIRED_ROLE_EXTENSION = 'x-required-role';

/**
 * Marks a controller or route as open to anyone, even with API_KEYS set:
 * health probes, the console's static page.
 *
 * @example
 * ```ts
 * @Public()
 * @Controller('_cluster/health')
 * export class HealthController {}
 * ```
 */
export const Public = () =>
  applyDecorators(
    SetMetadata(REQUIRED_ROLE, 'none'),
    ApiExtension(REQUIRED_ROLE_EXTENSION, 'none'),
  );

/**
 * The role a route needs when no decorator says otherwise: everything under
 * `/_cluster` is for admins (status, metrics, snapshot, entities — including
 * routes added later), reads of tables for `read`, other methods for `write`.
 * The path is compared case-insensitively, as Express routes it.
 */
export function defaultRequirement(method: string, path: string): Role {
  const lower = path.toLowerCase();
  if (lower === '/_cluster' || lower.startsWith('/_cluster/')) return 'admin';
  const verb = method.toUpperCase();
  return verb === 'GET' || verb === 'HEAD' ? 'read' : 'write';
}
