import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import {
  ensureKafkaJars,
  startKafkaBroker,
  type KafkaBroker,
} from '../../tools/kafka/broker.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
  }
}

/**
 * Builds the node once (cluster tests run real node processes from the build)
 * and starts one real Kafka broker for the whole run, unless KAFKA_BROKERS
 * points at one.
 */
export default async function setup(
  project: TestProject,
): Promise<() => Promise<void>> {
  execFileSync('npx', ['nest', 'build', 'node'], { stdio: 'inherit' });
  let broker: KafkaBroker | undefined;
  let brokers = process.env.KAFKA_BROKERS;
  if (!brokers) {
    await ensureKafkaJars();
    broker = await startKafkaBroker({
      dataDir: mkdtempSync(join(tmpdir(), 'clusterlite-kafka-')),
    });
    brokers = broker.brokers;
    process.stdout.write(
      `Kafka broker ready at ${brokers} (${broker.startupMs} ms)\n`,
    );
  }
  project.provide('kafkaBrokers', brokers);
  return async () => {
    await broker?.stop();
  };
}
