import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { NodeConfig } from '@clusterlite/core';
import { kafkaConnection } from './kafka/kafka-connection.js';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { EmbeddedEventLog } from './embedded/embedded-event-log.js';
import { LogEndOffsets } from './event-log.ports.js';

/** High watermarks from the Kafka brokers, for the lag in the status endpoint. */
@Injectable()
export class KafkaLogEndOffsets
  extends LogEndOffsets
  implements OnApplicationShutdown
{
  private admin: Admin | null = null;

  constructor(@Inject(NodeConfig) private readonly config: NodeConfig) {
    super();
  }

  async endOffsets(topics: string[]): Promise<Map<string, bigint>> {
    if (!this.admin) {
      const kafka = new Kafka({
        ...kafkaConnection(this.config),
        clientId: `clusterlite-${this.config.nodeId}-status`,
        connectionTimeout:
          this.config.kafkaTls || this.config.kafkaSasl ? 3_000 : 1_000,
        requestTimeout: 2_000,
        retry: { retries: 0 },
        logLevel: logLevel.NOTHING,
      });
      const admin = kafka.admin();
      try {
        await admin.connect();
      } catch (error) {
        // A new admin (and a fresh login) on the next call.
        await admin.disconnect().catch(() => undefined);
        throw error;
      }
      this.admin = admin;
    }
    const ends = new Map<string, bigint>();
    for (const topic of topics) {
      for (const partition of await this.admin.fetchTopicOffsets(topic)) {
        ends.set(`${topic}:${partition.partition}`, BigInt(partition.high));
      }
    }
    return ends;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.admin?.disconnect();
  }
}

@Injectable()
export class EmbeddedLogEndOffsets extends LogEndOffsets {
  constructor(private readonly log: EmbeddedEventLog) {
    super();
  }

  async endOffsets(topics: string[]): Promise<Map<string, bigint>> {
    const ends = new Map<string, bigint>();
    for (const topic of topics)
      ends.set(`${topic}:0`, BigInt(await this.log.endOffset(topic)));
    return ends;
  }
}
