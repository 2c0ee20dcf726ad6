import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import {
  ClientKafka,
  type CustomTransportStrategy,
} from '@nestjs/microservices';
import { NodeConfig } from '@clusterlite/core';
import {
  EVENT_LOG_CLIENT,
  type LogConsumer,
  type ResumePolicy,
} from '../event-log.ports.js';
import { EventLogTransport } from '../event-log.transport.js';
import { kafkaConsumerOptions } from './kafka-options.js';
import { KafkaAccessReport } from './kafka-connection.js';
import { KafkaProjectionServer } from './kafka-projection.server.js';
import { KafkaTopics } from './kafka-topics.js';

/** Cluster mode: the log is Kafka, through Nest's `ClientKafka` and a `ServerKafka` subclass. */
@Injectable()
export class KafkaEventLogTransport
  extends EventLogTransport
  implements OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger('ClusterLite');

  constructor(
    private readonly config: NodeConfig,
    private readonly topics: KafkaTopics,
    @Inject(EVENT_LOG_CLIENT) private readonly client: ClientKafka,
    private readonly access: KafkaAccessReport,
  ) {
    super();
  }

  /** Does not wait for Kafka: the node serves reads from its file meanwhile (see KafkaTopics). */
  onApplicationBootstrap(): void {
    void this.topics.ensure(this.client).catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }

  server(consumer: LogConsumer, policy: ResumePolicy): CustomTransportStrategy {
    return new KafkaProjectionServer(
      consumer,
      this.config.deadLetterTopic,
      kafkaConsumerOptions(this.config),
      policy,
      this.access,
      this.config.fetchLingerMs,
    );
  }

  /** Consumes once the topics exist. */
  async consumeWhenReady(start: () => Promise<unknown>): Promise<void> {
    void this.topics
      .whenReady()
      .then(start)
      .catch((error: unknown) =>
        this.logger.error(`Projection did not start: ${String(error)}`),
      );
  }
}
