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

/**
 * This node passed the event's position without an outcome for it: it set the event aside
 * (a dead letter) instead of applying it. A write waiting for it must not answer with the row.
 */
export class EventNotAppliedError extends ClusterLiteError {
  constructor(
    readonly table: string,
    readonly eventId: string,
    readonly position: string,
  ) {
    super(
      `Event ${eventId} of "${table}" at ${position} was not applied on this node: it was set aside as a dead letter`,
    );
  }
}

/** An `If-Match` that can never hold (not a version ETag). */
export class InvalidPreconditionError extends ClusterLiteError {
  constructor(
    readonly header: string,
    expected = 'a version ETag such as "3"',
  ) {
    super(`${header} must be ${expected}`);
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

/** One readiness check's result, as a client may see it (no addresses, no stack). */
export interface CheckResult {
  status: 'up' | 'down';
  message?: string;
  [detail: string]: unknown;
}

/** The node is not ready to serve writes: every check's result, and which failed and why. */
export class NodeNotReadyError extends ClusterLiteError {
  readonly failing: Record<string, CheckResult>;

  constructor(readonly checks: Record<string, CheckResult>) {
    const failing = Object.fromEntries(
      Object.entries(checks).filter(([, result]) => result.status !== 'up'),
    );
    super(
      `Failing checks: ${Object.entries(failing)
        .map(([name, result]) => `${name}: ${result.message ?? result.status}`)
        .join('; ')}`,
    );
    this.failing = failing;
  }
}

/** No credentials, or a token no key has, on a route that needs a role. */
export class AuthenticationRequiredError extends ClusterLiteError {
  constructor(readonly tokenGiven: boolean) {
    super(
      tokenGiven
        ? 'The bearer token is not a key of this node'
        : 'This node requires an API key: send Authorization: Bearer <token>',
    );
  }
}

/** A snapshot is already being made on this node; one at a time keeps the disk and CPU for applying events. */
export class SnapshotInProgressError extends ClusterLiteError {
  constructor(readonly retryAfterSeconds: number) {
    super(
      `This node is already making a snapshot; retry in ${retryAfterSeconds}s or ask another node`,
    );
  }
}

/** A known key whose role does not include the one the route needs. */
export class AccessDeniedError extends ClusterLiteError {
  constructor(
    readonly required: string,
    readonly role: string,
    detail?: string,
  ) {
    super(
      detail ??
        `This route needs the ${required} role; the key presented has ${role}`,
    );
  }
}

/** This node cannot make a snapshot of its storage (an in-memory database). */
export class SnapshotUnavailableError extends ClusterLiteError {}

/**
 * A bounded resource is used up: a client's share (429) or the whole node's
 * (503). `limit` names the limit, for the problem type and the metric.
 */
export class ResourceLimitError extends ClusterLiteError {
  constructor(
    readonly limit: string,
    readonly status: 429 | 503,
    readonly retryAfterSeconds: number,
    message: string,
  ) {
    super(message);
  }
}
