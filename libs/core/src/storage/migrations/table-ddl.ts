import { DataSource, type EntitySchema } from 'typeorm';

/**
 * The SQL TypeORM itself uses to create these tables and their indices (what
 * `synchronize` ran on files made before migrations), read back from an
 * in-memory database. Migrations reuse it, so a table made by a migration is
 * the table `synchronize` made.
 */
export async function tableDdl(
  schemas: EntitySchema[],
): Promise<Map<string, string[]>> {
  const dataSource = new DataSource({
    type: 'sqlite',
    database: ':memory:',
    entities: schemas,
    synchronize: true,
    logging: false,
  });
  await dataSource.initialize();
  try {
    const rows: { type: string; tbl_name: string; sql: string }[] =
      await dataSource.query(
        `SELECT "type", "tbl_name", "sql" FROM "sqlite_master" WHERE "sql" IS NOT NULL ` +
          `AND "name" NOT LIKE 'sqlite_%' ORDER BY "type" = 'index', "rowid"`,
      );
    const ddl = new Map<string, string[]>();
    for (const row of rows)
      ddl.set(row.tbl_name, [...(ddl.get(row.tbl_name) ?? []), row.sql]);
    return ddl;
  } finally {
    await dataSource.destroy();
  }
}

/** The same statements, harmless where the table or index is already there. */
export function ifNotExists(statement: string): string {
  return statement.replace(
    /^CREATE (UNIQUE )?(TABLE|INDEX) /,
    (_, unique: string | undefined, kind: string) =>
      `CREATE ${unique ?? ''}${kind} IF NOT EXISTS `,
  );
}
