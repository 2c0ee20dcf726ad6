import { BadRequestException } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import type { FieldErrorDto } from './problem-details.js';

/** Field errors a problem lists at most; the rest are summed up in one last entry. */
export const MAX_FIELD_ERRORS = 50;

/** A request that failed validation; carries one entry per invalid field, up to MAX_FIELD_ERRORS. */
export class RequestValidationError extends BadRequestException {
  readonly fieldErrors: FieldErrorDto[];

  /** `detail` is the problem's one-line summary; by default the field messages joined. */
  constructor(fieldErrors: FieldErrorDto[], detail?: string) {
    const shown =
      fieldErrors.length <= MAX_FIELD_ERRORS
        ? fieldErrors
        : [
            ...fieldErrors.slice(0, MAX_FIELD_ERRORS),
            {
              field: '(more)',
              messages: [
                `${fieldErrors.length - MAX_FIELD_ERRORS} more errors not listed`,
              ],
            },
          ];
    super(detail ?? shown.map((error) => error.messages.join(', ')).join('; '));
    this.fieldErrors = shown;
  }

  /** `ValidationPipe({ exceptionFactory })` hook. */
  static fromValidationErrors(
    errors: ValidationError[],
  ): RequestValidationError {
    return new RequestValidationError(flatten(errors, ''));
  }
}

function flatten(errors: ValidationError[], prefix: string): FieldErrorDto[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = error.constraints
      ? [{ field, messages: Object.values(error.constraints) }]
      : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}
