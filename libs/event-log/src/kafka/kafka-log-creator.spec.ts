import { Logger } from '@nestjs/common';
import { logLevel } from 'kafkajs';
import {
  isTransientKafkaMessage,
  kafkaLogCreator,
} from './kafka-log-creator.js';

describe(kafkaLogCreator.name, () => {
  const entry = (level: logLevel, message: string) => ({
    namespace: 'Runner',
    level,
    label: 'ERROR',
    log: {
      message,
      timestamp: '2026-11-30T12:00:00.000Z',
      logger: 'kafkajs',
      groupId: 'g',
    },
  });

  afterEach(() => vi.restoreAllMocks());

  it('logs a retried start-up error at debug', () => {
    const debug = vi.spyOn(Logger.prototype, 'debug').mockReturnValue();
    const error = vi.spyOn(Logger.prototype, 'error').mockReturnValue();
    kafkaLogCreator('Test')(logLevel.ERROR)(
      entry(logLevel.ERROR, 'The group coordinator is not available'),
    );
    expect(error).not.toHaveBeenCalled();
    expect(debug).toHaveBeenCalledWith(
      'ERROR [Runner] The group coordinator is not available {"groupId":"g"}',
    );
  });

  it('reads the error a broker answered, as kafkajs logs it beside the message', () => {
    const debug = vi.spyOn(Logger.prototype, 'debug').mockReturnValue();
    const error = vi.spyOn(Logger.prototype, 'error').mockReturnValue();
    const answered = entry(
      logLevel.ERROR,
      'Response GroupCoordinator(key: 10, version: 2)',
    );
    kafkaLogCreator('Test')(logLevel.ERROR)({
      ...answered,
      log: { ...answered.log, error: 'The group coordinator is not available' },
    });
    expect(error).not.toHaveBeenCalled();
    expect(debug).toHaveBeenCalledTimes(1);
  });

  it('keeps any other error an error', () => {
    const error = vi.spyOn(Logger.prototype, 'error').mockReturnValue();
    kafkaLogCreator('Test')(logLevel.ERROR)(
      entry(logLevel.ERROR, 'Connection error: connect ECONNREFUSED'),
    );
    expect(error).toHaveBeenCalledTimes(1);
  });

  it('logs a consumer crash on a start-up error, and its restart, at debug; any other crash stays an error', () => {
    const debug = vi.spyOn(Logger.prototype, 'debug').mockReturnValue();
    const error = vi.spyOn(Logger.prototype, 'error').mockReturnValue();
    const log = kafkaLogCreator('Test')(logLevel.ERROR);
    log(
      entry(
        logLevel.ERROR,
        "Crash: KafkaJSProtocolError: The coordinator is loading and hence can't process requests for this group",
      ),
    );
    log(entry(logLevel.ERROR, 'Restarting the consumer in 300ms'));
    expect(debug).toHaveBeenCalledTimes(2);
    expect(error).not.toHaveBeenCalled();
    log(
      entry(logLevel.ERROR, 'Crash: KafkaJSNonRetriableError: Topic deleted'),
    );
    log(entry(logLevel.ERROR, 'Restarting the consumer in 300ms'));
    expect(error).toHaveBeenCalledTimes(2);
  });

  it('never calls a retry that used up its budget transient, whatever it quotes', () => {
    expect(
      isTransientKafkaMessage(
        'Crash: KafkaJSNumberOfRetriesExceeded: The group coordinator is not available',
      ),
    ).toBe(false);
    expect(
      isTransientKafkaMessage('This server does not host this topic-partition'),
    ).toBe(true);
    expect(
      isTransientKafkaMessage(
        'Response CreateTopics(key: 19, version: 3) Topic creation errors',
      ),
    ).toBe(true);
  });
});
