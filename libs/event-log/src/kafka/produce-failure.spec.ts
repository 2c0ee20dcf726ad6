import { classifyProduceFailure } from './produce-failure.js';
import { ProduceAttempts } from './produce-attempts.js';

const kafkaError = (name: string, message: string, extra: object = {}) =>
  Object.assign(new Error(message), { name, ...extra });

describe(classifyProduceFailure.name, () => {
  it('says not-written when the broker could not be reached at all', () => {
    const refused = kafkaError(
      'KafkaJSConnectionError',
      'Connection error: connect ECONNREFUSED 127.0.0.1:9092',
    );
    expect(classifyProduceFailure(refused)).toBe('not-written');
    expect(
      classifyProduceFailure(
        kafkaError('KafkaJSNumberOfRetriesExceeded', refused.message, {
          originalError: refused,
        }),
      ),
    ).toBe('not-written');
    expect(
      classifyProduceFailure(
        kafkaError('KafkaJSNonRetriableError', refused.message),
      ),
    ).toBe('not-written');
  });

  it('says not-written when the broker refused the records before appending', () => {
    expect(
      classifyProduceFailure(
        kafkaError('KafkaJSProtocolError', 'too large', {
          type: 'MESSAGE_TOO_LARGE',
        }),
      ),
    ).toBe('not-written');
  });

  it('says unknown after a timeout or a connection lost while waiting', () => {
    expect(
      classifyProduceFailure(
        kafkaError(
          'KafkaJSNumberOfRetriesExceeded',
          'Request Produce timed out',
          {
            originalError: kafkaError(
              'KafkaJSRequestTimeoutError',
              'Request Produce(key: 0, version: 7) timed out',
            ),
          },
        ),
      ),
    ).toBe('unknown');
    expect(
      classifyProduceFailure(
        kafkaError('KafkaJSConnectionClosedError', 'Closed connection'),
      ),
    ).toBe('unknown');
    expect(
      classifyProduceFailure(
        kafkaError('KafkaJSProtocolError', 'not enough replicas after append', {
          type: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
        }),
      ),
    ).toBe('unknown');
  });
});

describe(ProduceAttempts.name, () => {
  it('remembers an attempt that timed out or lost its connection, not one that could not connect', () => {
    const attempts = new ProduceAttempts();
    const before = Date.now();
    attempts.heard(
      'Failed to send messages: Connection error: connect ECONNREFUSED 127.0.0.1:9092',
    );
    expect(attempts.ambiguousSince(before)).toBe(false);
    attempts.heard('Failed to send messages: Closed connection');
    expect(attempts.ambiguousSince(before)).toBe(true);
    expect(attempts.ambiguousSince(Date.now() + 1)).toBe(false);
    const later = Date.now();
    attempts.heard('Request Produce(key: 0, version: 7) timed out');
    expect(attempts.ambiguousSince(later)).toBe(true);
  });
});
