import { HttpStatus, type Logger } from '@nestjs/common';
import type { Response } from 'express';
import {
  AccessDeniedError,
  AuthenticationRequiredError,
  DeadLetterRedriveError,
  EntityNotFoundError,
  EventLogUnavailableError,
  EventNotAppliedError,
  EventRejectedError,
  IdempotencyKeyReusedError,
  InvalidPositionError,
  InvalidPreconditionError,
  NodeNotReadyError,
  PositionWaitTimeoutError,
  PreconditionFailedError,
  SnapshotInProgressError,
  SnapshotUnavailableError,
  ResourceLimitError,
  UnsupportedMediaTypeError,
  EventNotSeenError,
  EventOutcomeUnknownError,
  LogStoppedError,
  WriteTooLargeError,
} from '@clusterlite/core';
import type { ProblemDetailsDto } from './problem-details.js';
import { RequestValidationError } from './request-validation.error.js';

export type Problem = ProblemDetailsDto & Record<string, unknown>;

const REJECTION_STATUS = {
  'already-exists': HttpStatus.CONFLICT,
  'constraint-violation': HttpStatus.CONFLICT,
  'version-mismatch': HttpStatus.PRECONDITION_FAILED,
  'not-found': HttpStatus.NOT_FOUND,
} as const;

/**
 * The table of ClusterLite's own errors (domain errors, request validation)
 * and the problem each answers, with the headers that go with it
 * (WWW-Authenticate, Retry-After). Null for any other error.
 */
export function domainProblem(
  exception: unknown,
  response: Response,
  logger: Logger,
): Problem | null {
  if (exception instanceof RequestValidationError) {
    return {
      type: 'urn:clusterlite:problem:validation-failed',
      title: 'Request validation failed',
      status: HttpStatus.BAD_REQUEST,
      detail: exception.message,
      errors: exception.fieldErrors,
    };
  }
  if (exception instanceof AuthenticationRequiredError) {
    // RFC 6750: the challenge names the scheme; invalid_token when one was sent.
    response.setHeader(
      'WWW-Authenticate',
      `Bearer realm="clusterlite"${exception.tokenGiven ? ', error="invalid_token"' : ''}`,
    );
    return problem(
      HttpStatus.UNAUTHORIZED,
      'unauthorized',
      'Unauthorized',
      exception.message,
    );
  }
  if (exception instanceof AccessDeniedError) {
    return problem(
      HttpStatus.FORBIDDEN,
      'forbidden',
      'Forbidden',
      exception.message,
      { requiredRole: exception.required, role: exception.role },
    );
  }
  if (exception instanceof ResourceLimitError) {
    response.setHeader('Retry-After', String(exception.retryAfterSeconds));
    return problem(
      exception.status,
      exception.limit,
      exception.status === 429 ? 'Too Many Requests' : 'Service Unavailable',
      exception.message,
    );
  }
  if (exception instanceof DeadLetterRedriveError) {
    return exception.problem === 'dead-letter-not-found'
      ? problem(
          HttpStatus.NOT_FOUND,
          exception.problem,
          'Not Found',
          exception.message,
        )
      : problem(
          HttpStatus.CONFLICT,
          exception.problem,
          'Conflict',
          exception.message,
        );
  }
  if (exception instanceof EntityNotFoundError) {
    return problem(
      HttpStatus.NOT_FOUND,
      'not-found',
      'Not Found',
      exception.message,
    );
  }
  if (exception instanceof EventLogUnavailableError) {
    response.setHeader('Retry-After', String(exception.retryAfterSeconds));
    logger.warn(
      `Write refused: ${exception.cause instanceof Error ? exception.cause.message : exception.message}`,
    );
    return problem(
      HttpStatus.SERVICE_UNAVAILABLE,
      'event-log-unavailable',
      'Event log unavailable',
      exception.message,
    );
  }
  if (exception instanceof EventOutcomeUnknownError) {
    logger.warn(
      `Write outcome unknown (${exception.eventIds.length} event(s) of ${exception.table}): ${exception.cause instanceof Error ? exception.cause.message : 'no answer'}`,
    );
    return problem(
      HttpStatus.GATEWAY_TIMEOUT,
      'outcome-unknown',
      'Write outcome unknown',
      exception.message,
      {
        eventId: exception.eventIds[0],
        ...(exception.eventIds.length > 1
          ? { eventIds: exception.eventIds }
          : {}),
      },
    );
  }
  if (exception instanceof WriteTooLargeError) {
    return problem(
      HttpStatus.PAYLOAD_TOO_LARGE,
      'write-too-large',
      'Write too large for the log',
      exception.message,
      { bytes: exception.bytes, limit: exception.limit },
    );
  }
  if (exception instanceof LogStoppedError) {
    return problem(
      HttpStatus.SERVICE_UNAVAILABLE,
      'log-stopped',
      'This node stopped projecting the table',
      exception.message,
      { topic: exception.topic },
    );
  }
  if (exception instanceof EventNotSeenError) {
    return problem(
      HttpStatus.NOT_FOUND,
      'event-not-seen',
      'Event not seen on this node',
      exception.message,
      { eventId: exception.eventId },
    );
  }
  if (exception instanceof SnapshotInProgressError) {
    response.setHeader('Retry-After', String(exception.retryAfterSeconds));
    return problem(
      HttpStatus.SERVICE_UNAVAILABLE,
      'snapshot-in-progress',
      'Snapshot in progress',
      exception.message,
    );
  }
  if (exception instanceof SnapshotUnavailableError) {
    return problem(
      HttpStatus.CONFLICT,
      'snapshot-unavailable',
      'Snapshot unavailable',
      exception.message,
    );
  }
  if (exception instanceof PositionWaitTimeoutError) {
    return problem(
      HttpStatus.GATEWAY_TIMEOUT,
      'position-wait-timeout',
      'Replica has not caught up',
      exception.message,
      { position: exception.position },
    );
  }
  if (
    exception instanceof InvalidPositionError ||
    exception instanceof InvalidPreconditionError
  ) {
    return problem(
      HttpStatus.BAD_REQUEST,
      'bad-request',
      'Bad Request',
      exception.message,
    );
  }
  if (exception instanceof EventRejectedError) {
    const outcome = exception.outcome;
    const status =
      REJECTION_STATUS[outcome.rejection ?? 'constraint-violation'];
    // SQLite names the column of a broken unique index: "UNIQUE constraint failed: products.sku".
    const column = /UNIQUE constraint failed: [\w]+\.(\w+)/.exec(
      outcome.reason ?? '',
    )?.[1];
    return problem(
      status,
      `event-rejected:${outcome.rejection}`,
      'Write rejected',
      exception.message,
      {
        eventId: outcome.eventId,
        position: outcome.position,
        ...(column
          ? {
              errors: [
                { field: column, messages: [`${column} is already taken`] },
              ],
            }
          : {}),
      },
    );
  }
  if (exception instanceof EventNotAppliedError) {
    return problem(
      HttpStatus.INTERNAL_SERVER_ERROR,
      'event-not-applied',
      'Event not applied',
      exception.message,
      { eventId: exception.eventId, position: exception.position },
    );
  }
  if (exception instanceof PreconditionFailedError) {
    return problem(
      HttpStatus.PRECONDITION_FAILED,
      'precondition-failed',
      'Precondition Failed',
      exception.message,
    );
  }
  if (exception instanceof IdempotencyKeyReusedError) {
    return problem(
      HttpStatus.UNPROCESSABLE_ENTITY,
      'idempotency-key-reused',
      'Idempotency-Key reused',
      exception.message,
    );
  }
  if (exception instanceof UnsupportedMediaTypeError) {
    return problem(
      HttpStatus.UNSUPPORTED_MEDIA_TYPE,
      'unsupported-media-type',
      'Unsupported Media Type',
      exception.message,
    );
  }
  if (exception instanceof NodeNotReadyError) {
    response.setHeader('Retry-After', '1');
    return problem(
      HttpStatus.SERVICE_UNAVAILABLE,
      'not-ready',
      'Node not ready',
      exception.message,
      { checks: exception.checks, error: exception.failing },
    );
  }
  return null;
}

export function problem(
  status: number,
  slug: string,
  title: string,
  detail: string,
  extensions: Record<string, unknown> = {},
): Problem {
  return {
    type: `urn:clusterlite:problem:${slug}`,
    title,
    status,
    detail,
    ...extensions,
  };
}

/** `urn:clusterlite:problem:not-found` for Nest's own 404 (no route), and so on. */
export function slugOf(status: number): string {
  return (HttpStatus[status] ?? 'error').toLowerCase().replaceAll('_', '-');
}

export function titleOf(status: number): string {
  const name = HttpStatus[status];
  if (!name) return 'Error';
  return name
    .toLowerCase()
    .split('_')
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join(' ');
}
