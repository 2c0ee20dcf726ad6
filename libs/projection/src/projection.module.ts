import { Module, type DynamicModule } from '@nestjs/common';
import { LogStopsModule, SqliteModule } from '@clusterlite/core';
import { EntityQueries } from '@clusterlite/registry';
import { AppliedPositions } from './applied-positions.js';
import { EntityQueryService } from './entity-query.service.js';
import { LogIdentity } from './log-identity.js';
import { ProjectionService } from './projection.service.js';
import { ReplicaStatusService } from './replica-status.service.js';
import { ResumeGuard } from './resume-guard.js';
import { StorageRetry } from './storage-retry.js';
import { TableChecksums } from './table-checksums.js';
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
      imports: [SqliteModule, LogStopsModule, ...(options.imports ?? [])],
      providers: [
        AppliedPositions,
        StorageRetry,
        LogIdentity,
        ResumeGuard,
        ProjectionService,
        EntityQueryService,
        { provide: EntityQueries, useExisting: EntityQueryService },
        ReplicaStatusService,
        TableChecksums,
        SchemaVersionGate,
      ],
      exports: [
        SchemaVersionGate,
        EntityQueries,
        ProjectionService,
        ReplicaStatusService,
        AppliedPositions,
        StorageRetry,
        ResumeGuard,
      ],
    };
  }
}
