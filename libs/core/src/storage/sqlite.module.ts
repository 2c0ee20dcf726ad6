import { Module } from '@nestjs/common';
import { SqliteWriter } from './sqlite-writer.js';

/**
 * The node's `SqliteWriter`, one per process. Needs a TypeORM `DataSource`
 * (`TypeOrmModule.forRoot*`) in the application.
 */
@Module({ providers: [SqliteWriter], exports: [SqliteWriter] })
export class SqliteModule {}
