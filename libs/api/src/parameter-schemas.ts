import { ENTITY_ID_PATTERN } from '@clusterlite/core';
import type { EntityDefinition, FieldDefinition } from '@clusterlite/registry';
import type { SchemaObject } from '@nestjs/swagger';

/**
 * The constraints the node enforces on path, query and header values, as
 * OpenAPI schemas: each pattern here is the one the node checks, so what the
 * document calls valid is accepted and the rest is a 400.
 */

/** A version ETag, as `If-Match` takes it and `ETag` gives it: `"3"` (or weak, `W/"3"`). */
export const VERSION_ETAG = /^(?:W\/)?"(\d{1,15})"$/;
/** `If-None-Match`: `*`, or a list of entity tags (RFC 9110). */
export const ENTITY_TAG_LIST =
  /^(?:\*|(?:W\/)?"[!#-~]*"(?:[ \t]*,[ \t]*(?:W\/)?"[!#-~]*")*)$/;
/** Visible ASCII, 1-255 characters. */
export const IDEMPOTENCY_KEY = /^[!-~]{1,255}$/;
/** A keyset cursor is base64url. */
export const CURSOR = /^[A-Za-z0-9_-]{1,4096}$/;
/** Integer filter values: safe in a double, and bounded. */
export const INTEGER_LITERAL = /^-?\d{1,15}$/;
/** Number filter values: decimal, bounded so that every match is finite (no hex, no `Infinity`). */
export const NUMBER_LITERAL =
  /^-?\d{1,15}(?:\.\d{1,15})?(?:[eE][-+]?\d{1,2})?$/;

export const idSchema: SchemaObject = {
  type: 'string',
  pattern: ENTITY_ID_PATTERN.source,
  minLength: 1,
  maxLength: 128,
};

/** The log topics of the tables, as the node names them (`<KAFKA_TOPIC_PREFIX>.<table>`). */
export interface TableTopics {
  /** This table's topic. */
  own: string;
  /** Every table's topic. */
  all: string[];
}

/**
 * `<topic>:<partition>:<offset>` (as `LogPosition.parse` reads it) with the
 * topic one of `topics`: the node refuses a position of no table's log.
 */
const positionPattern = (topics: string[]) => {
  const topic = topics
    .map((one) => one.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('|');
  return `^(?:${topic}):\\d{1,5}:\\d{1,19}$`;
};

/** A read's position: of any table's log (read-your-writes across tables). */
export const positionSchema = (topics: TableTopics): SchemaObject => ({
  type: 'string',
  pattern: positionPattern(topics.all),
  example: `${topics.own}:0:42`,
});

/** A position of this table's log (a history page's `after`). */
export const ownPositionSchema = (topics: TableTopics): SchemaObject => ({
  type: 'string',
  pattern: positionPattern([topics.own]),
  example: `${topics.own}:0:41`,
});

/** `after` of a feed and `Last-Event-ID`: a position of this table's log, or empty for live changes only. */
export const feedStartSchema = (topics: TableTopics): SchemaObject => ({
  type: 'string',
  pattern: `^$|${positionPattern([topics.own])}`,
  example: `${topics.own}:0:41`,
});

export const versionEtagSchema: SchemaObject = {
  type: 'string',
  pattern: VERSION_ETAG.source,
  example: '"3"',
};

export const entityTagListSchema: SchemaObject = {
  type: 'string',
  pattern: ENTITY_TAG_LIST.source,
  example: '"3"',
};

export const idempotencyKeySchema: SchemaObject = {
  type: 'string',
  pattern: IDEMPOTENCY_KEY.source,
  minLength: 1,
  maxLength: 255,
  example: '5f0c7e0a-2b1d-4c55-9d0e-6f1f8f7e2a10',
};

export const cursorSchema: SchemaObject = {
  type: 'string',
  pattern: CURSOR.source,
};

const names = (columns: FieldDefinition[]) =>
  columns.map((column) => column.name).join('|');

/** `sort`: comma-separated sortable fields, `-` for descending; a field at most once. */
export const sortSchema = (definition: EntityDefinition): SchemaObject => {
  const key = `-?(?:${names(sortableColumns(definition))})`;
  return { type: 'string', pattern: `^${key}(?:,${key})*$` };
};

/** `fields`: comma-separated field names. */
export const fieldsSchema = (definition: EntityDefinition): SchemaObject => {
  const name = `(?:${names(definition.columns)})`;
  return { type: 'string', pattern: `^${name}(?:,${name})*$` };
};

export const sortableColumns = (definition: EntityDefinition) =>
  definition.columns.filter((column) => column.type !== 'string[]');

/**
 * A filter of one column: `<operator>.<value>`, its operators and value
 * syntax per the column's type (numbers as decimal literals, booleans as
 * true/false). Repeatable: every value must hold (AND).
 */
export const filterSchema = (column: FieldDefinition): SchemaObject => {
  const literal = (pattern: RegExp) => pattern.source.slice(1, -1);
  const ordered = '(?:eq|ne|gt|gte|lt|lte)';
  const isNull = 'is\\.(?:null|notnull)';
  let pattern: string;
  switch (column.type) {
    case 'integer':
    case 'number': {
      const value = literal(
        column.type === 'integer' ? INTEGER_LITERAL : NUMBER_LITERAL,
      );
      pattern = `^(?:${ordered}\\.${value}|in\\.\\(${value}(?:,${value})*\\)|${isNull})$`;
      break;
    }
    case 'boolean':
      pattern = `^(?:(?:eq|ne)\\.(?:true|false)|${isNull})$`;
      break;
    case 'string[]':
      pattern = `^(?:contains\\.[\\s\\S]*|${isNull})$`;
      break;
    default:
      pattern = `^(?:(?:eq|ne|gt|gte|lt|lte|prefix|contains)\\.[\\s\\S]*|in\\.\\([\\s\\S]+\\)|${isNull})$`;
  }
  return {
    type: 'array',
    items: { type: 'string', pattern },
    minItems: 1,
  };
};

/** Values of the headers the node answers with. */
export const responseHeaderSchemas = {
  position: {
    type: 'string',
    pattern: '^[A-Za-z0-9._-]{1,249}:\\d{1,5}:\\d{1,19}$',
  },
  etag: { type: 'string', pattern: '^"\\d{1,15}"$' },
  location: { type: 'string', pattern: '^/[^/?#]+/[^/?#]+$' },
  nextLink: { type: 'string', pattern: '^<[^>]+>; rel="next"$' },
  count: { type: 'string', pattern: '^\\d{1,16}$' },
  seconds: { type: 'string', pattern: '^\\d{1,6}$' },
} satisfies Record<string, SchemaObject>;
