import type { KafkaOptions } from '@nestjs/microservices';
import {
  Partitioners,
  logLevel,
  type ICustomPartitioner,
  type Message,
} from 'kafkajs';
import type { NodeConfig } from '@clusterlite/core';
import { isKafkaRefusalLine, kafkaConnection } from './kafka-connection.js';
import { kafkaLogCreator } from './kafka-log-creator.js';
import type { ProduceAttempts } from './produce-attempts.js';

type KafkaTransportOptions = NonNullable<KafkaOptions['options']>;

/**
 * What one fetch of the projection's consumer may bring, per partition and in all. These bound
 * the node's memory while it catches up: kafkajs gathers a response by concatenating each chunk
 * onto what came before, then decodes every message of it at once, so a node holds a few
 * copies of a whole response. Catching up 100,000 events, 8/16 MiB took a node to ~410 MB
 * RSS, 1/4 MiB to ~350 MB, 512 KiB/2 MiB to ~330 MB (256 KiB no lower), at the same CPU time
 * per event: a fetch of 512 KiB still brings ~1,200 events.
 */
const FETCH_MAX_BYTES_PER_PARTITION = 512 * 1024;
const FETCH_MAX_BYTES = 2 * 1024 * 1024;

const CHOSEN_PARTITION = Symbol('clusterlite.chosenPartition');

/**
 * kafkajs's default partitioner (murmur2 of the key, as before), noting on each message the
 * partition it chose. A produce request with several messages answers one base offset per
 * partition; with the partition of each message, every message gets its own offset. A topic of
 * one partition (a table's, by default) takes every message there, as murmur2 would, without
 * hashing each key (1.6% of a node's CPU under the write load).
 */
export const recordingPartitioner: ICustomPartitioner = () => {
  const partition = Partitioners.DefaultPartitioner();
  return (args) => {
    const chosen =
      args.partitionMetadata.length === 1
        ? args.partitionMetadata[0].partitionId
        : partition(args);
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
  attempts?: ProduceAttempts,
): KafkaTransportOptions {
  const log = kafkaLogCreator('ClientKafka', isKafkaRefusalLine);
  return {
    client: {
      ...kafkaConnection(config),
      clientId: `clusterlite-${config.nodeId}`,
      // A TLS handshake and a SASL login take more than one round trip.
      connectionTimeout: config.kafkaTls || config.kafkaSasl ? 3_000 : 1_000,
      requestTimeout: config.writeTimeoutMs,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
      logLevel: logLevel.ERROR,
      logCreator: attempts ? attempts.watching(log) : log,
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
      ...kafkaConnection(config),
      clientId: `clusterlite-${config.nodeId}-projection`,
      connectionTimeout: 3_000,
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 5_000 },
      logLevel: logLevel.ERROR,
      logCreator: kafkaLogCreator('KafkaProjectionServer', isKafkaRefusalLine),
    },
    consumer: {
      groupId: config.consumerGroup,
      allowAutoTopicCreation: false,
      // A crashed node's group membership must expire before it can rejoin;
      // keep that short, as each group has just one member.
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 100,
      maxBytesPerPartition: FETCH_MAX_BYTES_PER_PARTITION,
      maxBytes: FETCH_MAX_BYTES,
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
