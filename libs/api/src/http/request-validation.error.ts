import { BadRequestException } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import type { FieldErrorDto } from './problem-details.js';

/** A request that failed validation; carries one entry per invalid field. */
export class RequestValidationError extends BadRequestException {
  /** `detail` is the problem's one-line summary; by default the field messages joined. */
  constructor(
    readonly fieldErrors: FieldErrorDto[],
    detail?: string,
  ) {
    super(
      detail ??
        fieldErrors.map((error) => error.messages.join(', ')).join('; '),
    );
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
