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
  SqliteModule,
  sqliteDataSourceOptions,
} from '@clusterlite/core';
import { CommandModule } from '@clusterlite/command';
import { EventLogModule } from '@clusterlite/event-log';
import { ProjectionModule } from '@clusterlite/projection';
import { EntityRegistry, RegistryModule } from '@clusterlite/registry';
import { ApiModule } from '@clusterlite/api';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConsoleModule } from './console/console.module.js';
import { ENTITIES } from './entities/index.js';
import { HealthController } from './health/health.controller.js';
import {
  REPLICATION_METRIC_PROVIDERS,
  ReplicationMetrics,
} from './metrics/replication-metrics.js';
import { StatusController } from './status/status.controller.js';

/** One ClusterLite node: the REST API, the command side and the projection. */
@Module({})
export class NodeModule {
  static register(
    config: NodeConfig,
    entities: readonly Type<unknown>[] = ENTITIES,
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
        TypeOrmModule.forRootAsync({
          useFactory: () => {
            if (config.dbPath !== ':memory:')
              mkdirSync(dirname(config.dbPath), { recursive: true });
            return sqliteDataSourceOptions(
              config.dbPath,
              entityRegistry.all().map((definition) => definition.schema),
            );
          },
        }),
        SqliteModule,
        LogStopsModule,
        registry,
        eventLog,
        command,
        projection,
        ApiModule.forEntities(entityRegistry, {
          imports: [registry, command, projection],
          topicFor: (table) => config.topicFor(table),
        }),
        ConsoleModule.register({ imports: [registry] }),
        TerminusModule,
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
      controllers: [StatusController, HealthController],
      providers: [...REPLICATION_METRIC_PROVIDERS, ReplicationMetrics],
    };
  }
}
