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
