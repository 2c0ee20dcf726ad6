import type { KafkaOptions } from '@nestjs/microservices';
import {
  Partitioners,
  logLevel,
  type ICustomPartitioner,
  type Message,
  type logCreator,
} from 'kafkajs';
import type { NodeConfig } from '../config/node-config.js';

type KafkaTransportOptions = NonNullable<KafkaOptions['options']>;

const CHOSEN_PARTITION = Symbol('clusterlite.chosenPartition');

/**
 * kafkajs's default partitioner (murmur2 of the key, as before), noting on each message the
 * partition it chose. A produce request with several messages answers one base offset per
 * partition; with the partition of each message, every message gets its own offset.
 */
const recordingPartitioner: ICustomPartitioner = () => {
  const partition = Partitioners.DefaultPartitioner();
  return (args) => {
    const chosen = partition(args);
    (args.message as Message & { [CHOSEN_PARTITION]?: number })[
      CHOSEN_PARTITION
    ] = chosen;
    return chosen;
  };
};

/** The partition the command side's producer put `message` on, once sent; undefined before. */
export function chosenPartition(message: object): number | undefined {
  return (message as { [CHOSEN_PARTITION]?: number })[CHOSEN_PARTITION];
}

/**
 * Options of the command side's `ClientKafka`. Writes wait for every in-sync
 * replica (acks=all) and give up quickly when the broker is unreachable, so
 * the client gets a 503 instead of hanging.
 *
 * The producer is idempotent with one request in flight (kafkajs requires
 * acks=-1 and at least one retry for it): a retried request is appended once,
 * and never after a later one. kafkajs logs a warning for retries below
 * "infinite"; a bounded wait is what lets a write answer at all, and the
 * command side replaces the producer after a request it gave up on.
 */
export function kafkaProducerOptions(
  config: NodeConfig,
  logCreator?: logCreator,
): KafkaTransportOptions {
  return {
    client: {
      ...(logCreator ? { logCreator } : {}),
      clientId: `clusterlite-${config.nodeId}`,
      brokers: [...config.kafkaBrokers],
      connectionTimeout: 1_000,
      requestTimeout: config.writeTimeoutMs,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
      logLevel: logLevel.ERROR,
    },
    producer: {
      createPartitioner: recordingPartitioner,
      allowAutoTopicCreation: false,
      idempotent: true,
      maxInFlightRequests: 1,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
    },
    send: { acks: -1, timeout: config.writeTimeoutMs },
    producerOnlyMode: true,
    postfixId: '',
  };
}

/**
 * Options of the projection's Kafka server. Each node is its own consumer
 * group (`<prefix>-<NODE_ID>`, with no `-server` suffix), so every node reads
 * the whole log. Built fresh on each call: ServerKafka mutates what it gets.
 */
export function kafkaConsumerOptions(
  config: NodeConfig,
): KafkaTransportOptions {
  return {
    client: {
      clientId: `clusterlite-${config.nodeId}-projection`,
      brokers: [...config.kafkaBrokers],
      connectionTimeout: 3_000,
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 5_000 },
      logLevel: logLevel.ERROR,
    },
    consumer: {
      groupId: config.consumerGroup,
      allowAutoTopicCreation: false,
      // A crashed node's group membership must expire before it can rejoin;
      // keep that short, as each group has just one member.
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 100,
      // Catching up reads the log in big fetches: fewer round trips per applied event.
      maxBytesPerPartition: 8 * 1024 * 1024,
      maxBytes: 16 * 1024 * 1024,
      retry: {
        retries: Number.MAX_SAFE_INTEGER,
        initialRetryTime: 300,
        maxRetryTime: 5_000,
      },
    },
    producer: {
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    },
    subscribe: { fromBeginning: true },
    postfixId: '',
  };
}
