import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import {
  ApiOperation,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
  type HealthCheckResult,
} from '@nestjs/terminus';
import {
  NodeConfig,
  NodeNotReadyError,
  PROBLEM_CONTENT_TYPE,
  ProblemDetailsDto,
  type FailedCheck,
} from '@clusterlite/core';
import { LogEndOffsets, ProjectionService } from '@clusterlite/projection';

/**
 * Liveness and readiness for orchestrators and load balancers (Terminus).
 * Live: the process answers and its SQLite file does. Ready: also the log is
 * reachable, so writes can be accepted.
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
  ) {}

  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: the node and its SQLite file answer' })
  live(): Promise<HealthCheckResult> {
    return this.health.check([() => this.database.pingCheck('sqlite')]);
  }

  @Get('ready')
  // Above @HealthCheck(): replaces its 503 schema with the problem details answered instead.
  @ApiResponse({
    status: 503,
    description:
      'Not ready: problem details whose `checks` name each failed check (`sqlite`, `eventLog`, `projection`)',
    content: {
      [PROBLEM_CONTENT_TYPE]: {
        schema: { $ref: getSchemaPath(ProblemDetailsDto) },
      },
    },
  })
  @HealthCheck()
  @ApiOperation({
    summary:
      'Readiness: SQLite answers, the event log (Kafka, or the embedded log) is reachable, and this node is consuming it',
  })
  async ready(): Promise<HealthCheckResult> {
    try {
      return await this.readiness();
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const result = error.getResponse() as HealthCheckResult;
      throw new NodeNotReadyError(
        Object.keys(result.error ?? {}).map((name) => this.failedCheck(name)),
      );
    }
  }

  /**
   * What a client learns of a failed check: its name and what it means. The indicators'
   * own messages stay out (kafkajs names broker addresses in them).
   */
  private failedCheck(name: string): FailedCheck {
    const messages: Record<string, string> = {
      sqlite: 'the SQLite file does not answer',
      eventLog:
        this.config.mode === 'cluster'
          ? 'Kafka is not reachable'
          : 'the embedded event log is not readable',
      projection: 'not consuming the log',
    };
    return { name, message: messages[name] ?? 'failed' };
  }

  private readiness(): Promise<HealthCheckResult> {
    return this.health.check([
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
    ]);
  }
}
