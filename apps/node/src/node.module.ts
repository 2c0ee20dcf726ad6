import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { register } from 'prom-client';
import {
  CoreModule,
  NodeConfig,
  sqliteDataSourceOptions,
} from '@clusterlite/core';
import { CommandModule } from '@clusterlite/command';
import { ProjectionModule } from '@clusterlite/projection';
import { EntityRegistry, RegistryModule } from '@clusterlite/registry';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { AccessModule } from './access/access.module.js';
import { ConsoleModule } from './console/console.module.js';
import { ENTITIES } from './entities/index.js';
import { HealthController } from './health/health.controller.js';
import {
  REPLICATION_METRIC_PROVIDERS,
  ReplicationMetrics,
} from './metrics/replication-metrics.js';
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
    entities: readonly Type<unknown>[] = ENTITIES,
  ): DynamicModule {
    return {
      module: NodeModule,
      imports: [
        CoreModule.forRoot(config),
        AccessModule.register(config),
        RegistryModule.forEntities(entities),
        TypeOrmModule.forRootAsync({
          inject: [EntityRegistry],
          useFactory: (registry: EntityRegistry) => {
            if (config.dbPath !== ':memory:')
              mkdirSync(dirname(config.dbPath), { recursive: true });
            return sqliteDataSourceOptions(
              config.dbPath,
              registry.all().map((definition) => definition.schema),
            );
          },
        }),
        CommandModule,
        ProjectionModule,
        ConsoleModule,
        TerminusModule,
        PrometheusModule.register({
          path: '/_cluster/metrics',
          // prom-client's registry is per process; a second node in one process (tests) reuses it.
          defaultMetrics: {
            enabled:
              register.getSingleMetric('process_cpu_user_seconds_total') ===
              undefined,
          },
        }),
      ],
      controllers: [StatusController, HealthController],
      providers: [
        ...REPLICATION_METRIC_PROVIDERS,
        ReplicationMetrics,
        ...LIMIT_METRIC_PROVIDERS,
        LimitMetrics,
      ],
    };
  }
}
