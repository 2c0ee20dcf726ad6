import type { QueryRunner } from 'typeorm';

/** A migration that would lose data or break a constraint: the node does not start. */
export class MigrationRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationRefusedError';
  }
}

/**
 * Called by a generated migration before it adds a unique index: refuses, with
 * the table, the field and the duplicates, when existing rows break it.
 */
export async function assertNoDuplicates(
  queryRunner: QueryRunner,
  table: string,
  column: string,
): Promise<void> {
  const quotedTable = `"${table.replaceAll('"', '""')}"`;
  const quotedColumn = `"${column.replaceAll('"', '""')}"`;
  const [found]: { values: number; rows: number | null }[] =
    await queryRunner.query(
      `SELECT COUNT(*) AS "values", SUM("count") AS "rows" FROM (SELECT COUNT(*) AS "count" FROM ${quotedTable} ` +
        `WHERE ${quotedColumn} IS NOT NULL GROUP BY ${quotedColumn} HAVING COUNT(*) > 1)`,
    );
  if (found.values > 0) {
    throw new MigrationRefusedError(
      `Cannot add a unique index on ${table}.${column}: ${found.values} value(s) of "${column}" ` +
        `are shared by ${found.rows} rows of "${table}". Make them unique (or remove the rows) ` +
        'through the API with the previous build, then start this build again.',
    );
  }
}
