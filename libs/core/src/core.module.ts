import { Global, Module, type DynamicModule } from '@nestjs/common';
import { NodeConfig } from './config/node-config.js';
import { ResourceLimits } from './limits/resource-limits.js';
import { EmbeddedEventLog } from './storage/embedded-event-log.js';
import { SqliteWriter } from './storage/sqlite-writer.js';

/**
 * The node's configuration, its SQLite writer and its resource limits, for every other module.
 * Needs a TypeORM `DataSource` (TypeOrmModule.forRoot*) beside it.
 */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: NodeConfig): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: NodeConfig, useValue: config },
        SqliteWriter,
        EmbeddedEventLog,
        ResourceLimits,
      ],
      exports: [NodeConfig, SqliteWriter, EmbeddedEventLog, ResourceLimits],
    };
  }
}
