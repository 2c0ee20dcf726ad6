import type { DataSource } from 'typeorm';
import { MigrationRefusedError } from './migration-refused.js';
import type { SchemaSnapshot } from './schema-snapshot.js';

/**
 * After the migrations ran: every table and column the entity classes declare
 * must be in the file. A class changed without its migration stops the node
 * here, instead of failing on the first event that uses the change.
 */
export async function assertSchemaApplied(
  dataSource: DataSource,
  expected: SchemaSnapshot,
): Promise<void> {
  const missing: string[] = [];
  for (const [table, snapshot] of Object.entries(expected.tables)) {
    const columns: { name: string }[] = await dataSource.query(
      'SELECT "name" FROM pragma_table_info(?)',
      [table],
    );
    if (columns.length === 0) {
      missing.push(`table "${table}"`);
      continue;
    }
    for (const column of snapshot.columns) {
      if (!columns.some((each) => each.name === column.name))
        missing.push(`column "${table}.${column.name}"`);
    }
  }
  if (missing.length > 0) {
    throw new MigrationRefusedError(
      `The database has no ${missing.join(', ')}: the entity classes changed without a migration. ` +
        'Run `npm run migration:generate -- <Name>`, commit the migration with the class, and build again.',
    );
  }
}
