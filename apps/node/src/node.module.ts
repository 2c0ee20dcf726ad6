import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CoreModule, NodeConfig, sqliteDataSourceOptions } from '@clusterlite/core';
import { CommandModule } from '@clusterlite/command';
import { ProjectionModule } from '@clusterlite/projection';
import { EntityRegistry, RegistryModule } from '@clusterlite/registry';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ENTITIES } from './entities/index.js';
import { StatusController } from './status/status.controller.js';

/** One ClusterLite node: the REST API, the command side and the projection. */
@Module({})
export class NodeModule {
  static register(config: NodeConfig, entities: readonly Type<unknown>[] = ENTITIES): DynamicModule {
    return {
      module: NodeModule,
      imports: [
        CoreModule.forRoot(config),
        RegistryModule.forEntities(entities),
        TypeOrmModule.forRootAsync({
          inject: [EntityRegistry],
          useFactory: (registry: EntityRegistry) => {
            if (config.dbPath !== ':memory:') mkdirSync(dirname(config.dbPath), { recursive: true });
            return sqliteDataSourceOptions(
              config.dbPath,
              registry.all().map((definition) => definition.schema),
            );
          },
        }),
        CommandModule,
        ProjectionModule,
      ],
      controllers: [StatusController],
    };
  }
}
