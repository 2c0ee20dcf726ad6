import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { UnsupportedMediaTypeError } from '@clusterlite/core';
import type { Request } from 'express';

/**
 * Refuses a write whose body is not JSON with 415, before validation would
 * report every field of an empty body as missing.
 */
@Injectable()
export class JsonBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    if (!request.is(['application/json', 'application/*+json'])) {
      throw new UnsupportedMediaTypeError(request.header('content-type'));
    }
    return true;
  }
}
