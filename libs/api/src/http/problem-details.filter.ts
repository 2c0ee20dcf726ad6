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
import { PROBLEM_CONTENT_TYPE } from './problem-details.js';
import {
  domainProblem,
  problem,
  slugOf,
  titleOf,
  type Problem,
} from './domain-problems.js';
import { allowedMethods } from './allowed-methods.js';

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
    const known = domainProblem(exception, response, this.logger);
    if (known) return known;
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
