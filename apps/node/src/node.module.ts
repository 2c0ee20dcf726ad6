import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { MetricsController } from './metrics/metrics.controller.js';
import { register } from 'prom-client';
import {
  CoreModule,
  NodeConfig,
  LogStopsModule,
  ResourceLimitsModule,
  SqliteModule,
  assertSchemaApplied,
  sqliteDataSourceOptions,
  type MigrationClass,
} from '@clusterlite/core';
import { CommandModule } from '@clusterlite/command';
import { EventLogModule } from '@clusterlite/event-log';
import { ProjectionModule } from '@clusterlite/projection';
import {
  EntityRegistry,
  RegistryModule,
  schemaSnapshotOf,
} from '@clusterlite/registry';
import { ApiModule } from '@clusterlite/api';
import { DataSource } from 'typeorm';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { AccessModule } from './access/access.module.js';
import { ConsoleModule } from './console/console.module.js';
import { DeadLettersController } from './dead-letters/dead-letters.controller.js';
import { NODE_ENTITIES, NODE_MIGRATIONS } from './node-entities.js';
import { HealthController } from './health/health.controller.js';
import {
  REPLICATION_METRIC_PROVIDERS,
  ReplicationMetrics,
} from './metrics/replication-metrics.js';
import { SnapshotModule } from './snapshot/snapshot.module.js';
import {
  LIMIT_METRIC_PROVIDERS,
  LimitMetrics,
} from './metrics/limit-metrics.js';
import { StatusController } from './status/status.controller.js';

/** One ClusterLite node: the REST API, the command side and the projection. */
@Module({})
export class NodeModule {
  static register(
    config: NodeConfig,
    entities: readonly Type<unknown>[] = NODE_ENTITIES,
    migrations: MigrationClass[] = NODE_MIGRATIONS,
  ): DynamicModule {
    const entityRegistry = new EntityRegistry(entities);
    // Each module below is imported, by reference, wherever it is used.
    const registry = RegistryModule.forRegistry(entityRegistry);
    const eventLog = EventLogModule.forRoot(config, { imports: [registry] });
    const command = CommandModule.register({ imports: [registry, eventLog] });
    const projection = ProjectionModule.register({
      imports: [registry, eventLog],
    });
    return {
      module: NodeModule,
      imports: [
        CoreModule.forRoot(config),
        AccessModule.register(config),
        TypeOrmModule.forRootAsync({
          useFactory: () => {
            if (config.dbPath !== ':memory:')
              mkdirSync(dirname(config.dbPath), { recursive: true });
            return {
              ...sqliteDataSourceOptions(
                config.dbPath,
                entityRegistry.all().map((definition) => definition.schema),
                migrations,
              ),
              // A refused migration is not transient: stop at once with its message.
              retryAttempts: 1,
            };
          },
          // The pending migrations run in initialize(); then the file must hold every field.
          dataSourceFactory: async (options) => {
            const dataSource = await new DataSource(options!).initialize();
            await assertSchemaApplied(
              dataSource,
              schemaSnapshotOf(entityRegistry.all()),
            );
            return dataSource;
          },
        }),
        SqliteModule,
        LogStopsModule,
        ResourceLimitsModule,
        registry,
        eventLog,
        command,
        projection,
        ApiModule.forEntities(entityRegistry, {
          imports: [registry, command, projection],
          topicFor: (table) => config.topicFor(table),
        }),
        ConsoleModule.register({ imports: [registry] }),
        SnapshotModule,
        // A failed check is answered to the caller (problem details); logging it too would print
        // an error on every readiness poll while a node starts.
        TerminusModule.forRoot({ logger: false }),
        PrometheusModule.register({
          path: '/_cluster/metrics',
          controller: MetricsController,
          // prom-client's registry is per process; a second node in one process (tests) reuses it.
          defaultMetrics: {
            enabled:
              register.getSingleMetric('process_cpu_user_seconds_total') ===
              undefined,
          },
        }),
      ],
      controllers: [StatusController, HealthController, DeadLettersController],
      providers: [
        ...REPLICATION_METRIC_PROVIDERS,
        ReplicationMetrics,
        ...LIMIT_METRIC_PROVIDERS,
        LimitMetrics,
      ],
    };
  }
}
