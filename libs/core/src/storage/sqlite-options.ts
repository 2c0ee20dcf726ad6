import type { DataSourceOptions, EntitySchema } from 'typeorm';
import { INTERNAL_SCHEMAS } from './internal-tables.js';

/**
 * The pragmas of the original ClusterLite. WAL lets readers run beside the one
 * writer; synchronous=NORMAL is durable across process crashes in WAL mode.
 */
export const SQLITE_PRAGMAS = [
  'PRAGMA journal_mode = WAL',
  'PRAGMA synchronous = NORMAL',
  'PRAGMA busy_timeout = 5000',
  'PRAGMA cache_size = -2000',
  'PRAGMA mmap_size = 268435456',
] as const;

export function sqliteDataSourceOptions(
  dbPath: string,
  entitySchemas: EntitySchema[],
): DataSourceOptions {
  return {
    type: 'sqlite',
    database: dbPath,
    entities: [...INTERNAL_SCHEMAS, ...entitySchemas],
    synchronize: true,
    enableWAL: true,
    busyTimeout: 5000,
    logging: ['error'],
  };
}
