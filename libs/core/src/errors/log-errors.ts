import { ClusterLiteError } from './domain-errors.js';

/**
 * Errors of the log's edges: a write too large for it, a write whose fate the
 * node cannot know, an event this node has not seen. The problem-details
 * filter maps each to HTTP.
 */

/** The encoded events of one write exceed what the broker takes in one produce request. */
export class WriteTooLargeError extends ClusterLiteError {
  constructor(
    readonly bytes: number,
    readonly limit: number,
    readonly events: number,
  ) {
    super(
      `The write encodes to about ${bytes} bytes of events (${events} event${events === 1 ? '' : 's'}), ` +
        `over the log's limit of ${limit} bytes per write (KAFKA_MAX_MESSAGE_BYTES); send fewer or smaller items per request`,
    );
  }
}

/**
 * The produce request left and no definite answer came back (timeout, lost
 * connection): the events may or may not be on the log. The client can ask
 * `GET /{table}/_events/{eventId}`, or retry with the same Idempotency-Key.
 */
export class EventOutcomeUnknownError extends ClusterLiteError {
  constructor(
    readonly table: string,
    readonly eventIds: string[],
    cause?: unknown,
  ) {
    super(
      `The event log did not answer in time after the write was sent: it may or may not have been accepted. ` +
        `Ask GET /${table}/_events/${eventIds[0]} (or retry with the same Idempotency-Key).`,
    );
    this.cause = cause;
  }
}

/** This node has no outcome for the event: not (yet) on the log as far as it has applied. */
export class EventNotSeenError extends ClusterLiteError {
  constructor(
    readonly table: string,
    readonly eventId: string,
  ) {
    super(
      `This node has not applied or rejected event ${eventId} of "${table}": it is not on the log up to this node's position`,
    );
  }
}

/** This node stopped projecting the table's topic (a gap, or a file of another log): it accepts no writes it would never apply. */
export class LogStoppedError extends ClusterLiteError {
  constructor(
    readonly topic: string,
    readonly reason: string,
  ) {
    super(`This node does not project ${topic}: ${reason}`);
  }
}
