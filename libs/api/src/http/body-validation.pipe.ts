import {
  ValidationPipe,
  type ArgumentMetadata,
  type Type,
} from '@nestjs/common';
import { acceptedBody } from '../accepted-body.js';
import { RequestValidationError } from './request-validation.error.js';

/**
 * The node's global ValidationPipe (`whitelist`, `forbidNonWhitelisted`, `transform`; errors as
 * a RequestValidationError), with a fast way through for a request body (PUT and PATCH) that
 * `acceptedBody` is sure of: the same instance of the DTO the pipe would give, without
 * class-transformer's copy and class-validator's walk. Every other value, and every invalid
 * body, goes through the pipe itself, so its errors are the pipe's own. The options are fixed
 * here because the fast way is only equivalent with them.
 */
export class BodyValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) =>
        RequestValidationError.fromValidationErrors(errors),
    });
  }

  override async transform(
    value: unknown,
    metadata: ArgumentMetadata,
  ): Promise<unknown> {
    if (metadata.type === 'body' && this.toValidate(metadata)) {
      const accepted = acceptedBody(metadata.metatype as Type<unknown>, value);
      if (accepted) return accepted;
    }
    return super.transform(value, metadata);
  }
}
