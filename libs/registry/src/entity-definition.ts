import type { Type } from '@nestjs/common';
import {
  ApiProperty,
  IntersectionType,
  PartialType,
  PickType,
} from '@nestjs/swagger';
import {
  decodeStored,
  type EventType,
  type StoredDecoding,
} from '@clusterlite/core';
import { EntitySchema, type EntitySchemaColumnOptions } from 'typeorm';
import {
  DEFAULT_MAX_LENGTH,
  FIELDS_METADATA,
  type FieldMetadata,
} from './field.decorator.js';
import {
  ENTITY_METADATA,
  type ReplicatedEntityMetadata,
} from './replicated-entity.decorator.js';
import { documentValidationRules } from './validation-docs.js';

/** Columns every replicated table has besides its declared fields. */
export class RowMetadataDto {
  @ApiProperty({
    example: '0192f1d2-7c4e-7a53-9c1b-4a7be3d0e8a1',
    description: 'Row id',
  })
  id: string;

  @ApiProperty({
    example: 1,
    description: 'Incremented by every applied event; the ETag',
  })
  version: number;

  @ApiProperty({
    format: 'date-time',
    description: 'When the creating write was accepted',
  })
  createdAt: string;

  @ApiProperty({
    format: 'date-time',
    description: 'When the last applied write was accepted',
  })
  updatedAt: string;
}

export const SYSTEM_COLUMNS = [
  'id',
  'version',
  'createdAt',
  'updatedAt',
] as const;

/** One declared column of a replicated table. */
export class FieldDefinition {
  readonly name: string;
  readonly type: FieldMetadata['type'];
  readonly optional: boolean;
  readonly unique: boolean;
  readonly index: boolean;
  readonly maxLength: number;
  /** Stored when an event omits the field (`@Field({ default })`). */
  readonly default: string | number | boolean | undefined;
  /** The column name quoted for SQL; it comes from the class, never from a request. */
  readonly column: string;

  constructor(metadata: FieldMetadata) {
    this.name = metadata.name;
    this.type = metadata.type;
    this.optional = metadata.optional;
    this.unique = metadata.options.unique ?? false;
    this.index = metadata.options.index ?? false;
    this.maxLength = metadata.options.maxLength ?? DEFAULT_MAX_LENGTH;
    this.default = metadata.options.default;
    this.column = quoteIdentifier(this.name);
  }

  /** Value as stored in SQLite (the same encoding TypeORM uses for the column type). */
  toColumn(value: unknown): unknown {
    if (value === undefined && this.default !== undefined)
      return this.toColumn(this.default);
    if (value === undefined || value === null) return null;
    switch (this.type) {
      case 'boolean':
        return value ? 1 : 0;
      case 'string[]':
        return JSON.stringify(value);
      default:
        return value;
    }
  }

  /** How its stored value becomes the value a client reads. */
  get decoding(): StoredDecoding {
    if (this.type === 'boolean') return 'boolean';
    return this.type === 'string[]' ? 'json' : 'value';
  }

  fromColumn(value: unknown): unknown {
    return decodeStored(this.decoding, value);
  }

  /** Structural check of a value carried by an event; null when it fits. */
  problemWith(value: unknown): string | null {
    if (value === null)
      return this.optional ? null : `"${this.name}" may not be null`;
    switch (this.type) {
      case 'string':
        // Characters are code points, as class-validator counts them on the way in (never more
        // than UTF-16 units, so a short string needs no counting).
        return typeof value === 'string' &&
          (value.length <= this.maxLength ||
            codePoints(value) <= this.maxLength)
          ? null
          : `"${this.name}" must be a string of at most ${this.maxLength} characters`;
      case 'integer':
        return Number.isSafeInteger(value)
          ? null
          : `"${this.name}" must be an integer`;
      case 'number':
        return typeof value === 'number' && Number.isFinite(value)
          ? null
          : `"${this.name}" must be a number`;
      case 'boolean':
        return typeof value === 'boolean'
          ? null
          : `"${this.name}" must be a boolean`;
      case 'string[]':
        return Array.isArray(value) &&
          value.every((item) => typeof item === 'string')
          ? null
          : `"${this.name}" must be an array of strings`;
    }
  }

  columnOptions(): EntitySchemaColumnOptions {
    const type = {
      string: 'text',
      integer: 'integer',
      number: 'real',
      boolean: 'boolean',
      'string[]': 'simple-json',
    } as const;
    return {
      type: type[this.type],
      nullable: this.optional,
      ...(this.default === undefined ? {} : { default: this.default }),
    };
  }
}

export type EntityRow = Record<string, unknown> & {
  id: string;
  version: number;
};

/**
 * Everything ClusterLite derives from one `@ReplicatedEntity` class: the
 * TypeORM schema, the DTOs and the pieces of SQL the projection and the reads
 * use. Identifiers in that SQL come only from here (invariant 7).
 */
export class EntityDefinition<T = unknown> {
  readonly table: string;
  readonly description?: string;
  /** Whether the data of every event is kept for `GET /{table}/{id}/history`. */
  readonly keepsHistory: boolean;
  /** Carried by every event of the table; a node does not apply events of a newer schema. */
  readonly schemaVersion: number;
  readonly fields: readonly FieldDefinition[];
  readonly quotedTable: string;
  /** The columns of a row as the SQLite worker thread serializes them (`PageShape`). */
  readonly rowShape: readonly (readonly [string, StoredDecoding])[];
  readonly schema: EntitySchema;
  readonly createDto: Type<unknown>;
  readonly replaceDto: Type<unknown>;
  readonly patchDto: Type<unknown>;
  readonly rowDto: Type<unknown>;
  private readonly fieldsByName: ReadonlyMap<string, FieldDefinition>;
  private readonly columnsByName: ReadonlyMap<string, FieldDefinition>;

  constructor(readonly target: Type<T>) {
    const metadata: ReplicatedEntityMetadata | undefined = Reflect.getMetadata(
      ENTITY_METADATA,
      target,
    );
    if (!metadata) {
      throw new Error(
        `${target.name} is not decorated with @ReplicatedEntity()`,
      );
    }
    const fields: FieldMetadata[] =
      Reflect.getMetadata(FIELDS_METADATA, target) ?? [];
    if (fields.length === 0) {
      throw new Error(`${target.name} declares no @Field()`);
    }
    for (const field of fields) {
      if ((SYSTEM_COLUMNS as readonly string[]).includes(field.name)) {
        throw new Error(
          `${target.name}.${field.name}: "${field.name}" is a system column`,
        );
      }
      if (!/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(field.name)) {
        throw new Error(
          `${target.name}.${field.name}: field names must be plain identifiers`,
        );
      }
    }
    this.table = metadata.table;
    this.description = metadata.description;
    this.keepsHistory = metadata.history ?? false;
    this.schemaVersion = metadata.schemaVersion ?? 1;
    this.fields = fields.map((field) => new FieldDefinition(field));
    this.fieldsByName = new Map(
      this.fields.map((field) => [field.name, field]),
    );
    const system = (name: string, type: FieldMetadata['type']) =>
      new FieldDefinition({ name, type, optional: false, options: {} });
    this.columnsByName = new Map(
      [
        system('id', 'string'),
        ...this.fields,
        system('version', 'integer'),
        system('createdAt', 'string'),
        system('updatedAt', 'string'),
      ].map((column) => [column.name, column]),
    );
    this.quotedTable = quoteIdentifier(this.table);
    this.rowShape = this.columns.map((column) => [
      column.name,
      column.decoding,
    ]);
    this.schema = this.buildSchema();

    documentValidationRules(target, this.fields);
    // Mapped types copy the validation and OpenAPI metadata of the fields.
    const entity = target as Type<object>;
    const names = this.fields.map((field) => field.name) as never[];
    this.createDto = named(PickType(entity, names), `Create${target.name}Dto`);
    this.replaceDto = named(
      PickType(entity, names),
      `Replace${target.name}Dto`,
    );
    this.patchDto = named(
      PartialType(PickType(entity, names), { skipNullProperties: false }),
      `Patch${target.name}Dto`,
    );
    this.rowDto = named(
      IntersectionType(RowMetadataDto, PickType(entity, names)),
      target.name,
    );
  }

  field(name: string): FieldDefinition | undefined {
    return this.fieldsByName.get(name);
  }

  /** A declared field or a system column (id, version, createdAt, updatedAt), by name. */
  column(name: string): FieldDefinition | undefined {
    return this.columnsByName.get(name);
  }

  /** Every column a client may filter, sort or select by, in row order. */
  get columns(): FieldDefinition[] {
    return [...this.columnsByName.values()];
  }

  /**
   * Checks the data an event carries against the declared fields, so that a
   * malformed event is refused the same way on every node. Null when it fits.
   */
  problemWithData(
    type: EventType,
    data: Record<string, unknown> | null,
  ): string | null {
    if (type === 'deleted') return null;
    if (data === null) return 'event has no data';
    for (const key of Object.keys(data)) {
      if (!this.fieldsByName.has(key)) return `unknown field "${key}"`;
    }
    for (const field of this.fields) {
      const value = data[field.name];
      if (value === undefined) {
        if (
          type !== 'patched' &&
          !field.optional &&
          field.default === undefined
        )
          return `missing field "${field.name}"`;
        continue;
      }
      const problem = field.problemWith(value);
      if (problem) return problem;
    }
    return null;
  }

  /** Turns a row read from SQLite into the JSON a client gets. */
  toRow(record: Record<string, unknown>): EntityRow {
    const row: Record<string, unknown> = {};
    for (const column of this.columnsByName.values()) {
      if (column.name in record)
        row[column.name] = column.fromColumn(record[column.name]);
    }
    return row as EntityRow;
  }

  private buildSchema(): EntitySchema {
    const columns: Record<string, EntitySchemaColumnOptions> = {
      id: { type: 'text', primary: true },
    };
    for (const field of this.fields)
      columns[field.name] = field.columnOptions();
    columns.version = { type: 'integer' };
    columns.createdAt = { type: 'text' };
    columns.updatedAt = { type: 'text' };
    return new EntitySchema({
      name: this.target.name,
      tableName: this.table,
      columns,
      indices: this.fields
        .filter((field) => field.unique || field.index)
        .map((field) => ({
          name: `IDX_${this.table}_${field.name}`,
          columns: [field.name],
          unique: field.unique,
        })),
    });
  }
}

function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** Quotes an identifier that the registry has already checked to be plain. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function named<C extends Type<unknown>>(type: C, name: string): C {
  Object.defineProperty(type, 'name', { value: name });
  return type;
}
