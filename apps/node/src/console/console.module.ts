import { Module } from '@nestjs/common';
import { ConsoleController } from './console.controller.js';
import { EntityCatalogController } from './entity-catalog.controller.js';

/**
 * The web console at `/_console/` (and `GET /` redirects there): a table,
 * forms and a live change feed for every registered entity, plus this node's
 * replica state. `GET /_cluster/entities` describes the tables for it.
 *
 * @example
 * imports: [RegistryModule.forEntities(ENTITIES), ProjectionModule, ConsoleModule]
 */
@Module({ controllers: [ConsoleController, EntityCatalogController] })
export class ConsoleModule {}
