import sqlite3 from 'sqlite3';
import type {
  DataSourceOptions,
  EntitySchema,
  MigrationInterface,
} from 'typeorm';
import { INTERNAL_SCHEMAS } from './internal-tables.js';

/** A migration class, as TypeORM takes them. */
export type MigrationClass = new () => MigrationInterface;

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

/**
 * The sqlite3 module as TypeORM's driver gets it. The driver calls `verbose()` on it when it
 * opens a database, and sqlite3's `verbose()` replaces every Database and Statement method, for
 * the whole process, with a wrapper that captures a stack trace and `util.inspect`s every
 * argument of every call (sqlite3/lib/trace.js): on the projection's hot path that cost more CPU
 * than SQLite itself (bench/). All it adds is a longer stack on SQLite errors; their message and
 * `code` are the same without it. Here `verbose()` hands back the module as it is.
 */
const QUIET_SQLITE3 = { verbose: () => sqlite3 };

/**
 * With `migrations` (a node), the file's schema is changed only by them: they run at start, in
 * order, each in its own transaction, recorded in `_clusterlite_migrations`. Without (unit tests
 * on a fresh database), TypeORM's `synchronize` creates the tables.
 */
export function sqliteDataSourceOptions(
  dbPath: string,
  entitySchemas: EntitySchema[],
  migrations?: MigrationClass[],
): DataSourceOptions {
  return {
    type: 'sqlite',
    driver: QUIET_SQLITE3,
    database: dbPath,
    entities: [...INTERNAL_SCHEMAS, ...entitySchemas],
    synchronize: migrations === undefined,
    ...(migrations === undefined
      ? {}
      : {
          migrations,
          migrationsRun: true,
          migrationsTransactionMode: 'each' as const,
          migrationsTableName: '_clusterlite_migrations',
        }),
    enableWAL: true,
    busyTimeout: 5000,
    logging: ['error'],
  };
}
