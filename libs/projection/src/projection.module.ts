import { Module, type DynamicModule } from '@nestjs/common';
import { SqliteModule } from '@clusterlite/core';
import { EntityQueries } from '@clusterlite/registry';
import { AppliedPositions } from './applied-positions.js';
import { EntityQueryService } from './entity-query.service.js';
import { ProjectionService } from './projection.service.js';
import { ReplicaStatusService } from './replica-status.service.js';
import { SchemaVersionGate } from './schema-versions.js';

/**
 * The read side: consumes the log into this node's SQLite tables and serves
 * reads from them. The `EventLogModule` among its imports provides the log's
 * end offsets; its `EventLogTransport` feeds `ProjectionService`.
 *
 * @example
 * ProjectionModule.register({ imports: [registry, eventLog] })
 */
@Module({})
export class ProjectionModule {
  static register(
    options: { imports?: DynamicModule['imports'] } = {},
  ): DynamicModule {
    return {
      module: ProjectionModule,
      imports: [SqliteModule, ...(options.imports ?? [])],
      providers: [
        AppliedPositions,
        ProjectionService,
        EntityQueryService,
        { provide: EntityQueries, useExisting: EntityQueryService },
        ReplicaStatusService,
        SchemaVersionGate,
      ],
      exports: [
        SchemaVersionGate,
        EntityQueries,
        ProjectionService,
        ReplicaStatusService,
        AppliedPositions,
      ],
    };
  }
}
