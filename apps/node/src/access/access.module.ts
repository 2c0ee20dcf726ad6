import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { ResourceLimitsModule, type NodeConfig } from '@clusterlite/core';
import { AccessGuard } from './access.guard.js';
import { Authenticator } from './authenticator.js';
import { RateLimitGuard } from './rate-limit.guard.js';

/**
 * Access control and the request rate limit, as global guards: first the rate
 * limit (so floods of bad tokens are limited too), then the API keys.
 */
@Module({})
export class AccessModule {
  static register(config: NodeConfig): DynamicModule {
    const limited = config.rateLimitRps > 0;
    return {
      module: AccessModule,
      imports: [
        ResourceLimitsModule,
        ...(limited
          ? [
              ThrottlerModule.forRoot({
                throttlers: [
                  { name: 'rps', ttl: 1_000, limit: config.rateLimitRps },
                ],
              }),
            ]
          : []),
      ],
      providers: [
        Authenticator,
        ...(limited ? [{ provide: APP_GUARD, useClass: RateLimitGuard }] : []),
        { provide: APP_GUARD, useClass: AccessGuard },
      ],
    };
  }

  /** Says at startup how this node is protected; an open node says so loudly. */
  static announce(config: NodeConfig): void {
    const logger = new Logger('Access');
    if (config.accessControl) {
      logger.log(
        `Bearer token required: ${config.apiKeys.size} API key(s)${config.jwtSecret ? ', or a JWT signed with JWT_SECRET' : ''}; health, docs and console stay open`,
      );
    } else {
      logger.warn(
        'OPEN NODE: neither API_KEYS nor JWT_SECRET is set, so anyone who can reach this node can read, change and delete every row ' +
          'and read its status. Set API_KEYS (or API_KEYS_FILE) to require keys.',
      );
    }
    if (config.rateLimitRps > 0)
      logger.log(`Rate limit: ${config.rateLimitRps} requests/s per client`);
  }
}
