/**
 * The schema of the replicated tables as the entity classes declare it, kept as
 * JSON beside the migrations (`apps/node/src/migrations/schema-snapshot.json`).
 * `npm run migration:generate` compares the classes with it and writes the
 * migration that takes a file from one to the other.
 */
export interface ColumnSnapshot {
  name: string;
  /** The TypeORM column type: text, integer, real, boolean or simple-json. */
  type: string;
  nullable: boolean;
  /** Stored when an event omits the field; existing rows get it when the field is added. */
  default?: string | number | boolean;
  /** Longest string accepted, for text columns (not enforced by SQLite). */
  maxLength?: number;
}

export interface IndexSnapshot {
  name: string;
  columns: string[];
  unique: boolean;
}

export interface TableSnapshot {
  schemaVersion: number;
  columns: ColumnSnapshot[];
  indices: IndexSnapshot[];
}

export interface SchemaSnapshot {
  tables: Record<string, TableSnapshot>;
}
