import { Injectable, Logger } from '@nestjs/common';
import { ClientKafka } from '@nestjs/microservices';
import { NodeConfig } from '@clusterlite/core';
import { EntityRegistry } from '@clusterlite/registry';
import type { Kafka } from 'kafkajs';

const STARTUP_ATTEMPTS = 30;

/**
 * Creates the topic of every table (one partition, so a table's events are
 * totally ordered) and the dead-letter topic, before the node serves.
 */
@Injectable()
export class KafkaTopics {
  private readonly logger = new Logger(KafkaTopics.name);

  constructor(
    private readonly config: NodeConfig,
    private readonly registry: EntityRegistry,
  ) {}

  tableTopics(): string[] {
    return this.registry.all().map((definition) => this.config.topicFor(definition.table));
  }

  async ensure(client: ClientKafka): Promise<void> {
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
              })),
            });
            if (created) this.logger.log(`Created topics ${missing.join(', ')}`);
          }
        } finally {
          await admin.disconnect();
        }
        return;
      } catch (error) {
        if (attempt >= STARTUP_ATTEMPTS) throw error;
        this.logger.warn(
          `Kafka at ${this.config.kafkaBrokers.join(',')} not ready (${String(error)}); retry ${attempt}/${STARTUP_ATTEMPTS}`,
        );
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }
}
