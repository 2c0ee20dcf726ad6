import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startKafkaBroker,
  type KafkaBroker,
} from '../../tools/kafka/broker.mjs';
import { NodeProcess, eventually } from '../support/node-process.js';

describe('Writes while Kafka is unreachable', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'clusterlite-kafka-down-'));
  let broker: KafkaBroker;
  let node: NodeProcess;
  const headers = { 'Content-Type': 'application/json' };
  const write = (name: string) =>
    fetch(`${node.url}/users`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name, email: 'john@example.com' }),
    });

  beforeAll(async () => {
    // A broker of its own: this test stops it.
    broker = await startKafkaBroker({ dataDir });
    node = await NodeProcess.start({
      nodeId: 'lonely',
      brokers: broker.brokers,
      env: { WRITE_TIMEOUT_MS: '3000' },
    });
  });

  afterAll(async () => {
    // With its broker gone the node cannot leave its group politely; end it.
    await node?.kill();
    await broker?.kill();
  });

  it('answers 503 with Retry-After, never 202, and keeps serving reads', async () => {
    const before = await write('Before');
    expect(before.status).toBe(202);
    const { position } = await before.json();
    expect(
      (
        await fetch(`${node.url}/users`, {
          headers: { 'ClusterLite-Position': position },
        })
      ).status,
    ).toBe(200);

    await broker.kill();
    const started = Date.now();
    const during = await write('During');
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(during.headers.get('content-type')).toMatch(
      /^application\/problem\+json/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);

    const reads = await fetch(`${node.url}/users`);
    expect(reads.status).toBe(200);
    expect(
      (await reads.json()).map((user: { name: string }) => user.name),
    ).toEqual(['Before']);
  });

  it('starts without the broker: serves reads from its file, is not ready, and catches up when Kafka is back', async () => {
    await node.kill();
    await node.restart({ until: 'live' });
    const reads = await fetch(`${node.url}/users`);
    expect(reads.status).toBe(200);
    expect(
      (await reads.json()).map((user: { name: string }) => user.name),
    ).toEqual(['Before']);
    expect((await write('Still down')).status).toBe(503);
    expect((await fetch(`${node.url}/_cluster/health/ready`)).status).toBe(503);

    broker = await startKafkaBroker({ dataDir });
    await eventually(
      async () =>
        expect((await fetch(`${node.url}/_cluster/health/ready`)).status).toBe(
          200,
        ),
      60_000,
      500,
    );
    const after = await eventually(
      async () => {
        const response = await write('After');
        expect(response.status).toBe(202);
        return response.json();
      },
      30_000,
      500,
    );
    const read = await fetch(`${node.url}/users/${after.id}`, {
      headers: { 'ClusterLite-Position': after.position },
    });
    expect(read.status).toBe(200);
  });
});
