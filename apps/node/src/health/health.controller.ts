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
  type HealthCheckResult,
} from '@nestjs/terminus';
import {
  LogStops,
  NodeConfig,
  NodeNotReadyError,
  SqliteReader,
  type CheckResult,
} from '@clusterlite/core';
import { PROBLEM_CONTENT_TYPE, ProblemDetailsDto } from '@clusterlite/api';
import { KafkaAccessReport, LogEndOffsets } from '@clusterlite/event-log';
import {
  ProjectionService,
  SchemaVersionGate,
  StorageRetry,
} from '@clusterlite/projection';
import { Public } from '../access/access-policy.js';

/**
 * Liveness and readiness for orchestrators and load balancers (Terminus).
 * Live: the process answers and its SQLite file does. Ready: also the log is
 * reachable, so writes can be accepted, no topic is stopped (LogStops) and none
 * waits at an event of a newer schema than this node's code.
 * Open even with API keys, and so revealing nothing about the cluster's addresses.
 */
@Public()
@ApiTags('cluster')
@Controller('_cluster/health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly reader: SqliteReader,
    private readonly indicators: HealthIndicatorService,
    private readonly logEnds: LogEndOffsets,
    private readonly projection: ProjectionService,
    private readonly config: NodeConfig,
    private readonly storage: StorageRetry,
    private readonly stops: LogStops,
    private readonly access: KafkaAccessReport,
    private readonly schemaVersions: SchemaVersionGate,
  ) {}

  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: the node and its SQLite file answer' })
  live(): Promise<HealthCheckResult> {
    return this.health.check([() => this.sqlite()]);
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
      'Readiness: SQLite answers, the event log (Kafka, or the embedded log) is reachable, this node is consuming it, and no storage fault (busy, full, read-only, I/O) holds its projection',
  })
  async ready(): Promise<HealthCheckResult> {
    try {
      return await this.readiness();
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const result = error.getResponse() as HealthCheckResult;
      throw new NodeNotReadyError(
        Object.fromEntries(
          Object.entries(result.details).map(([name, check]) => [
            name,
            this.shown(name, check),
          ]),
        ),
      );
    }
  }

  /**
   * What a client learns of a check. The event log's and SQLite's own failure messages stay
   * out (kafkajs names broker addresses in them); the log, storage and projection checks say
   * their reason, which names topics, offsets and SQLite's error, never an address.
   */
  private shown(name: string, check: Record<string, unknown>): CheckResult {
    if (check.status === 'up') return { ...check, status: 'up' };
    const generic: Record<string, string> = {
      sqlite: 'the SQLite file does not answer',
      eventLog:
        this.config.mode === 'cluster'
          ? 'Kafka is not reachable'
          : 'the embedded event log is not readable',
    };
    const message =
      generic[name] ??
      (typeof check.message === 'string' ? check.message : 'failed');
    return { ...check, status: 'down', message };
  }

  private readiness(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.sqlite(),
      () =>
        this.indicators
          .check('eventLog')
          .attempt(async () => {
            await this.logEnds
              .endOffsets(this.projection.topics())
              .catch((error: unknown) => {
                throw this.access.summarize(error);
              });
            // Open to anyone: says which kind of log, never where it is.
            return { mode: this.config.mode };
          })
          .withTimeout(3_000),
      () => {
        // A gap or a file of another log: the node stopped projecting, and says why.
        const log = this.indicators.check('log');
        if (this.stops.refusal)
          return log.down({ message: this.stops.refusal });
        const stopped = this.stops.all();
        return stopped.length > 0
          ? log.down({
              message: stopped.map((stop) => stop.reason).join(' '),
              stopped,
            })
          : log.up();
      },
      () => {
        const since = this.projection.consuming;
        const projection = this.indicators.check('projection');
        return since
          ? projection.up({ consumingSince: since.toISOString() })
          : projection.down({ message: 'not consuming the log' });
      },
      () => {
        const fault = this.storage.fault;
        const storage = this.indicators.check('storage');
        return fault
          ? storage.down({
              message: `applying ${fault.work} waits for the SQLite file: ${fault.reason}`,
              since: fault.since.toISOString(),
              attempts: fault.attempts,
            })
          : storage.up();
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
    ]);
  }

  /**
   * The SQLite file answers a read, on a read-only connection: a write transaction waiting for
   * a lock (a storage fault, reported by readiness) does not make the node look dead. On the
   * main thread's connection (microseconds), not the worker thread's: a probe every few
   * seconds would keep that thread (~13 MiB) running on a node nobody lists anything from.
   */
  private sqlite() {
    return this.indicators
      .check('sqlite')
      .attempt(async () => {
        await this.reader.readByKey('SELECT 1');
      })
      .withTimeout(3_000);
  }
}
