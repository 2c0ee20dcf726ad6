import type { EventOutcome } from '../events/event-outcome.js';

/**
 * Errors of the domain. None of them knows HTTP; the problem-details filter
 * maps each one to a status code and an `application/problem+json` body.
 */
export abstract class ClusterLiteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class EntityNotFoundError extends ClusterLiteError {
  constructor(
    readonly table: string,
    readonly id: string,
  ) {
    super(`No row "${id}" in table "${table}"`);
  }
}

/** Kafka (or the embedded log) did not acknowledge a write in time. */
export class EventLogUnavailableError extends ClusterLiteError {
  constructor(
    readonly retryAfterSeconds: number,
    cause?: unknown,
  ) {
    super(
      `The event log did not acknowledge the write; nothing was accepted. Retry in ${retryAfterSeconds}s.`,
    );
    this.cause = cause;
  }
}

/** This node did not reach a requested log position within the wait limit. */
export class PositionWaitTimeoutError extends ClusterLiteError {
  constructor(
    readonly position: string,
    readonly waitedMs: number,
  ) {
    super(
      `This node has not applied position ${position} after ${waitedMs} ms`,
    );
  }
}

export class InvalidPositionError extends ClusterLiteError {
  constructor(readonly token: string) {
    super(
      `"${token}" is not a position token; use the "position" value a write returned`,
    );
  }
}

/** The projection refused an event the client waited for. */
export class EventRejectedError extends ClusterLiteError {
  constructor(readonly outcome: EventOutcome) {
    super(outcome.reason ?? 'The event was rejected');
  }
}

/** An `If-Match` that can never hold (not a version ETag). */
export class InvalidPreconditionError extends ClusterLiteError {
  constructor(readonly header: string) {
    super(`${header} must be a version ETag such as "3"`);
  }
}

export class PreconditionFailedError extends ClusterLiteError {
  constructor(
    readonly table: string,
    readonly id: string,
    readonly currentVersion: number | null,
  ) {
    super(
      currentVersion === null
        ? `Row "${id}" of "${table}" does not exist`
        : `Row "${id}" of "${table}" is at version ${currentVersion}`,
    );
  }
}

export class UnsupportedMediaTypeError extends ClusterLiteError {
  constructor(readonly contentType: string | undefined) {
    super(
      `Content-Type must be application/json${contentType ? `, got ${contentType}` : ''}`,
    );
  }
}

/** A dead letter that cannot be re-driven: unknown (404), already re-driven or not an event (409). */
export class DeadLetterRedriveError extends ClusterLiteError {
  constructor(
    readonly problem:
      | 'dead-letter-not-found'
      | 'dead-letter-already-redriven'
      | 'dead-letter-not-an-event',
    message: string,
  ) {
    super(message);
  }
}

/** An `Idempotency-Key` sent again with a different request. */
export class IdempotencyKeyReusedError extends ClusterLiteError {
  constructor(readonly key: string) {
    super(`Idempotency-Key "${key}" was already used for a different request`);
  }
}
