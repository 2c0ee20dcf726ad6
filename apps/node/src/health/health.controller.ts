import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
  type HealthCheckResult,
} from '@nestjs/terminus';
import { NodeConfig } from '@clusterlite/core';
import { LogEndOffsets } from '@clusterlite/event-log';
import { ProjectionService, SchemaVersionGate } from '@clusterlite/projection';

/**
 * Liveness and readiness for orchestrators and load balancers (Terminus).
 * Live: the process answers and its SQLite file does. Ready: also the log is
 * reachable, so writes can be accepted, and every table topic is applied (none
 * is stopped at an event of a newer schema than this node's code).
 */
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
    private readonly schemaVersions: SchemaVersionGate,
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
    return withReasons(
      this.health.check([
        () => this.database.pingCheck('sqlite'),
        () =>
          this.indicators
            .check('eventLog')
            .attempt(async () => {
              await this.logEnds.endOffsets(this.projection.topics());
              return {
                mode: this.config.mode,
                brokers: this.config.kafkaBrokers.join(',') || null,
              };
            })
            .withTimeout(3_000),
        () => {
          const since = this.projection.consuming;
          const projection = this.indicators.check('projection');
          return since
            ? projection.up({ consumingSince: since.toISOString() })
            : projection.down({ message: 'not consuming the log' });
        },
        () => {
          const stopped = this.schemaVersions.all();
          const schemas = this.indicators.check('schemas');
          return stopped.length === 0
            ? schemas.up()
            : schemas.down({
                message: stopped.map((table) => table.reason).join('; '),
                stoppedTables: stopped,
              });
        },
      ]),
    );
  }
}

/**
 * The problem-details answer of a failed check names each failing indicator and its message
 * (e.g. "schemas: needs schema 2 of products"), so a client sees why the node is not ready.
 */
async function withReasons(
  check: Promise<HealthCheckResult>,
): Promise<HealthCheckResult> {
  try {
    return await check;
  } catch (error) {
    if (!(error instanceof ServiceUnavailableException)) throw error;
    const result = error.getResponse() as Partial<HealthCheckResult>;
    const reasons = Object.entries(result.error ?? {}).map(
      ([name, indicator]) =>
        `${name}: ${typeof indicator?.message === 'string' ? indicator.message : 'down'}`,
    );
    throw new ServiceUnavailableException(
      `Not ready: ${reasons.join('; ') || 'a check failed'}`,
    );
  }
}
