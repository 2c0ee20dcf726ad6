import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  ThrottlerStorage,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
} from '@nestjs/throttler';
import { ResourceLimitError, ResourceLimits } from '@clusterlite/core';
import type { Request } from 'express';
import { Authenticator } from './authenticator.js';

/**
 * `RATE_LIMIT_RPS` per client through @nestjs/throttler: a known key is one
 * client wherever it calls from, anyone else is their address. One bucket per
 * client across all routes (not per route), health probes exempt. Answers 429
 * problem+json with `Retry-After`.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly authenticator: Authenticator,
    private readonly limits: ResourceLimits,
  ) {
    super(options, storage, reflector);
  }

  protected override getTracker(
    request: Record<string, unknown>,
  ): Promise<string> {
    return Promise.resolve(
      this.authenticator.identify(request as unknown as Request).client,
    );
  }

  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    name: string,
  ): string {
    return `${name}:${tracker}`;
  }

  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    const path = context
      .switchToHttp()
      .getRequest<Request>()
      .path.toLowerCase();
    return Promise.resolve(path.startsWith('/_cluster/health/'));
  }

  protected override throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw this.limits.refuse(
      new ResourceLimitError(
        'rate-limited',
        429,
        Math.max(1, detail.timeToBlockExpire),
        `More than ${detail.limit} requests per second from this client (RATE_LIMIT_RPS)`,
      ),
    );
  }
}
