import {
  Global,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  Inject,
} from '@nestjs/common';
import { ClientKafka, ClientProxy } from '@nestjs/microservices';
import {
  EmbeddedEventLog,
  NodeConfig,
  kafkaProducerOptions,
} from '@clusterlite/core';
import { EntityCommands } from '@clusterlite/registry';
import { CommandService, EVENT_LOG_CLIENT } from './command.service.js';
import { EmbeddedLogClient } from './embedded/embedded-log.client.js';
import { KafkaTopics } from './kafka/kafka-topics.js';
import { ProduceAttempts } from './kafka/produce-attempts.js';

/**
 * The write side: HTTP command → event → log. In cluster mode the log is
 * Kafka through Nest's `ClientKafka`; in embedded mode it is a table of the
 * node's own SQLite file, through `EmbeddedLogClient`.
 */
@Global()
@Module({
  providers: [
    KafkaTopics,
    ProduceAttempts,
    {
      provide: EVENT_LOG_CLIENT,
      inject: [NodeConfig, EmbeddedEventLog, ProduceAttempts],
      useFactory: (
        config: NodeConfig,
        log: EmbeddedEventLog,
        attempts: ProduceAttempts,
      ): ClientProxy =>
        config.mode === 'cluster'
          ? (new ClientKafka(
              kafkaProducerOptions(config, attempts.logCreator),
            ) as unknown as ClientProxy)
          : new EmbeddedLogClient(log),
    },
    CommandService,
    { provide: EntityCommands, useExisting: CommandService },
  ],
  exports: [EntityCommands, KafkaTopics, EVENT_LOG_CLIENT],
})
export class CommandModule
  implements OnApplicationBootstrap, OnApplicationShutdown
{
  constructor(
    @Inject(EVENT_LOG_CLIENT) private readonly client: ClientProxy,
    private readonly topics: KafkaTopics,
  ) {}

  /** Does not wait for Kafka: the node serves reads from its file meanwhile (see KafkaTopics). */
  async onApplicationBootstrap(): Promise<void> {
    if (this.client instanceof ClientKafka)
      void this.topics.ensure(this.client).catch(() => undefined);
    else await this.client.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
