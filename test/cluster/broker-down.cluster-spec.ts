import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKafkaBroker, type KafkaBroker } from '../../tools/kafka/broker.mjs';
import { NodeProcess } from '../support/node-process.js';

describe('Writes while Kafka is unreachable', () => {
  let broker: KafkaBroker;
  let node: NodeProcess;

  beforeAll(async () => {
    // A broker of its own: this test stops it.
    broker = await startKafkaBroker({ dataDir: mkdtempSync(join(tmpdir(), 'clusterlite-kafka-down-')) });
    node = await NodeProcess.start({ nodeId: 'lonely', brokers: broker.brokers, env: { WRITE_TIMEOUT_MS: '3000' } });
  });

  afterAll(async () => {
    // With its broker gone the node cannot leave its group politely; end it.
    await node?.kill();
    await broker?.kill();
  });

  it('answers 503 with Retry-After, never 202, and keeps serving reads', async () => {
    const body = JSON.stringify({ name: 'John', email: 'john@example.com' });
    const headers = { 'Content-Type': 'application/json' };
    const before = await fetch(`${node.url}/users`, { method: 'POST', headers, body });
    expect(before.status).toBe(202);

    await broker.kill();
    const started = Date.now();
    const during = await fetch(`${node.url}/users`, { method: 'POST', headers, body });
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(during.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(Date.now() - started).toBeLessThan(10_000);

    const reads = await fetch(`${node.url}/users`);
    expect(reads.status).toBe(200);
  });
});
