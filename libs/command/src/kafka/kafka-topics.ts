import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ClientKafka } from '@nestjs/microservices';
import { KafkaAccessReport, NodeConfig } from '@clusterlite/core';
import { EntityRegistry } from '@clusterlite/registry';
import type { Kafka } from 'kafkajs';

const RETRY_DELAY_MS = 1_000;

/**
 * Creates the topic of every table (one partition, so a table's events are
 * totally ordered) and the dead-letter topic. Until Kafka answers, the node
 * serves reads from its own file and answers writes with 503; it keeps trying.
 */
@Injectable()
export class KafkaTopics implements OnApplicationShutdown {
  private readonly logger = new Logger(KafkaTopics.name);
  private ensured: Promise<void> | null = null;
  private stopping = false;

  constructor(
    private readonly config: NodeConfig,
    private readonly registry: EntityRegistry,
    private readonly access: KafkaAccessReport,
  ) {}

  tableTopics(): string[] {
    return this.registry
      .all()
      .map((definition) => this.config.topicFor(definition.table));
  }

  /** Starts creating the topics (once); resolves when they exist. */
  ensure(client: ClientKafka): Promise<void> {
    this.ensured ??= this.createTopics(client);
    return this.ensured;
  }

  /** Resolves once the topics exist (after `ensure`). */
  whenReady(): Promise<void> {
    return (
      this.ensured ??
      Promise.reject(new Error('KafkaTopics.ensure() was not called'))
    );
  }

  onApplicationShutdown(): void {
    this.stopping = true;
  }

  private async createTopics(client: ClientKafka): Promise<void> {
    const topics = [...this.tableTopics(), this.config.deadLetterTopic];
    for (let attempt = 1; ; attempt++) {
      try {
        await client.connect();
        const admin = client.unwrap<Kafka>().admin();
        await admin.connect();
        try {
          const existing = new Set(await admin.listTopics());
          const missing = topics.filter((topic) => !existing.has(topic));
          if (missing.length > 0) {
            // False when another node created them first: nothing to log then.
            const created = await admin.createTopics({
              waitForLeaders: true,
              topics: missing.map((topic) => ({
                topic,
                numPartitions: 1,
                replicationFactor: this.config.replicationFactor,
                ...(this.config.minInsyncReplicas === null
                  ? {}
                  : {
                      configEntries: [
                        {
                          name: 'min.insync.replicas',
                          value: String(this.config.minInsyncReplicas),
                        },
                      ],
                    }),
              })),
            });
            if (created)
              this.logger.log(`Created topics ${missing.join(', ')}`);
          }
        } finally {
          await admin.disconnect();
        }
        this.access.accepted();
        return;
      } catch (error) {
        if (this.stopping) throw error;
        // A refused login or certificate is said once (each attempt builds a new client, so a
        // corrected password file is read again); anything else now and then.
        const refused = this.access.report(error);
        if (!refused && (attempt === 1 || attempt % 30 === 0)) {
          // A broker that speaks only TLS or SASL just closes a plaintext connection.
          const hint =
            this.config.kafkaTls || this.config.kafkaSasl
              ? ''
              : ' (if the brokers require TLS or SASL, set KAFKA_SSL and KAFKA_SASL_*)';
          this.logger.warn(
            `Kafka at ${this.config.kafkaBrokers.join(',')} not reachable (${String(error)})${hint}; serving reads, writes answer 503; still trying`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
      }
    }
  }
}
