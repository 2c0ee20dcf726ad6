import type {
  ColumnSnapshot,
  IndexSnapshot,
  SchemaSnapshot,
  TableSnapshot,
} from './schema-snapshot.js';

/** One step of a migration: a statement, or the check before a unique index. */
export type MigrationStep =
  { sql: string } | { assertNoDuplicates: { table: string; column: string } };

export interface MigrationPlan {
  steps: MigrationStep[];
  /** Changes a generated migration may not make (data loss, or old nodes would diverge). */
  refusals: string[];
  /** What the migration does, one line per change, for its doc comment. */
  changes: string[];
}

/** Columns every replicated table has besides its fields (the registry's SYSTEM_COLUMNS). */
const SYSTEM_COLUMNS = ['id', 'version', 'createdAt', 'updatedAt'];

const SQL_TYPES: Record<string, string> = { 'simple-json': 'text' };

/**
 * Compares the schema the migrations so far produce (`previous`) with the
 * entity classes (`next`) and plans the migration between them. `ddl` holds
 * TypeORM's CREATE statements of the tables in `next` (see `tableDdl`).
 * Only changes that keep every row are planned; a removed or renamed field
 * or table, a type change or a field made required is refused.
 */
export function planMigration(
  previous: SchemaSnapshot,
  next: SchemaSnapshot,
  ddl: ReadonlyMap<string, string[]>,
): MigrationPlan {
  const plan: MigrationPlan = { steps: [], refusals: [], changes: [] };
  for (const table of Object.keys(previous.tables)) {
    if (!next.tables[table]) {
      plan.refusals.push(
        `table "${table}" was removed or renamed: write an explicit migration (the generator drops nothing)`,
      );
    }
  }
  for (const [table, after] of Object.entries(next.tables)) {
    const before = previous.tables[table];
    if (!before) {
      plan.changes.push(`new table "${table}"`);
      for (const sql of ddl.get(table) ?? []) plan.steps.push({ sql });
      continue;
    }
    planTable(plan, table, before, after, ddl.get(table) ?? []);
  }
  return plan;
}

function planTable(
  plan: MigrationPlan,
  table: string,
  before: TableSnapshot,
  after: TableSnapshot,
  ddl: string[],
): void {
  const quoted = quote(table);
  const added: ColumnSnapshot[] = [];
  let rebuild = false;
  let needsNewSchema = false;
  for (const old of before.columns) {
    if (!after.columns.some((column) => column.name === old.name)) {
      plan.refusals.push(
        `field "${table}.${old.name}" was removed or renamed: write an explicit migration (the generator drops nothing)`,
      );
    }
  }
  for (const column of after.columns) {
    const old = before.columns.find((each) => each.name === column.name);
    if (!old) {
      if (!column.nullable && column.default === undefined) {
        plan.refusals.push(
          `new required field "${table}.${column.name}": existing rows have no value; make it optional, give it a default, or write an explicit migration that fills it`,
        );
        continue;
      }
      added.push(column);
      needsNewSchema = true;
      plan.changes.push(
        column.default === undefined
          ? `new optional field "${table}.${column.name}"`
          : `new field "${table}.${column.name}" with default ${sqlLiteral(column.default)}`,
      );
      continue;
    }
    if (old.default !== column.default) {
      plan.refusals.push(
        `field "${table}.${column.name}" changes its default: nodes would fill events that omit it differently; write an explicit migration`,
      );
    }
    if (old.type !== column.type) {
      plan.refusals.push(
        `field "${table}.${column.name}" changes type from ${old.type} to ${column.type}: write an explicit migration`,
      );
    }
    if (old.nullable && !column.nullable) {
      plan.refusals.push(
        `field "${table}.${column.name}" becomes required: existing rows may have no value; write an explicit migration`,
      );
    }
    if (!old.nullable && column.nullable) {
      rebuild = true;
      needsNewSchema = true;
      plan.changes.push(`field "${table}.${column.name}" becomes optional`);
    }
    if ((column.maxLength ?? 0) < (old.maxLength ?? 0)) {
      plan.refusals.push(
        `field "${table}.${column.name}" gets a shorter maxLength (${old.maxLength} to ${column.maxLength}): existing rows may be longer; write an explicit migration`,
      );
    } else if ((column.maxLength ?? 0) > (old.maxLength ?? 0)) {
      needsNewSchema = true;
      plan.changes.push(
        `field "${table}.${column.name}": maxLength ${old.maxLength} to ${column.maxLength} (no change to the file)`,
      );
    }
  }
  if (needsNewSchema && after.schemaVersion <= before.schemaVersion) {
    plan.refusals.push(
      `table "${table}" accepts values its schema version ${before.schemaVersion} did not: raise schemaVersion in @ReplicatedEntity('${table}', { schemaVersion: ${before.schemaVersion + 1} }) so nodes on older code stop instead of rejecting its events`,
    );
  }
  if (rebuild) {
    // SQLite cannot drop NOT NULL: build the table anew and copy every row.
    const temporary = quote(`temporary_${table}`);
    const create = ddl.find((sql) => sql.startsWith('CREATE TABLE '));
    const kept = [
      ...SYSTEM_COLUMNS,
      ...before.columns
        .filter((column) =>
          after.columns.some((each) => each.name === column.name),
        )
        .map((column) => column.name),
    ]
      .map(quote)
      .join(', ');
    plan.steps.push(
      {
        sql: (create ?? '').replace(
          /^CREATE TABLE "[^"]+"/,
          `CREATE TABLE ${temporary}`,
        ),
      },
      {
        sql: `INSERT INTO ${temporary} (${kept}) SELECT ${kept} FROM ${quoted}`,
      },
      { sql: `DROP TABLE ${quoted}` },
      { sql: `ALTER TABLE ${temporary} RENAME TO ${quoted}` },
    );
    for (const index of after.indices) {
      if (
        index.unique &&
        !before.indices.some((each) => sameIndex(each, index))
      )
        plan.steps.push(uniqueCheck(table, index));
      plan.steps.push({ sql: createIndex(table, index) });
    }
    return;
  }
  for (const column of added) {
    plan.steps.push({
      sql:
        `ALTER TABLE ${quoted} ADD COLUMN ${quote(column.name)} ${SQL_TYPES[column.type] ?? column.type}` +
        (column.default === undefined
          ? ''
          : ` NOT NULL DEFAULT ${sqlLiteral(column.default)}`),
    });
  }
  for (const index of before.indices) {
    if (!after.indices.some((each) => sameIndex(each, index))) {
      plan.changes.push(`index "${index.name}" removed`);
      plan.steps.push({ sql: `DROP INDEX IF EXISTS ${quote(index.name)}` });
    }
  }
  for (const index of after.indices) {
    if (before.indices.some((each) => sameIndex(each, index))) continue;
    plan.changes.push(
      `${index.unique ? 'unique ' : ''}index on "${table}.${index.columns.join(', ')}"`,
    );
    if (index.unique) plan.steps.push(uniqueCheck(table, index));
    plan.steps.push({ sql: createIndex(table, index) });
  }
}

function sameIndex(a: IndexSnapshot, b: IndexSnapshot): boolean {
  return (
    a.name === b.name &&
    a.unique === b.unique &&
    a.columns.join(',') === b.columns.join(',')
  );
}

function uniqueCheck(table: string, index: IndexSnapshot): MigrationStep {
  return { assertNoDuplicates: { table, column: index.columns[0] } };
}

function createIndex(table: string, index: IndexSnapshot): string {
  return (
    `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX ${quote(index.name)} ON ${quote(table)} ` +
    `(${index.columns.map(quote).join(', ')})`
  );
}

/** A default as SQLite stores it (booleans as 1/0, as the projection writes them). */
function sqlLiteral(value: string | number | boolean): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') return String(value);
  return `'${value.replaceAll("'", "''")}'`;
}

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
