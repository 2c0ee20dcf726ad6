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
