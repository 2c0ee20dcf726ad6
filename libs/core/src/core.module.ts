import { Global, Module, type DynamicModule } from '@nestjs/common';
import { NodeConfig } from './config/node-config.js';
import { EmbeddedEventLog } from './storage/embedded-event-log.js';
import { SqliteReader } from './storage/sqlite-reader.js';
import { SqliteWriter } from './storage/sqlite-writer.js';

/**
 * The node's configuration and its SQLite writer and reader, for every other module.
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
        SqliteReader,
        EmbeddedEventLog,
      ],
      exports: [NodeConfig, SqliteWriter, SqliteReader, EmbeddedEventLog],
    };
  }
}
