import type {
  DataSourceOptions,
  EntitySchema,
  MigrationInterface,
} from 'typeorm';
import { INTERNAL_SCHEMAS } from './internal-tables.js';
import { NODE_SQLITE_DRIVER } from './typeorm-driver.js';

/** A migration class, as TypeORM takes them. */
export type MigrationClass = new () => MigrationInterface;

/** The original ClusterLite's pragmas that every connection of a node takes, read-only ones too. */
export const CONNECTION_PRAGMAS = ['PRAGMA cache_size = -2000'] as const;

/**
 * The original's memory-mapped reads of the file, for one connection only: the main thread's
 * reads by key (a row by id is then read in place, with no copy). Every connection that maps
 * the file holds the pages it touched in the process's resident memory, one count per mapping:
 * with the writer and the worker thread's reads mapping it too, a node under load counted each
 * hot page of the file up to three times. They read through SQLite's page cache instead.
 */
export const MMAP_PRAGMA = 'PRAGMA mmap_size = 268435456';

/**
 * The pragmas of the original ClusterLite for the node's read-write connection. WAL lets
 * readers run beside the one writer; synchronous=NORMAL is durable across process crashes in
 * WAL mode. Not its `busy_timeout = 5000`: the connection never waits for a lock on the main
 * thread, the writer retries `BEGIN` for those 5 s instead (`SqliteWriter`).
 */
export const SQLITE_PRAGMAS = [
  'PRAGMA journal_mode = WAL',
  'PRAGMA synchronous = NORMAL',
  ...CONNECTION_PRAGMAS,
] as const;

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
    // TypeORM's sqlite driver on the node's node:sqlite connection: one copy of SQLite per process.
    driver: NODE_SQLITE_DRIVER,
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
    // The connection never waits for a lock on the event loop; a busy query is tried again.
    busyErrorRetry: 20,
    logging: ['error'],
  };
}
