/**
 * What a failed produce request says about its events: `not-written` only
 * when the broker certainly did not append them, `unknown` otherwise.
 *
 * kafkajs retries a failed request (idempotent: with the same sequence
 * numbers, so the broker keeps one copy) and reports the last attempt's error.
 * An attempt that never reached a broker (refused, unreachable, no leader
 * known), or that the broker refused before appending, leaves nothing on the
 * log; a timeout or a connection closed while waiting may have.
 */
export type ProduceFailure = 'not-written' | 'unknown';

/** Broker error codes returned before anything is appended. */
const REFUSED_BEFORE_APPEND = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'INVALID_REQUIRED_ACKS',
  'INVALID_TOPIC_EXCEPTION',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
]);

/** Socket errors of a connection that was never established: the request never left. */
const NEVER_CONNECTED =
  /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|Connection timeout/;

interface KafkaJsError {
  name?: string;
  type?: string;
  message?: string;
  originalError?: unknown;
  cause?: unknown;
}

export function classifyProduceFailure(error: unknown): ProduceFailure {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const failure = current as KafkaJsError;
    if (
      failure.name === 'KafkaJSNumberOfRetriesExceeded' ||
      failure.name === 'KafkaJSNonRetriableError'
    ) {
      const inner = failure.originalError ?? failure.cause;
      if (inner) {
        current = inner;
        continue;
      }
      // kafkajs wrapped the error by its message only.
      return NEVER_CONNECTED.test(failure.message ?? '')
        ? 'not-written'
        : 'unknown';
    }
    if (
      failure.name === 'KafkaJSProtocolError' &&
      failure.type !== undefined &&
      REFUSED_BEFORE_APPEND.has(failure.type)
    )
      return 'not-written';
    if (
      failure.name === 'KafkaJSConnectionError' &&
      NEVER_CONNECTED.test(failure.message ?? '')
    )
      return 'not-written';
    return 'unknown';
  }
  return 'unknown';
}
