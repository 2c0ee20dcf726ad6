import { Module } from '@nestjs/common';
import { SqliteReader } from './sqlite-reader.js';
import { SqliteWriter } from './sqlite-writer.js';

/**
 * The node's `SqliteWriter` and its read-only `SqliteReader`, one each per process. Needs a TypeORM `DataSource`
 * (`TypeOrmModule.forRoot*`) in the application.
 */
@Module({
  providers: [SqliteWriter, SqliteReader],
  exports: [SqliteWriter, SqliteReader],
})
export class SqliteModule {}
