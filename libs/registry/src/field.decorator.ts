import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import {
  IsArray,
  IsBoolean,
  IsDefined,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateIf,
  buildMessage,
  type ValidationOptions,
} from 'class-validator';

export type FieldType =
  'string' | 'integer' | 'number' | 'boolean' | 'string[]';

export interface FieldOptions {
  /** Column and JSON type. Inferred from the TypeScript type for string, number and boolean. */
  type?: FieldType;
  /** May be omitted or null. Default: required. */
  optional?: boolean;
  /**
   * Stored when a write (or an event of an older schema) omits the field; the
   * field may then be omitted but not null. Existing rows get it when a
   * migration adds the field.
   */
  default?: string | number | boolean;
  description?: string;
  example?: unknown;
  /** OpenAPI format shown in the docs, e.g. `email` or `uri`. */
  format?: string;
  /** Adds a UNIQUE index; a write that breaks it is rejected (409) on every node. */
  unique?: boolean;
  /** Adds a plain index on the column. */
  index?: boolean;
  /** Longest string (or string item) accepted. Default 10,000. */
  maxLength?: number;
}

export interface FieldMetadata extends Required<
  Pick<FieldOptions, 'type' | 'optional'>
> {
  name: string;
  options: FieldOptions;
}

export const FIELDS_METADATA = Symbol('clusterlite:fields');
export const DEFAULT_MAX_LENGTH = 10_000;

const INFERRED: ReadonlyMap<unknown, FieldType> = new Map<unknown, FieldType>([
  [String, 'string'],
  [Number, 'number'],
  [Boolean, 'boolean'],
]);

/**
 * Declares a replicated column. It adds the column, the base type validation
 * and the OpenAPI property; add class-validator decorators for finer rules.
 *
 * @example
 * @Field({ format: 'email', unique: true, example: 'john@example.com' })
 * @IsEmail()
 * email: string;
 */
export function Field(options: FieldOptions = {}): PropertyDecorator {
  return (target, propertyKey) => {
    const name = String(propertyKey);
    const designType: unknown = Reflect.getMetadata(
      'design:type',
      target,
      propertyKey,
    );
    const type = options.type ?? INFERRED.get(designType);
    if (!type) {
      throw new Error(
        `@Field() on ${target.constructor.name}.${name}: cannot infer the type; set { type: ... }`,
      );
    }
    const optional = options.optional ?? false;
    const fields: FieldMetadata[] =
      Reflect.getOwnMetadata(FIELDS_METADATA, target.constructor) ?? [];
    Reflect.defineMetadata(
      FIELDS_METADATA,
      [...fields, { name, type, optional, options }],
      target.constructor,
    );
    applyDecorators(
      optional
        ? IsOptional()
        : options.default !== undefined
          ? ValidateIf((_, value) => value !== undefined)
          : IsDefined(),
      ...validatorsFor(type, options.maxLength ?? DEFAULT_MAX_LENGTH),
      ApiProperty({
        ...(openApiType(type) as { type: 'string' }),
        required: !optional && options.default === undefined,
        default: options.default,
        nullable: optional || undefined,
        description: options.description,
        example: options.example,
        format: options.format,
        maxLength:
          type === 'string'
            ? (options.maxLength ?? DEFAULT_MAX_LENGTH)
            : undefined,
      }),
    )(target, propertyKey);
  };
}

function validatorsFor(
  type: FieldType,
  maxLength: number,
): PropertyDecorator[] {
  switch (type) {
    case 'string':
      return [IsString(), MaxLength(maxLength), IsWellFormedText()];
    case 'integer':
      return [
        IsInt(),
        Min(Number.MIN_SAFE_INTEGER),
        Max(Number.MAX_SAFE_INTEGER),
      ];
    case 'number':
      return [IsNumber({ allowNaN: false, allowInfinity: false })];
    case 'boolean':
      return [IsBoolean()];
    case 'string[]':
      return [
        IsArray(),
        IsString({ each: true }),
        MaxLength(maxLength, { each: true }),
        IsWellFormedText({ each: true }),
      ];
  }
}

const LONE_SURROGATE =
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Refuses text with lone UTF-16 surrogates: SQLite would store them as U+FFFD
 * and the row read back would not be what was written.
 */
function IsWellFormedText(options: ValidationOptions = {}): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isWellFormedText',
      validator: {
        validate: (value: unknown) =>
          typeof value !== 'string' || !LONE_SURROGATE.test(value),
        defaultMessage: buildMessage(
          (each) => `${each}$property must be well-formed Unicode text`,
          options,
        ),
      },
    },
    options,
  );
}

function openApiType(type: FieldType): { type: string | [StringConstructor] } {
  switch (type) {
    case 'string[]':
      return { type: [String] };
    default:
      return { type };
  }
}
