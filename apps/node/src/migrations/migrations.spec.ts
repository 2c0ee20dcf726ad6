import {
  assertSchemaApplied,
  sqliteDataSourceOptions,
  type MigrationClass,
} from '@clusterlite/core';
import { EntityRegistry, schemaSnapshotOf } from '@clusterlite/registry';
import type { Type } from '@nestjs/common';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { Product } from '../entities/product.entity.js';
import { TEST_BUILDS } from '../entities/upgrade-test/index.js';
import { User } from '../entities/user.entity.js';
import { MIGRATIONS } from './index.js';

/** The internal tables of the release before migrations (commit e0374fd). */
const EARLIER_RELEASE_DDL = [
  'CREATE TABLE "_clusterlite_positions" ("topic" text NOT NULL, "partition" integer NOT NULL, "offset" integer NOT NULL, PRIMARY KEY ("topic", "partition"))',
  'CREATE TABLE "_clusterlite_outcomes" ("eventId" text PRIMARY KEY NOT NULL, "topic" text NOT NULL, "partition" integer NOT NULL, "offset" integer NOT NULL, "tableName" text NOT NULL, "entityId" text NOT NULL, "type" text NOT NULL, "status" text NOT NULL, "rejection" text, "reason" text, "version" integer, "occurredAt" text NOT NULL, "origin" text NOT NULL, "data" text)',
  'CREATE INDEX "IDX_outcome_row" ON "_clusterlite_outcomes" ("tableName", "entityId", "offset") ',
  'CREATE INDEX "IDX_outcome_feed" ON "_clusterlite_outcomes" ("tableName", "offset") ',
  'CREATE TABLE "_clusterlite_dead_letters" ("topic" text NOT NULL, "partition" integer NOT NULL, "offset" integer NOT NULL, "reason" text NOT NULL, "payload" text, PRIMARY KEY ("topic", "partition", "offset"))',
  'CREATE TABLE "_clusterlite_idempotency" ("key" text PRIMARY KEY NOT NULL, "fingerprint" text NOT NULL, "eventId" text NOT NULL, "tableName" text NOT NULL, "entityId" text NOT NULL, "position" text NOT NULL)',
  'CREATE TABLE "_clusterlite_event_log" ("topic" text NOT NULL, "offset" integer NOT NULL, "key" text NOT NULL, "value" text NOT NULL, PRIMARY KEY ("topic", "offset"))',
];

const freshFile = () =>
  join(mkdtempSync(join(tmpdir(), 'clusterlite-migrations-')), 'node.sqlite');

async function open(
  path: string,
  entities: readonly Type<unknown>[],
  migrations?: MigrationClass[],
): Promise<DataSource> {
  const registry = new EntityRegistry(entities);
  return new DataSource(
    sqliteDataSourceOptions(
      path,
      registry.all().map((definition) => definition.schema),
      migrations,
    ),
  ).initialize();
}

const schemaOf = (dataSource: DataSource): Promise<unknown[]> =>
  dataSource.query(
    `SELECT "name", "sql" FROM "sqlite_master" WHERE "name" NOT LIKE 'sqlite_%' AND "name" != '_clusterlite_migrations' ORDER BY "name"`,
  );

const PRODUCT =
  'INSERT INTO "products" ("id", "name", "sku", "price", "tags", "available", "version", "createdAt", "updatedAt") ' +
  "VALUES ('p1', 'Cup', 'C-1', 4.5, '[]', 1, 1, 't', 't')";

describe('node migrations', () => {
  it('create on a new file exactly the tables synchronize made', async () => {
    const synchronized = await open(freshFile(), [User, Product]);
    const migrated = await open(freshFile(), [User, Product], MIGRATIONS);
    expect(await schemaOf(migrated)).toEqual(await schemaOf(synchronized));
    await Promise.all([synchronized.destroy(), migrated.destroy()]);
  });

  it('adopt a file made by synchronize before migrations without changing its tables, and record the migrations', async () => {
    const path = freshFile();
    const before = await open(path, [User, Product]);
    // As the previous release made it: no "redrivenBy" yet.
    await before.query(
      'ALTER TABLE "_clusterlite_dead_letters" DROP COLUMN "redrivenBy"',
    );
    await before.query(PRODUCT);
    const schema = await schemaOf(before);
    await before.destroy();

    const after = await open(path, [User, Product], MIGRATIONS);
    const unchanged = (tables: unknown[]) =>
      tables.filter(
        (table) =>
          (table as { name: string }).name !== '_clusterlite_dead_letters',
      );
    expect(unchanged(await schemaOf(after))).toEqual(unchanged(schema));
    expect(
      await after.query(
        `SELECT "name" FROM pragma_table_info('_clusterlite_dead_letters') WHERE "name" = 'redrivenBy'`,
      ),
    ).toEqual([{ name: 'redrivenBy' }]);
    expect(await after.query('SELECT "id" FROM "products"')).toEqual([
      { id: 'p1' },
    ]);
    expect(
      await after.query('SELECT "name" FROM "_clusterlite_migrations"'),
    ).toEqual(MIGRATIONS.map((migration) => ({ name: migration.name })));
    await after.destroy();
  });

  it('rebuild the internal tables of a file from the release before migrations, keeping their rows', async () => {
    const path = freshFile();
    const earlier = new DataSource({ type: 'sqlite', database: path });
    await earlier.initialize();
    // The internal tables as the release before migrations made them (keys without the table).
    for (const ddl of EARLIER_RELEASE_DDL) await earlier.query(ddl);
    await earlier.query(
      `INSERT INTO "_clusterlite_positions" VALUES ('clusterlite.users', 0, 7)`,
    );
    await earlier.query(
      `INSERT INTO "_clusterlite_idempotency" VALUES ('k1', 'f', 'e1', 'users', 'u1', 'clusterlite.users:0:3')`,
    );
    await earlier.query(
      `INSERT INTO "_clusterlite_outcomes" VALUES ('e1', 'clusterlite.users', 0, 3, 'users', 'u1', 'created', 'applied', NULL, NULL, 1, 't', 'node-1', NULL)`,
    );
    await earlier.destroy();

    const adopted = await open(path, [User, Product], MIGRATIONS);
    const synchronized = await open(freshFile(), [User, Product]);
    expect(await schemaOf(adopted)).toEqual(await schemaOf(synchronized));
    expect(
      await adopted.query(
        'SELECT "topic", "offset", "fingerprint" FROM "_clusterlite_positions"',
      ),
    ).toEqual([{ topic: 'clusterlite.users', offset: 7, fingerprint: null }]);
    expect(
      await adopted.query(
        'SELECT "tableName", "key" FROM "_clusterlite_idempotency"',
      ),
    ).toEqual([{ tableName: 'users', key: 'k1' }]);
    expect(
      await adopted.query(
        'SELECT "tableName", "eventId" FROM "_clusterlite_outcomes"',
      ),
    ).toEqual([{ tableName: 'users', eventId: 'e1' }]);
    await Promise.all([adopted.destroy(), synchronized.destroy()]);
  });

  it('apply a generated migration for a new optional field, keeping the rows', async () => {
    const path = freshFile();
    const old = await open(path, [User, Product], MIGRATIONS);
    await old.query(PRODUCT);
    await old.destroy();

    const { entities, migrations } = TEST_BUILDS.upgrade;
    const upgraded = await open(path, entities, [...MIGRATIONS, ...migrations]);
    await assertSchemaApplied(
      upgraded,
      schemaSnapshotOf(new EntityRegistry(entities).all()),
    );
    expect(
      await upgraded.query('SELECT "id", "color" FROM "products"'),
    ).toEqual([{ id: 'p1', color: null }]);
    await upgraded.destroy();
  });

  it('stop a node whose entity classes changed without a migration', async () => {
    const { entities } = TEST_BUILDS.upgrade;
    const dataSource = await open(freshFile(), entities, MIGRATIONS);
    await expect(
      assertSchemaApplied(
        dataSource,
        schemaSnapshotOf(new EntityRegistry(entities).all()),
      ),
    ).rejects.toThrow(
      'The database has no column "products.color": the entity classes changed without a migration. ' +
        'Run `npm run migration:generate -- <Name>`',
    );
    await dataSource.destroy();
  });
});
