import { DataSource, EntitySchema, type MigrationInterface } from 'typeorm';
import { planMigration, type MigrationStep } from './schema-diff.js';
import { assertNoDuplicates } from './migration-refused.js';
import type { SchemaSnapshot, TableSnapshot } from './schema-snapshot.js';
import { tableDdl } from './table-ddl.js';

const column = (name: string, nullable = false, maxLength?: number) => ({
  name,
  type: 'text',
  nullable,
  ...(maxLength ? { maxLength } : {}),
});

function products(overrides: Partial<TableSnapshot> = {}): SchemaSnapshot {
  return {
    tables: {
      products: {
        schemaVersion: 1,
        columns: [column('name', false, 200), column('sku', false, 64)],
        indices: [],
        ...overrides,
      },
    },
  };
}

/** TypeORM's DDL of the `next` products table, as the generator reads it. */
async function ddlOf(snapshot: SchemaSnapshot): Promise<Map<string, string[]>> {
  const table = snapshot.tables.products;
  return tableDdl([
    new EntitySchema({
      name: 'Product',
      tableName: 'products',
      columns: {
        id: { type: 'text', primary: true },
        version: { type: 'integer' },
        createdAt: { type: 'text' },
        updatedAt: { type: 'text' },
        ...Object.fromEntries(
          table.columns.map((each) => [
            each.name,
            { type: 'text' as const, nullable: each.nullable },
          ]),
        ),
      },
      indices: table.indices,
    }),
  ]);
}

/** A file with the `previous` products table holding rows; then the steps run in one transaction. */
async function migrate(
  rows: Record<string, string>[],
  steps: MigrationStep[],
): Promise<DataSource> {
  const dataSource = new DataSource({
    type: 'sqlite',
    database: ':memory:',
  });
  await dataSource.initialize();
  await dataSource.query(
    'CREATE TABLE "products" ("id" text PRIMARY KEY NOT NULL, "name" text NOT NULL, "sku" text NOT NULL, ' +
      '"version" integer NOT NULL DEFAULT 1, "createdAt" text NOT NULL DEFAULT \'t\', "updatedAt" text NOT NULL DEFAULT \'t\')',
  );
  for (const row of rows)
    await dataSource.query(
      'INSERT INTO "products" ("id", "name", "sku") VALUES (?, ?, ?)',
      [row.id, row.name, row.sku],
    );
  const migration: MigrationInterface = {
    up: async (queryRunner) => {
      for (const step of steps) {
        if ('sql' in step) await queryRunner.query(step.sql);
        else
          await assertNoDuplicates(
            queryRunner,
            step.assertNoDuplicates.table,
            step.assertNoDuplicates.column,
          );
      }
    },
    down: async () => undefined,
  };
  await dataSource.transaction(async (manager) =>
    migration.up(manager.queryRunner!),
  );
  return dataSource;
}

const ROWS = [
  { id: 'p1', name: 'Cup', sku: 'C-1' },
  { id: 'p2', name: 'Cup', sku: 'C-2' },
];

describe(planMigration.name, () => {
  it('plans a new table from TypeORM own CREATE statements', async () => {
    const next = products();
    const plan = planMigration({ tables: {} }, next, await ddlOf(next));
    expect(plan.refusals).toEqual([]);
    expect(plan.steps[0]).toEqual({
      sql: expect.stringMatching(/^CREATE TABLE "products"/),
    });
  });

  it('adds a new optional field without touching the rows', async () => {
    const next = products({
      schemaVersion: 2,
      columns: [...products().tables.products.columns, column('color', true)],
    });
    const plan = planMigration(products(), next, await ddlOf(next));
    expect(plan.steps).toEqual([
      { sql: 'ALTER TABLE "products" ADD COLUMN "color" text' },
    ]);
    const file = await migrate(ROWS, plan.steps);
    expect(
      await file.query('SELECT "id", "color" FROM "products" ORDER BY "id"'),
    ).toEqual([
      { id: 'p1', color: null },
      { id: 'p2', color: null },
    ]);
  });

  it('adds a new field with a default, which existing rows get', async () => {
    const next = products({
      schemaVersion: 2,
      columns: [
        ...products().tables.products.columns,
        { ...column('shade'), default: "it's grey" },
      ],
    });
    const plan = planMigration(products(), next, await ddlOf(next));
    expect(plan.steps).toEqual([
      {
        sql: `ALTER TABLE "products" ADD COLUMN "shade" text NOT NULL DEFAULT 'it''s grey'`,
      },
    ]);
    const file = await migrate(ROWS, plan.steps);
    expect(
      await file.query('SELECT "id", "shade" FROM "products" ORDER BY "id"'),
    ).toEqual([
      { id: 'p1', shade: "it's grey" },
      { id: 'p2', shade: "it's grey" },
    ]);
  });

  it('makes a required field optional by rebuilding the table with every row', async () => {
    const next = products({
      schemaVersion: 2,
      columns: [column('name', true, 200), column('sku', false, 64)],
      indices: [{ name: 'IDX_products_sku', columns: ['sku'], unique: true }],
    });
    const plan = planMigration(products(), next, await ddlOf(next));
    expect(plan.refusals).toEqual([]);
    const file = await migrate(ROWS, plan.steps);
    await file.query(
      'INSERT INTO "products" ("id", "name", "sku", "version", "createdAt", "updatedAt") ' +
        "VALUES ('p3', NULL, 'C-3', 1, 't', 't')",
    );
    expect(
      await file.query(
        'SELECT "id", "name", "sku" FROM "products" ORDER BY "id"',
      ),
    ).toEqual([...ROWS, { id: 'p3', name: null, sku: 'C-3' }]);
  });

  it('adds a unique index when the rows allow it', async () => {
    const next = products({
      indices: [{ name: 'IDX_products_sku', columns: ['sku'], unique: true }],
    });
    const plan = planMigration(products(), next, await ddlOf(next));
    const file = await migrate(ROWS, plan.steps);
    await expect(
      file.query(
        'INSERT INTO "products" ("id", "name", "sku") VALUES (\'p3\', \'x\', \'C-1\')',
      ),
    ).rejects.toThrow(/UNIQUE/);
  });

  it('refuses a unique index that existing rows break, naming table, field and duplicates', async () => {
    const next = products({
      indices: [{ name: 'IDX_products_name', columns: ['name'], unique: true }],
    });
    const plan = planMigration(products(), next, await ddlOf(next));
    await expect(migrate(ROWS, plan.steps)).rejects.toThrow(
      'Cannot add a unique index on products.name: 1 value(s) of "name" are shared by 2 rows of "products"',
    );
  });

  it('records a longer maxLength without a statement, once the schema version is raised', async () => {
    const next = products({
      schemaVersion: 2,
      columns: [column('name', false, 500), column('sku', false, 64)],
    });
    const plan = planMigration(products(), next, await ddlOf(next));
    expect(plan).toMatchObject({ steps: [], refusals: [] });
    expect(plan.changes).toEqual([
      'field "products.name": maxLength 200 to 500 (no change to the file)',
    ]);
  });

  it.each([
    [
      'a removed field',
      products({ columns: [column('name', false, 200)] }),
      'field "products.sku" was removed or renamed: write an explicit migration (the generator drops nothing)',
    ],
    [
      'a renamed field',
      products({
        schemaVersion: 2,
        columns: [column('title', true, 200), column('sku', false, 64)],
      }),
      'field "products.name" was removed or renamed: write an explicit migration (the generator drops nothing)',
    ],
    [
      'a removed table',
      { tables: {} },
      'table "products" was removed or renamed: write an explicit migration (the generator drops nothing)',
    ],
    [
      'a new required field',
      products({
        schemaVersion: 2,
        columns: [...products().tables.products.columns, column('color')],
      }),
      'new required field "products.color": existing rows have no value; make it optional, give it a default, or write an explicit migration that fills it',
    ],
    [
      'a new field without a new schema version',
      products({
        columns: [...products().tables.products.columns, column('color', true)],
      }),
      'table "products" accepts values its schema version 1 did not: raise schemaVersion in @ReplicatedEntity(\'products\', { schemaVersion: 2 }) so nodes on older code stop instead of rejecting its events',
    ],
  ])('refuses %s', async (_, next, refusal) => {
    const plan = planMigration(
      products(),
      next as SchemaSnapshot,
      next.tables.products ? await ddlOf(next as SchemaSnapshot) : new Map(),
    );
    expect(plan.refusals).toContain(refusal);
  });
});
