import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
  type HealthCheckResult,
} from '@nestjs/terminus';
import { NodeConfig } from '@clusterlite/core';
import { LogEndOffsets, ProjectionService } from '@clusterlite/projection';
import { Public } from '../access/access-policy.js';

/**
 * Liveness and readiness for orchestrators and load balancers (Terminus).
 * Live: the process answers and its SQLite file does. Ready: also the log is
 * reachable, so writes can be accepted. Open even with API keys, and so
 * revealing nothing about the cluster's addresses.
 */
@Public()
@ApiTags('cluster')
@Controller('_cluster/health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly logEnds: LogEndOffsets,
    private readonly projection: ProjectionService,
    private readonly config: NodeConfig,
  ) {}

  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: the node and its SQLite file answer' })
  live(): Promise<HealthCheckResult> {
    return this.health.check([() => this.database.pingCheck('sqlite')]);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary:
      'Readiness: SQLite answers, the event log (Kafka, or the embedded log) is reachable, and this node is consuming it',
  })
  ready(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.database.pingCheck('sqlite'),
      () =>
        this.indicators
          .check('eventLog')
          .attempt(async () => {
            await this.logEnds.endOffsets(this.projection.topics());
            // Open to anyone: says which kind of log, never where it is.
            return { mode: this.config.mode };
          })
          .withTimeout(3_000),
      () => {
        const since = this.projection.consuming;
        const projection = this.indicators.check('projection');
        return since
          ? projection.up({ consumingSince: since.toISOString() })
          : projection.down({ message: 'not consuming the log' });
      },
    ]);
  }
}
