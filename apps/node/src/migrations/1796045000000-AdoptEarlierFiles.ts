import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The node's internal tables as this release writes them. Kept here, not read from the
 * code: a migration is a snapshot of its release.
 */
const TABLES: [name: string, ddl: string][] = [
  [
    '_clusterlite_dead_letters',
    'CREATE TABLE "_clusterlite_dead_letters" ("topic" text NOT NULL, "partition" integer NOT NULL, "offset" integer NOT NULL, "reason" text NOT NULL, "payload" text, "redrivenBy" text, PRIMARY KEY ("topic", "partition", "offset"))',
  ],
  [
    '_clusterlite_event_log',
    'CREATE TABLE "_clusterlite_event_log" ("topic" text NOT NULL, "offset" integer NOT NULL, "key" text NOT NULL, "value" text NOT NULL, PRIMARY KEY ("topic", "offset"))',
  ],
  [
    '_clusterlite_idempotency',
    'CREATE TABLE "_clusterlite_idempotency" ("tableName" text NOT NULL, "key" text NOT NULL, "fingerprint" text NOT NULL, "eventId" text NOT NULL, "entityId" text NOT NULL, "position" text NOT NULL, PRIMARY KEY ("tableName", "key"))',
  ],
  [
    '_clusterlite_log',
    'CREATE TABLE "_clusterlite_log" ("name" text PRIMARY KEY NOT NULL, "value" text NOT NULL)',
  ],
  [
    '_clusterlite_outcomes',
    'CREATE TABLE "_clusterlite_outcomes" ("tableName" text NOT NULL, "eventId" text NOT NULL, "topic" text NOT NULL, "partition" integer NOT NULL, "offset" integer NOT NULL, "entityId" text NOT NULL, "type" text NOT NULL, "status" text NOT NULL, "rejection" text, "reason" text, "version" integer, "occurredAt" text NOT NULL, "origin" text NOT NULL, "data" text, PRIMARY KEY ("tableName", "eventId"))',
  ],
  [
    '_clusterlite_positions',
    'CREATE TABLE "_clusterlite_positions" ("topic" text NOT NULL, "partition" integer NOT NULL, "offset" integer NOT NULL, "fingerprint" text, PRIMARY KEY ("topic", "partition"))',
  ],
  [
    '_clusterlite_skipped_duplicates',
    'CREATE TABLE "_clusterlite_skipped_duplicates" ("topic" text NOT NULL, "partition" integer NOT NULL, "offset" integer NOT NULL, "tableName" text NOT NULL, "eventId" text NOT NULL, PRIMARY KEY ("topic", "partition", "offset"))',
  ],
  [
    '_clusterlite_table_checksums',
    'CREATE TABLE "_clusterlite_table_checksums" ("tableName" text PRIMARY KEY NOT NULL, "rows" integer NOT NULL, "checksum" text NOT NULL, "layout" text NOT NULL)',
  ],
  [
    '_clusterlite_tombstones',
    'CREATE TABLE "_clusterlite_tombstones" ("tableName" text NOT NULL, "entityId" text NOT NULL, "version" integer NOT NULL, PRIMARY KEY ("tableName", "entityId"))',
  ],
];

/** Their indexes, made again after a table is rebuilt. */
const INDEXES: string[] = [
  'CREATE INDEX IF NOT EXISTS "IDX_outcome_feed" ON "_clusterlite_outcomes" ("tableName", "offset") ',
  'CREATE INDEX IF NOT EXISTS "IDX_outcome_rejected" ON "_clusterlite_outcomes" ("status") WHERE "status" = \'rejected\'',
  'CREATE INDEX IF NOT EXISTS "IDX_outcome_row" ON "_clusterlite_outcomes" ("tableName", "entityId", "offset") ',
];

const normal = (sql: string) => sql.replace(/\s+/g, ' ').trim();

/**
 * AdoptEarlierFiles, written by hand (the generator covers the entity tables only):
 * - a file made by `synchronize` before migrations existed keeps its internal tables as they
 *   were (the Initial migration only creates missing ones): idempotency keys and outcomes keyed
 *   without their table, positions without the fingerprint of their message. Each internal
 *   table whose definition differs from this release's is rebuilt with it, in this migration's
 *   transaction, keeping every row (the columns both have are copied). A file made by this
 *   release is left as it is.
 */
export class AdoptEarlierFiles1796045000000 implements MigrationInterface {
  name = 'AdoptEarlierFiles1796045000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    let rebuilt = false;
    for (const [table, ddl] of TABLES) {
      const [current]: { sql: string }[] = await queryRunner.query(
        `SELECT "sql" FROM "sqlite_master" WHERE "type" = 'table' AND "name" = ?`,
        [table],
      );
      if (!current) {
        await queryRunner.query(ddl);
        continue;
      }
      if (normal(current.sql) === normal(ddl)) continue;
      const staging = `${table}__adopted`;
      await queryRunner.query(`DROP TABLE IF EXISTS "${staging}"`);
      await queryRunner.query(
        ddl.replace(`CREATE TABLE "${table}"`, `CREATE TABLE "${staging}"`),
      );
      const columnsOf = async (name: string): Promise<Set<string>> =>
        new Set(
          (
            (await queryRunner.query(
              `SELECT "name" FROM pragma_table_info('${name}')`,
            )) as { name: string }[]
          ).map((column) => column.name),
        );
      const before = await columnsOf(table);
      const common = [...(await columnsOf(staging))]
        .filter((column) => before.has(column))
        .map((column) => `"${column}"`)
        .join(', ');
      await queryRunner.query(
        `INSERT OR IGNORE INTO "${staging}" (${common}) SELECT ${common} FROM "${table}"`,
      );
      await queryRunner.query(`DROP TABLE "${table}"`);
      await queryRunner.query(`ALTER TABLE "${staging}" RENAME TO "${table}"`);
      rebuilt = true;
    }
    if (rebuilt) for (const index of INDEXES) await queryRunner.query(index);
  }

  down(): Promise<void> {
    return Promise.reject(
      new Error(
        'Migrations roll forward: write a new migration to undo this one',
      ),
    );
  }
}
