import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { ClientKafka } from '@nestjs/microservices';
import { NodeConfig, SqliteModule } from '@clusterlite/core';
import { EmbeddedEventLog } from './embedded/embedded-event-log.js';
import { EmbeddedEventLogTransport } from './embedded/embedded-event-log.transport.js';
import { EmbeddedLogClient } from './embedded/embedded-log.client.js';
import { EVENT_LOG_CLIENT, LogEndOffsets } from './event-log.ports.js';
import { EventLogTransport } from './event-log.transport.js';
import { KafkaAccessReport } from './kafka/kafka-connection.js';
import { KafkaEventLogTransport } from './kafka/kafka-event-log.transport.js';
import { kafkaProducerOptions } from './kafka/kafka-options.js';
import { ProduceAttempts } from './kafka/produce-attempts.js';
import { KafkaTopics } from './kafka/kafka-topics.js';
import {
  EmbeddedLogEndOffsets,
  KafkaLogEndOffsets,
} from './log-end-offsets.js';

/**
 * The log, Kafka (`KAFKA_BROKERS` set) or embedded (a table of the node's own
 * SQLite file), chosen here and nowhere else. Provides the client the command
 * side emits through (`EVENT_LOG_CLIENT`), the log's end offsets and the
 * `EventLogTransport` that feeds the projection.
 *
 * @example
 * const eventLog = EventLogModule.forRoot(config, { imports: [registry] });
 */
@Module({})
export class EventLogModule {
  static forRoot(
    config: NodeConfig,
    options: { imports?: DynamicModule['imports'] } = {},
  ): DynamicModule {
    return {
      module: EventLogModule,
      imports: [SqliteModule, ...(options.imports ?? [])],
      providers:
        config.mode === 'cluster' ? KAFKA_PROVIDERS : EMBEDDED_PROVIDERS,
      exports: [
        EVENT_LOG_CLIENT,
        LogEndOffsets,
        EventLogTransport,
        KafkaAccessReport,
        ProduceAttempts,
      ],
    };
  }
}

const KAFKA_PROVIDERS: Provider[] = [
  KafkaTopics,
  KafkaAccessReport,
  ProduceAttempts,
  {
    provide: EVENT_LOG_CLIENT,
    inject: [NodeConfig, ProduceAttempts],
    useFactory: (config: NodeConfig, attempts: ProduceAttempts) =>
      new ClientKafka(kafkaProducerOptions(config, attempts)),
  },
  { provide: LogEndOffsets, useClass: KafkaLogEndOffsets },
  { provide: EventLogTransport, useClass: KafkaEventLogTransport },
];

const EMBEDDED_PROVIDERS: Provider[] = [
  EmbeddedEventLog,
  // Hears no attempts in embedded mode; the command side asks it all the same.
  ProduceAttempts,
  // Reports nothing in embedded mode; injected where Kafka's refusals are summarised.
  KafkaAccessReport,
  {
    provide: EVENT_LOG_CLIENT,
    inject: [EmbeddedEventLog],
    useFactory: (log: EmbeddedEventLog) => new EmbeddedLogClient(log),
  },
  { provide: LogEndOffsets, useClass: EmbeddedLogEndOffsets },
  { provide: EventLogTransport, useClass: EmbeddedEventLogTransport },
];
