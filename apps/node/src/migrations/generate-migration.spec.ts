import { Field, ReplicatedEntity } from '@clusterlite/registry';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Product } from '../entities/product.entity.js';
import { TEST_BUILDS } from '../entities/upgrade-test/index.js';
import { User } from '../entities/user.entity.js';
import { MIGRATIONS_DIR, generateMigration } from './generate-migration.js';

@ReplicatedEntity('products', { schemaVersion: 3 })
class ProductWithoutUrl {
  @Field({ maxLength: 200 }) name: string;
  @Field({ maxLength: 64, unique: true }) sku: string;
  @Field() price: number;
  @Field({ type: 'integer', optional: true }) stock?: number;
  @Field({ type: 'string[]', maxLength: 50 }) tags: string[];
  @Field() available: boolean;
  @Field({ optional: true, maxLength: 2083 }) link?: string;
}

function emptyRepository(): { root: string; dir: string } {
  const root = mkdtempSync(join(tmpdir(), 'clusterlite-generate-'));
  const dir = join(root, MIGRATIONS_DIR);
  mkdirSync(dir, { recursive: true });
  return { root, dir };
}

describe(generateMigration.name, () => {
  it('writes the initial migration, then the migration of each change, and the index in order', async () => {
    const { root, dir } = emptyRepository();
    const initial = await generateMigration('Initial', [User, Product], root);
    expect(initial.file).toMatch(
      /^apps\/node\/src\/migrations\/\d{13}-Initial\.ts$/,
    );
    // Unformatted here (no prettier in the temporary repository): SQL in JSON string literals.
    expect(readFileSync(join(root, initial.file!), 'utf8')).toContain(
      'CREATE TABLE IF NOT EXISTS \\"products\\"',
    );

    expect(await generateMigration('Again', [User, Product], root)).toEqual({
      file: null,
      messages: ['No changes in the entity classes.'],
    });

    await new Promise((resolve) => setTimeout(resolve, 5));
    const color = await generateMigration(
      'AddProductColor',
      TEST_BUILDS.upgrade.entities,
      root,
    );
    expect(color.messages).toEqual([
      `Wrote ${color.file}:`,
      '  - new optional field "products.color"',
    ]);
    expect(readFileSync(join(root, color.file!), 'utf8')).toContain(
      'ALTER TABLE \\"products\\" ADD COLUMN \\"color\\" text',
    );
    const index = readFileSync(join(dir, 'index.ts'), 'utf8');
    expect(index.indexOf('Initial')).toBeLessThan(
      index.indexOf('AddProductColor'),
    );
    expect(
      JSON.parse(readFileSync(join(dir, 'schema-snapshot.json'), 'utf8')).tables
        .products.schemaVersion,
    ).toBe(2);
  });

  it('refuses a renamed field, writing nothing', async () => {
    const { root, dir } = emptyRepository();
    await generateMigration('Initial', [User, Product], root);
    const before = readdirSync(dir).sort();
    const snapshot = readFileSync(join(dir, 'schema-snapshot.json'), 'utf8');

    const renamed = await generateMigration(
      'RenameUrl',
      [User, ProductWithoutUrl],
      root,
    );
    expect(renamed).toEqual({
      file: null,
      messages: [
        'No migration written: an explicit migration is needed for',
        '  - field "products.url" was removed or renamed: write an explicit migration (the generator drops nothing)',
      ],
    });
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(readFileSync(join(dir, 'schema-snapshot.json'), 'utf8')).toBe(
      snapshot,
    );
  });

  it('asks for a PascalCase name', async () => {
    const { root, dir } = emptyRepository();
    const result = await generateMigration('drop table', [User], root);
    expect(result.file).toBeNull();
    expect(existsSync(join(dir, 'index.ts'))).toBe(false);
  });
});
