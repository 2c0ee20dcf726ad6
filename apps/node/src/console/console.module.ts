import { Module, type DynamicModule } from '@nestjs/common';
import { ConsoleController } from './console.controller.js';
import { EntityCatalogController } from './entity-catalog.controller.js';

/**
 * The web console at `/_console/` (and `GET /` redirects there): a table,
 * forms and a live change feed for every registered entity, plus this node's
 * replica state. `GET /_cluster/entities` describes the tables for it.
 *
 * @example
 * ConsoleModule.register({ imports: [registry] })
 */
@Module({})
export class ConsoleModule {
  static register(
    options: { imports?: DynamicModule['imports'] } = {},
  ): DynamicModule {
    return {
      module: ConsoleModule,
      imports: options.imports ?? [],
      controllers: [ConsoleController, EntityCatalogController],
    };
  }
}
