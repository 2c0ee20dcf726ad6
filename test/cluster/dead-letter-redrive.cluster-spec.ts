import { inject } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { v7 as uuidv7 } from 'uuid';
import {
  NodeProcess,
  eventually,
  uniqueTopicPrefix,
} from '../support/node-process.js';

async function call(node: NodeProcess, method: string, path: string) {
  const response = await fetch(`${node.url}${path}`, { method });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: text ? JSON.parse(text) : null,
  };
}

describe('Dead letters re-driven through a real Kafka broker', () => {
  const brokers = inject('kafkaBrokers');
  const topicPrefix = uniqueTopicPrefix('redrive');
  let nodes: NodeProcess[];

  beforeAll(async () => {
    nodes = await Promise.all(
      ['rd-1', 'rd-2'].map((nodeId) =>
        NodeProcess.start({ nodeId, brokers, topicPrefix }),
      ),
    );
  });

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  });

  it('sends the event back through the log: every node applies it and marks its dead letter', async () => {
    // A users event written to the products topic: every node dead-letters it the same way.
    const original = {
      eventId: uuidv7(),
      type: 'replaced',
      table: 'users',
      entityId: 'lost',
      data: { name: 'Lost Letter', email: 'lost@example.com' },
      expectedVersion: null,
      occurredAt: '2026-11-30T12:00:00.000Z',
      origin: 'elsewhere',
      schemaVersion: 1,
    };
    const producer = new Kafka({
      brokers: [brokers],
      logLevel: logLevel.NOTHING,
    }).producer();
    await producer.connect();
    const [sent] = await producer.send({
      topic: `${topicPrefix}.products`,
      acks: -1,
      messages: [{ key: 'lost', value: JSON.stringify(original) }],
    });
    await producer.disconnect();
    const id = `${topicPrefix}.products:0:${sent.baseOffset}`;
    for (const node of nodes) {
      await eventually(async () => {
        expect(
          (await call(node, 'GET', '/_cluster/dead-letters')).body,
        ).toEqual([expect.objectContaining({ id, redrivenBy: null })]);
      }, 60_000);
    }

    const retry = await call(
      nodes[0],
      'POST',
      `/_cluster/dead-letters/${id}/retry`,
    );
    expect(retry.status).toBe(202);
    expect(retry.body.position).toMatch(
      new RegExp(`^${topicPrefix}\\.users:0:`),
    );

    for (const node of nodes) {
      await eventually(async () => {
        expect((await call(node, 'GET', '/users/lost')).body).toMatchObject({
          name: 'Lost Letter',
          createdAt: original.occurredAt,
        });
        expect(
          (await call(node, 'GET', '/_cluster/dead-letters')).body,
        ).toEqual([
          expect.objectContaining({ id, redrivenBy: retry.body.eventId }),
        ]);
      }, 60_000);
    }
    const [one, two] = await Promise.all(nodes.map((node) => node.status()));
    expect(two.tables).toEqual(one.tables);

    // Re-driven once for the whole cluster: the other node refuses a second re-drive.
    const again = await call(
      nodes[1],
      'POST',
      `/_cluster/dead-letters/${id}/retry`,
    );
    expect(again.status).toBe(409);
    expect(again.type).toMatch(/^application\/problem\+json/);
    expect(again.body.type).toBe(
      'urn:clusterlite:problem:dead-letter-already-redriven',
    );
  });
});
