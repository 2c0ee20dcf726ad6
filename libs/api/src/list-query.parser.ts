import {
  FILTER_OPERATORS,
  LIST_PARAMETERS,
  type EntityDefinition,
  type FieldDefinition,
  type Filter,
  type FilterOperator,
  type ListQuery,
  type SortKey,
} from '@clusterlite/registry';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './entity-http.dto.js';
import { RequestValidationError } from './http/request-validation.error.js';
import { ENTITY_ID_PATTERN } from '@clusterlite/core';
import { INTEGER_LITERAL, NUMBER_LITERAL } from './parameter-schemas.js';

type RawQuery = Record<string, unknown>;

/**
 * Parses `GET /{table}` query parameters:
 * `?limit=20&sort=name,-price&fields=id,name&price=gte.10&price=lt.20&name=prefix.Jo&stock=is.null&count=true`.
 * Filters are `<field>=<operator>.<value>`; an unknown field or operator is a
 * 400 naming it.
 */
export function parseListQuery(
  definition: EntityDefinition,
  raw: RawQuery,
): ListQuery {
  const problems: { field: string; messages: string[] }[] = [];
  const fail = (field: string, message: string) =>
    problems.push({ field, messages: [message] });
  const single = (name: string): string | undefined => {
    const value = raw[name];
    if (value === undefined || typeof value === 'string') return value;
    fail(name, `${name} may be given once, as plain text`);
    return undefined;
  };

  let limit = DEFAULT_PAGE_SIZE;
  const limitText = single('limit');
  if (limitText !== undefined) {
    limit = Number(limitText);
    if (!/^\d+$/.test(limitText) || limit < 1 || limit > MAX_PAGE_SIZE) {
      fail('limit', `limit must be an integer from 1 to ${MAX_PAGE_SIZE}`);
    }
  }

  const sort: SortKey[] = [];
  const sortText = single('sort');
  if (sortText !== undefined) {
    for (const part of sortText.split(',')) {
      const descending = part.startsWith('-');
      const name = part.replace(/^[-+]/, '');
      const column = definition.column(name);
      if (!column) fail('sort', `cannot sort by unknown field "${name}"`);
      else if (column.type === 'string[]')
        fail('sort', `cannot sort by list field "${name}"`);
      else if (sort.some((key) => key.column.name === name))
        fail('sort', `"${name}" is sorted by twice`);
      else sort.push({ column, descending });
    }
  }
  if (!sort.some((key) => key.column.name === 'id'))
    sort.push({ column: definition.column('id')!, descending: false });

  let fields: string[] | null = null;
  const fieldsText = single('fields');
  if (fieldsText !== undefined) {
    fields = [];
    for (const name of fieldsText.split(',')) {
      if (!definition.column(name)) fail('fields', `unknown field "${name}"`);
      else if (!fields.includes(name)) fields.push(name);
    }
  }

  const position = single('position');
  if (position !== undefined && position.length === 0)
    fail('position', 'position must be a position token');
  const countText = single('count');
  if (
    countText !== undefined &&
    countText !== 'true' &&
    countText !== 'false'
  ) {
    fail('count', 'count must be true or false');
  }

  let cursor: unknown[] | null = null;
  const after = single('after');
  const cursorText = single('cursor');
  if (after !== undefined && cursorText !== undefined)
    fail('cursor', 'give either after or cursor, not both');
  if (after !== undefined) {
    if (sortText !== undefined)
      fail(
        'after',
        'after pages by id; with sort, follow the Link header (cursor)',
      );
    if (!ENTITY_ID_PATTERN.test(after)) fail('after', 'after takes a row id');
    cursor = [after];
  }
  if (cursorText !== undefined) {
    cursor = decodeCursor(cursorText, sort);
    if (!cursor)
      fail(
        'cursor',
        'cursor does not belong to this sort order; follow the Link header',
      );
  }

  const filters: Filter[] = [];
  for (const [name, value] of Object.entries(raw)) {
    if (
      (LIST_PARAMETERS as readonly string[]).includes(name) ||
      value === undefined
    )
      continue;
    const column = definition.column(name);
    if (!column) {
      fail(
        name,
        `unknown query parameter "${name}": not a field of ${definition.table}`,
      );
      continue;
    }
    for (const expression of (Array.isArray(value)
      ? value
      : [value]) as unknown[]) {
      if (typeof expression !== 'string') {
        fail(
          name,
          `${name} takes <operator>.<value>, e.g. ${name}=eq.something`,
        );
        continue;
      }
      const filter = parseFilter(column, expression);
      if (typeof filter === 'string') fail(name, filter);
      else filters.push(filter);
    }
  }

  if (problems.length > 0) throw new RequestValidationError(problems);
  return { limit, filters, sort, cursor, fields, count: countText === 'true' };
}

function parseFilter(
  column: FieldDefinition,
  expression: string,
): Filter | string {
  const dot = expression.indexOf('.');
  const operator = (
    dot < 0 ? expression : expression.slice(0, dot)
  ) as FilterOperator;
  const text = dot < 0 ? '' : expression.slice(dot + 1);
  if (!FILTER_OPERATORS.includes(operator)) {
    return `unknown operator "${operator}"; use one of ${FILTER_OPERATORS.join(', ')} as <operator>.<value>`;
  }
  if (dot < 0)
    return `"${operator}" needs a value: ${column.name}=${operator}.<value>`;
  if (operator === 'is') {
    if (text !== 'null' && text !== 'notnull')
      return `is takes null or notnull`;
    return { column, operator, values: [text] };
  }
  if (column.type === 'string[]') {
    if (operator !== 'contains') return `a list field takes contains or is`;
    return { column, operator, values: [text] };
  }
  if (
    (operator === 'prefix' || operator === 'contains') &&
    column.type !== 'string'
  ) {
    return `${operator} applies to text fields`;
  }
  if (column.type === 'boolean' && !['eq', 'ne'].includes(operator))
    return `a boolean field takes eq, ne or is`;
  const parts = operator === 'in' ? splitList(text) : [text];
  if (parts === null) return `in takes a list: ${column.name}=in.(a,b,c)`;
  const values: unknown[] = [];
  for (const part of parts) {
    const value = parseValue(column, part);
    if (value === undefined) return `"${part}" is not a valid ${column.type}`;
    values.push(value);
  }
  return { column, operator, values };
}

function splitList(text: string): string[] | null {
  const match = /^\(([\s\S]*)\)$/.exec(text);
  if (!match || match[1] === '') return null;
  return match[1].split(',');
}

function parseValue(column: FieldDefinition, text: string): unknown {
  switch (column.type) {
    case 'integer':
      return INTEGER_LITERAL.test(text) ? Number(text) : undefined;
    case 'number':
      return NUMBER_LITERAL.test(text) ? Number(text) : undefined;
    case 'boolean':
      return text === 'true' ? 1 : text === 'false' ? 0 : undefined;
    default:
      return text;
  }
}

/** Opaque keyset cursor: the sort order and the sort values of the last row. */
export function encodeCursor(
  sort: SortKey[],
  row: Record<string, unknown>,
): string {
  const order = sort
    .map((key) => `${key.descending ? '-' : ''}${key.column.name}`)
    .join(',');
  const values = sort.map((key) => key.column.toColumn(row[key.column.name]));
  return Buffer.from(JSON.stringify([order, values])).toString('base64url');
}

function decodeCursor(token: string, sort: SortKey[]): unknown[] | null {
  try {
    const [order, values] = JSON.parse(
      Buffer.from(token, 'base64url').toString('utf8'),
    );
    const expected = sort
      .map((key) => `${key.descending ? '-' : ''}${key.column.name}`)
      .join(',');
    if (
      order !== expected ||
      !Array.isArray(values) ||
      values.length !== sort.length
    )
      return null;
    return values.every(
      (value) => value === null || ['string', 'number'].includes(typeof value),
    )
      ? values
      : null;
  } catch {
    return null;
  }
}
