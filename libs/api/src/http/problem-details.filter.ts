import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import type { Request, Response } from 'express';
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
import { PROBLEM_CONTENT_TYPE, ProblemDetailsDto } from './problem-details.js';
import { RequestValidationError } from './request-validation.error.js';
import { allowedMethods } from './allowed-methods.js';

type Problem = ProblemDetailsDto & Record<string, unknown>;

const REJECTION_STATUS = {
  'already-exists': HttpStatus.CONFLICT,
  'constraint-violation': HttpStatus.CONFLICT,
  'version-mismatch': HttpStatus.PRECONDITION_FAILED,
  'not-found': HttpStatus.NOT_FOUND,
} as const;

/**
 * Errors of body-parser and the libraries under it (raw-body, the inflaters)
 * carry a `status`, mostly a `type`, and `expose` when their message is fit
 * for the client; they reach us as plain errors.
 */
interface BodyParserError {
  type?: string;
  status: number;
  expose?: boolean;
  message?: string;
  limit?: number;
}

const isBodyParserError = (error: unknown): error is BodyParserError =>
  typeof error === 'object' &&
  error !== null &&
  typeof (error as BodyParserError).status === 'number';

/**
 * Maps every error to RFC 9457 problem details. Unknown errors become a 500
 * without internals; they are logged with their stack.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemDetailsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const problem =
      this.methodNotAllowed(exception, request, response) ??
      this.toProblem(exception, response);
    problem.instance = request.originalUrl ?? request.url;
    if (response.headersSent) return;
    response
      .status(problem.status)
      .type(PROBLEM_CONTENT_TYPE)
      .send(JSON.stringify(problem));
  }

  /** No route matched, but the path has routes for other methods: 405 with `Allow`, not 404. */
  private methodNotAllowed(
    exception: unknown,
    request: Request,
    response: Response,
  ): Problem | null {
    if (!(exception instanceof NotFoundException) || request.route) return null;
    const allowed = allowedMethods(request);
    if (allowed.length === 0) return null;
    response.setHeader('Allow', allowed.join(', '));
    return problem(
      HttpStatus.METHOD_NOT_ALLOWED,
      'method-not-allowed',
      'Method Not Allowed',
      `${request.method} is not a method of ${request.path}; it takes ${allowed.join(', ')}`,
    );
  }

  private toProblem(exception: unknown, response: Response): Problem {
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
      this.logger.warn(
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
      this.logger.warn(
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
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      if (isFailedHealthCheck(body)) return notReady(status, body);
      const detail =
        typeof body === 'string'
          ? body
          : Array.isArray((body as { message?: unknown }).message)
            ? (body as { message: string[] }).message.join('; ')
            : typeof (body as { message?: unknown }).message === 'string'
              ? (body as { message: string }).message
              : exception.message;
      return problem(status, slugOf(status), titleOf(status), detail);
    }
    if (
      isBodyParserError(exception) &&
      exception.status >= 400 &&
      exception.status < 500
    ) {
      return this.fromBodyParser(exception);
    }
    this.logger.error(
      `Unhandled error: ${exception instanceof Error ? exception.stack : String(exception)}`,
    );
    return problem(
      HttpStatus.INTERNAL_SERVER_ERROR,
      'internal',
      'Internal Server Error',
      'The node could not handle this request; it has been logged.',
    );
  }

  private fromBodyParser(error: BodyParserError): Problem {
    switch (error.type) {
      case 'entity.parse.failed':
        return {
          type: 'urn:clusterlite:problem:validation-failed',
          title: 'Request validation failed',
          status: HttpStatus.BAD_REQUEST,
          detail: 'The request body is not valid JSON',
          errors: [{ field: '(body)', messages: ['body must be valid JSON'] }],
        };
      case 'entity.too.large':
        return problem(
          HttpStatus.PAYLOAD_TOO_LARGE,
          'body-too-large',
          'Content Too Large',
          `The request body exceeds the limit of ${error.limit ?? '?'} bytes`,
        );
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return problem(
          HttpStatus.UNSUPPORTED_MEDIA_TYPE,
          'unsupported-media-type',
          'Unsupported Media Type',
          'The request body must be UTF-8 JSON',
        );
      default:
        return problem(
          error.status,
          'bad-request',
          titleOf(error.status),
          error.expose && error.message
            ? error.message
            : 'The request body could not be read',
        );
    }
  }
}

/** What Terminus throws when a health check fails: every check's result, the failing ones under `error`. */
interface FailedHealthCheck {
  status: 'error';
  error: Record<string, { status: string; message?: string }>;
  details: Record<string, unknown>;
}

function isFailedHealthCheck(body: unknown): body is FailedHealthCheck {
  const candidate = body as Partial<FailedHealthCheck> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    candidate.status === 'error' &&
    typeof candidate.error === 'object' &&
    typeof candidate.details === 'object'
  );
}

/** A failed readiness or liveness check, naming each failing check and why, with every check's result. */
function notReady(status: number, body: FailedHealthCheck): Problem {
  const failing = Object.entries(body.error).map(
    ([check, result]) => `${check}: ${result.message ?? result.status}`,
  );
  return problem(
    status,
    'not-ready',
    'Not ready',
    `Failing checks: ${failing.join('; ')}`,
    { checks: body.details },
  );
}

function problem(
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
function slugOf(status: number): string {
  return (HttpStatus[status] ?? 'error').toLowerCase().replaceAll('_', '-');
}

function titleOf(status: number): string {
  const name = HttpStatus[status];
  if (!name) return 'Error';
  return name
    .toLowerCase()
    .split('_')
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join(' ');
}
