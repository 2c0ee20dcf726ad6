import type { Type } from '@nestjs/common';
import type { FieldErrorDto } from './http/problem-details.js';
import { RequestValidationError } from './http/request-validation.error.js';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { quickValidity } from './valid-body-check.js';

export const MAX_BULK_ITEMS = 1000;

/**
 * Validates a create body that may be one object or an array of them (bulk),
 * with the same rules as the global ValidationPipe. All or nothing: one bad
 * item fails the whole request, and each error names its item (`[3].email`).
 */
export async function validateCreateBody(
  dto: Type<unknown>,
  body: unknown,
): Promise<object[] | object> {
  if (Array.isArray(body)) {
    if (body.length === 0 || body.length > MAX_BULK_ITEMS) {
      throw new RequestValidationError([
        {
          field: '(body)',
          messages: [`a bulk create takes 1 to ${MAX_BULK_ITEMS} items`],
        },
      ]);
    }
    const errors: FieldErrorDto[] = [];
    const items: object[] = [];
    for (const [index, item] of body.entries()) {
      const result = await validateOne(dto, item, `[${index}]`);
      if (Array.isArray(result)) errors.push(...result);
      else items.push(result);
    }
    if (errors.length > 0) throw new RequestValidationError(errors);
    return items;
  }
  const result = await validateOne(dto, body, '');
  if (Array.isArray(result)) throw new RequestValidationError(result);
  return result;
}

async function validateOne(
  dto: Type<unknown>,
  item: unknown,
  path: string,
): Promise<object | FieldErrorDto[]> {
  if (typeof item !== 'object' || item === null) {
    return [{ field: path || '(body)', messages: ['must be a JSON object'] }];
  }
  const instance = plainToInstance(dto as Type<object>, item);
  if (quickValidity(dto, instance) === 'valid') return instance;
  const errors = await validate(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
  });
  if (errors.length === 0) return instance;
  return RequestValidationError.fromValidationErrors(errors).fieldErrors.map(
    (error) => ({
      field: path ? `${path}.${error.field}` : error.field,
      messages: error.messages,
    }),
  );
}
