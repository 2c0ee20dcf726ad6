import { Module, type DynamicModule } from '@nestjs/common';
import { ResourceLimitsModule } from '@clusterlite/core';
import type { EntityRegistry } from '@clusterlite/registry';
import { createEntityController } from './entity-controller.factory.js';
import { EntityReadEndpoints } from './entity-read-endpoints.js';
import { EntityWriteEndpoints } from './entity-write-endpoints.js';
import { ENTITY_CONTROLLERS, RouteShortcuts } from './http/route-shortcuts.js';

/**
 * Serves the REST routes of every registered entity. The imported modules
 * provide the `EntityRegistry`, the `EntityCommands` and the `EntityQueries`
 * the routes use; `topicFor` names each table's log topic, which the document
 * states as the form of the position tokens a route takes.
 *
 * @example
 * ApiModule.forEntities(registry, { imports: [registryModule, commandModule, projectionModule], topicFor: (table) => config.topicFor(table) })
 */
@Module({})
export class ApiModule {
  static forEntities(
    registry: EntityRegistry,
    options: {
      imports?: DynamicModule['imports'];
      topicFor: (table: string) => string;
    },
  ): DynamicModule {
    const topics = registry
      .all()
      .map((definition) => options.topicFor(definition.table));
    const controllers = new Map(
      registry.all().map((definition) => [
        definition.table,
        createEntityController(definition, {
          own: options.topicFor(definition.table),
          all: topics,
        }),
      ]),
    );
    return {
      module: ApiModule,
      imports: [ResourceLimitsModule, ...(options.imports ?? [])],
      controllers: [...controllers.values()],
      providers: [
        EntityReadEndpoints,
        EntityWriteEndpoints,
        { provide: ENTITY_CONTROLLERS, useValue: controllers },
        RouteShortcuts,
      ],
      exports: [RouteShortcuts],
    };
  }
}
