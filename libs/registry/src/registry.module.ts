import {
  Module,
  type DynamicModule,
  type Provider,
  type Type,
} from '@nestjs/common';
import { createEntityController } from './entity-controller.factory.js';
import { EntityEndpoints } from './entity-endpoints.js';
import { EntityRegistry } from './entity-registry.js';

/**
 * Registers the replicated entities of a node and serves their REST routes.
 * The command and projection modules provide the `EntityCommands` and
 * `EntityQueries` the routes use.
 *
 * @example
 * RegistryModule.forEntities([User, Product], { imports: [CommandModule, ProjectionModule] })
 */
@Module({})
export class RegistryModule {
  static forEntities(
    entities: readonly Type<unknown>[],
    options: { imports?: DynamicModule['imports'] } = {},
  ): DynamicModule {
    const registry = new EntityRegistry(entities);
    const registryProvider: Provider = {
      provide: EntityRegistry,
      useValue: registry,
    };
    return {
      module: RegistryModule,
      global: true,
      imports: options.imports ?? [],
      controllers: registry
        .all()
        .map((definition) => createEntityController(definition)),
      providers: [registryProvider, EntityEndpoints],
      exports: [registryProvider],
    };
  }
}
