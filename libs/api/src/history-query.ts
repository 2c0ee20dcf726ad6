import { InvalidPositionError, LogPosition } from '@clusterlite/core';
import { RequestValidationError } from './http/request-validation.error.js';
import { checkPageQuery } from './query-parameters.js';

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
  const { limit, errors } = checkPageQuery(
    query,
    NAMES,
    DEFAULT_HISTORY_PAGE,
    MAX_HISTORY_PAGE,
  );
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
