import { InvalidPositionError, LogPosition } from '@clusterlite/core';
import type { FieldErrorDto } from './http/problem-details.js';
import { RequestValidationError } from './http/request-validation.error.js';

export const DEFAULT_HISTORY_PAGE = 100;
export const MAX_HISTORY_PAGE = 1000;

/** `GET /{table}/{id}/history?limit=&after=&position=`, checked. */
export interface HistoryQuery {
  limit: number;
  /** Entries after this log position only (the `Link: rel="next"` of the previous page). */
  after: LogPosition | null;
  /** Wait for this position before reading. */
  position: string | undefined;
}

const NAMES = ['limit', 'after', 'position'];

export function parseHistoryQuery(
  query: Record<string, unknown>,
  topic: string,
): HistoryQuery {
  const errors: FieldErrorDto[] = Object.keys(query)
    .filter((name) => !NAMES.includes(name))
    .map((name) => ({
      field: name,
      messages: [`property ${name} should not exist`],
    }));
  for (const name of NAMES) {
    if (query[name] !== undefined && typeof query[name] !== 'string')
      errors.push({ field: name, messages: [`${name} must be a string`] });
  }
  const rawLimit = query.limit as string | undefined;
  const limit =
    rawLimit === undefined ? DEFAULT_HISTORY_PAGE : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY_PAGE) {
    errors.push({
      field: 'limit',
      messages: [`limit must be an integer from 1 to ${MAX_HISTORY_PAGE}`],
    });
  }
  if (errors.length > 0) throw new RequestValidationError(errors);
  let after: LogPosition | null = null;
  if (query.after !== undefined) {
    after = LogPosition.parse(query.after as string);
    if (!after || after.topic !== topic)
      throw new InvalidPositionError(query.after as string);
  }
  return { limit, after, position: query.position as string | undefined };
}

/** The next page's URL: the same row and limit, after the last entry shown. */
export function nextHistoryUrl(
  table: string,
  id: string,
  limit: number,
  lastPosition: string,
): string {
  const next = new URLSearchParams({
    limit: String(limit),
    after: lastPosition,
  });
  return `/${table}/${encodeURIComponent(id)}/history?${next.toString()}`;
}
