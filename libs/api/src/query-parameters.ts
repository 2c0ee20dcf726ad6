import type { FieldErrorDto } from './http/problem-details.js';
import { RequestValidationError } from './http/request-validation.error.js';

/** The value of `name`, once, as text, when a route takes no other query parameter. */
export function onlyParameter(
  query: Record<string, unknown>,
  name: string,
): string | undefined {
  const errors = Object.keys(query)
    .filter((other) => other !== name)
    .map((other) => ({
      field: other,
      messages: [`property ${other} should not exist`],
    }));
  if (query[name] !== undefined && typeof query[name] !== 'string') {
    errors.push({ field: name, messages: [`${name} must be a string`] });
  }
  if (errors.length > 0) throw new RequestValidationError(errors);
  return query[name] as string | undefined;
}

/**
 * The checks of a paged route's query: parameters other than `names`, values that are not
 * text, and `limit`, an integer from 1 to `max` (`fallback` when absent). The route adds its
 * own errors, then throws them together.
 */
export function checkPageQuery(
  query: Record<string, unknown>,
  names: readonly string[],
  fallback: number,
  max: number,
): { limit: number; errors: FieldErrorDto[] } {
  const errors: FieldErrorDto[] = Object.keys(query)
    .filter((name) => !names.includes(name))
    .map((name) => ({
      field: name,
      messages: [`property ${name} should not exist`],
    }));
  for (const name of names) {
    if (query[name] !== undefined && typeof query[name] !== 'string')
      errors.push({ field: name, messages: [`${name} must be a string`] });
  }
  const limit = query.limit === undefined ? fallback : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    errors.push({
      field: 'limit',
      messages: [`limit must be an integer from 1 to ${max}`],
    });
  }
  return { limit, errors };
}
