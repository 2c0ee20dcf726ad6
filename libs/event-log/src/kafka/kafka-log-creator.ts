import { Logger } from '@nestjs/common';
import { logLevel, type logCreator } from 'kafkajs';

/**
 * What kafkajs logs as an error while a broker, a new topic or a consumer group is still
 * starting up: kafkajs retries each of these by itself; they are normal at start. Also the
 * broker's answer to a topic another node created a moment earlier (nodes starting together):
 * `KafkaTopics` takes "already exists" as done and reports any other failure itself.
 */
const TRANSIENT_WHILE_STARTING = [
  'The group coordinator is not available',
  'The coordinator is loading',
  'This server does not host this topic-partition',
  'There is no leader for this topic-partition',
  'Topic creation errors',
];

/** A retry that used up its budget is never transient, whatever it quotes. */
const GAVE_UP = /retries exceeded|NumberOfRetriesExceeded/i;

/** kafkajs's line after a consumer crash it restarts from: as transient as the crash was. */
const RESTARTING = 'Restarting the consumer';

export function isTransientKafkaMessage(message: string): boolean {
  return (
    !GAVE_UP.test(message) &&
    TRANSIENT_WHILE_STARTING.some((text) => message.includes(text))
  );
}

/**
 * kafkajs's logs through Nest's `Logger`, as Nest's own Kafka logger does, except that the
 * messages kafkajs retries by itself while the cluster starts are debug, not errors.
 *
 * @example
 * new Kafka({ brokers, logLevel: logLevel.ERROR, logCreator: kafkaLogCreator('ClientKafka') })
 */
export function kafkaLogCreator(
  context: string,
  /** Lines said elsewhere (e.g. a refused login, reported once by `KafkaAccessReport`). */
  skip: (text: string) => boolean = () => false,
): logCreator {
  const logger = new Logger(context);
  let lastCrashTransient = false;
  return () =>
    ({ namespace, level, label, log }) => {
      const {
        message,
        timestamp: _timestamp,
        logger: _kafkajs,
        ...details
      } = log;
      const text = `${label} [${namespace}] ${message} ${JSON.stringify(details)}`;
      if (skip(text)) return;
      // kafkajs puts a broker's error code in `error` ("Response GroupCoordinator(…)" + error).
      const said = `${message} ${typeof details.error === 'string' ? details.error : ''}`;
      let transient = isTransientKafkaMessage(said);
      // A consumer crash on a retriable start-up error is followed by its restart.
      if (message.startsWith('Crash')) lastCrashTransient = transient;
      if (message.startsWith(RESTARTING)) transient = lastCrashTransient;
      if (level <= logLevel.WARN && transient) {
        logger.debug(text);
        return;
      }
      switch (level) {
        case logLevel.NOTHING:
        case logLevel.ERROR:
          logger.error(text);
          return;
        case logLevel.WARN:
          logger.warn(text);
          return;
        case logLevel.INFO:
          logger.log(text);
          return;
        default:
          logger.debug(text);
      }
    };
}
