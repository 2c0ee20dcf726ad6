import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ClientKafka } from '@nestjs/microservices';
import { NodeConfig } from '@clusterlite/core';
import { EntityRegistry } from '@clusterlite/registry';
import { KafkaAccessReport } from './kafka-connection.js';
import type { Admin, ConfigResourceTypes, Kafka } from 'kafkajs';

/** kafkajs's `ConfigResourceTypes.TOPIC`: its CommonJS enum does not survive the ESM build. */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

const RETRY_DELAY_MS = 1_000;

/**
 * Creates the topic of every table (one partition, so a table's events are
 * totally ordered) and the dead-letter topic, keeping the log for ever unless
 * configured otherwise (`retention.ms`/`retention.bytes`, invariant 9), and
 * warns loudly about existing topics with a finite retention. Until Kafka
 * answers, the node serves reads from its own file and answers writes with
 * 503; it keeps trying.
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

  private topicConfig(): { name: string; value: string }[] {
    return [
      { name: 'retention.ms', value: String(this.config.retentionMs) },
      { name: 'retention.bytes', value: String(this.config.retentionBytes) },
      {
        name: 'min.insync.replicas',
        value: String(this.config.minInsyncReplicas),
      },
    ];
  }

  /** A topic that forgets events breaks the promise that a new node can rebuild from the log. */
  private async warnAboutRetention(
    admin: Admin,
    topics: string[],
  ): Promise<void> {
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({
        type: TOPIC_RESOURCE,
        name,
        configNames: ['retention.ms', 'retention.bytes'],
      })),
    });
    for (const resource of described.resources) {
      const finite = resource.configEntries.filter(
        (entry) => entry.configValue !== '-1',
      );
      if (finite.length > 0)
        this.logger.warn(
          `WARNING: topic ${resource.resourceName} has a finite retention (${finite
            .map((entry) => `${entry.configName}=${entry.configValue}`)
            .join(
              ', ',
            )}): events older than that are deleted, and a node that has not applied them (new, or down that long) stops that topic. Set retention.ms=-1 and retention.bytes=-1 on it.`,
        );
    }
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
                configEntries: this.topicConfig(),
              })),
            });
            if (created)
              this.logger.log(
                `Created topics ${missing.join(', ')} (${this.topicConfig()
                  .map((entry) => `${entry.name}=${entry.value}`)
                  .join(', ')})`,
              );
          }
          await this.warnAboutRetention(admin, topics).catch(
            (error: unknown) =>
              this.access.report(error) ||
              this.logger.warn(
                `Could not read the retention of ${topics.join(', ')}: ${String(error)}`,
              ),
          );
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
