import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { NodeConfig, ROLES, type Role } from '@clusterlite/core';
import type { Request } from 'express';
import { createHash } from 'node:crypto';

const BEARER = /^Bearer[ ]+([^ ]+)[ ]*$/i;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Who is calling, as far as access control and per-client limits care. */
export interface Identity {
  /** The role of the bearer token; null for a missing or unknown one. */
  role: Role | null;
  /** What per-client limits count by: the key or JWT subject, else the address. */
  client: string;
  /** Whether an Authorization header was sent. */
  tokenGiven: boolean;
}

const IDENTITY = Symbol('clusterlite.identity');

/**
 * Finds out who a request comes from: an API key (API_KEYS, compared in constant
 * time), or a JWT signed with JWT_SECRET (HS256) whose `role` claim names a role.
 * With neither configured every caller is an admin. Memoized on the request, as
 * both the rate limit and the access guard ask.
 */
@Injectable()
export class Authenticator {
  private readonly jwt: JwtService | null;

  constructor(private readonly config: NodeConfig) {
    this.jwt = config.jwtSecret
      ? new JwtService({
          secret: config.jwtSecret,
          verifyOptions: { algorithms: ['HS256'] },
        })
      : null;
  }

  identify(request: Request): Identity {
    const memo = request as Request & { [IDENTITY]?: Identity };
    return (memo[IDENTITY] ??= this.find(request));
  }

  private find(request: Request): Identity {
    const address = `address:${request.ip ?? 'unknown'}`;
    if (!this.config.accessControl)
      return { role: 'admin', client: address, tokenGiven: false };
    const header = request.header('authorization');
    if (header === undefined)
      return { role: null, client: address, tokenGiven: false };
    const token = BEARER.exec(header)?.[1] ?? '';
    const keyRole = this.config.apiKeys.roleOf(token);
    if (keyRole) {
      const digest = createHash('sha256').update(token).digest('base64url');
      return {
        role: keyRole,
        client: `key:${digest.slice(0, 16)}`,
        tokenGiven: true,
      };
    }
    const claims = this.verifyJwt(token);
    if (claims) {
      return {
        role: claims.role,
        client: `jwt:${claims.sub ?? createHash('sha256').update(token).digest('base64url').slice(0, 16)}`,
        tokenGiven: true,
      };
    }
    // An unknown token counts against its address.
    return { role: null, client: address, tokenGiven: true };
  }

  /** The role and subject of a valid JWT with a known `role` claim, else null. */
  private verifyJwt(token: string): { role: Role; sub?: string } | null {
    if (!this.jwt || !JWT_SHAPE.test(token)) return null;
    try {
      const claims = this.jwt.verify<{ role?: unknown; sub?: unknown }>(token);
      if (!(ROLES as readonly unknown[]).includes(claims.role)) return null;
      return {
        role: claims.role as Role,
        sub: typeof claims.sub === 'string' ? claims.sub : undefined,
      };
    } catch {
      return null;
    }
  }
}
