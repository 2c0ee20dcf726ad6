import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { EntityRegistry } from './entity-registry.js';

/**
 * Provides the `EntityRegistry` of a node: the replicated entities, declared
 * once. Import the same returned module wherever the registry is needed.
 *
 * @example
 * const registry = RegistryModule.forEntities([User, Product]);
 * imports: [registry, CommandModule.register({ imports: [registry, eventLog] })]
 */
@Module({})
export class RegistryModule {
  static forEntities(entities: readonly Type<unknown>[]): DynamicModule {
    return RegistryModule.forRegistry(new EntityRegistry(entities));
  }

  static forRegistry(registry: EntityRegistry): DynamicModule {
    return {
      module: RegistryModule,
      providers: [{ provide: EntityRegistry, useValue: registry }],
      exports: [EntityRegistry],
    };
  }
}
