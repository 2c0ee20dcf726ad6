import type { SchemaSnapshot, TableSnapshot } from '@clusterlite/core';
import type { EntityDefinition } from './entity-definition.js';

/** The schema the entity classes declare, as `npm run migration:generate` compares it. */
export function schemaSnapshotOf(
  definitions: readonly EntityDefinition[],
): SchemaSnapshot {
  const tables: Record<string, TableSnapshot> = {};
  for (const definition of [...definitions].sort((a, b) =>
    a.table.localeCompare(b.table),
  )) {
    tables[definition.table] = {
      schemaVersion: definition.schemaVersion,
      columns: definition.fields.map((field) => ({
        name: field.name,
        type: String(field.columnOptions().type),
        nullable: field.optional,
        ...(field.default === undefined ? {} : { default: field.default }),
        ...(field.type === 'string' || field.type === 'string[]'
          ? { maxLength: field.maxLength }
          : {}),
      })),
      indices: (definition.schema.options.indices ?? []).map((index) => ({
        name: index.name ?? '',
        columns: (index.columns as string[] | undefined) ?? [],
        unique: index.unique ?? false,
      })),
    };
  }
  return { tables };
}
