import type { FieldDefinition } from './entity-definition.js';

export const FILTER_OPERATORS = [
  'eq',
  'ne',
  'gt',
  'gte',
  'lt',
  'lte',
  'in',
  'prefix',
  'contains',
  'is',
] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

/** Query parameters of a list that are not field filters. */
export const LIST_PARAMETERS = [
  'limit',
  'after',
  'cursor',
  'sort',
  'fields',
  'count',
  'position',
] as const;

export interface Filter {
  column: FieldDefinition;
  operator: FilterOperator;
  /** Values as stored in SQLite (booleans as 0/1); one for most operators, several for `in`. */
  values: unknown[];
}

export interface SortKey {
  column: FieldDefinition;
  descending: boolean;
}

/** A list request, checked against the registry: every column in it is a declared one. */
export interface ListQuery {
  limit: number;
  filters: Filter[];
  /** Always ends with `id` ascending, so the order is total and pages are stable. */
  sort: SortKey[];
  /** Values of the sort columns of the last row of the previous page. */
  cursor: unknown[] | null;
  /** Columns to return; null for all. */
  fields: string[] | null;
  count: boolean;
}
