import { Module, type DynamicModule } from '@nestjs/common';
import { ResourceLimitsModule } from '@clusterlite/core';
import type { EntityRegistry } from '@clusterlite/registry';
import { createEntityController } from './entity-controller.factory.js';
import { EntityEndpoints } from './entity-endpoints.js';

/**
 * Serves the REST routes of every registered entity. The imported modules
 * provide the `EntityRegistry`, the `EntityCommands` and the `EntityQueries`
 * the routes use.
 *
 * @example
 * ApiModule.forEntities(registry, { imports: [registryModule, commandModule, projectionModule] })
 */
@Module({})
export class ApiModule {
  static forEntities(
    registry: EntityRegistry,
    options: { imports?: DynamicModule['imports'] } = {},
  ): DynamicModule {
    return {
      module: ApiModule,
      imports: [ResourceLimitsModule, ...(options.imports ?? [])],
      controllers: registry
        .all()
        .map((definition) => createEntityController(definition)),
      providers: [EntityEndpoints],
    };
  }
}
