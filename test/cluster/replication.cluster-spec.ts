import { inject } from 'vitest';
import { existsSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import {
  NodeProcess,
  eventually,
  uniqueTopicPrefix,
} from '../support/node-process.js';

const json = { 'Content-Type': 'application/json' };

async function post(node: NodeProcess, path: string, body: object) {
  const response = await fetch(`${node.url}${path}`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(202);
  return (await response.json()) as {
    id: string;
    eventId: string;
    position: string;
  };
}

async function send(
  node: NodeProcess,
  method: string,
  path: string,
  body?: object,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${node.url}${path}`, {
    method,
    headers: { ...json, ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  return {
    status: response.status,
    headers: response.headers,
    body: await response
      .text()
      .then((text) => (text ? JSON.parse(text) : null)),
  };
}

async function rowsOf(node: NodeProcess, table: string): Promise<any[]> {
  return (await send(node, 'GET', `/${table}?limit=1000`)).body;
}

describe('Replication through a real Kafka broker', () => {
  const brokers = inject('kafkaBrokers');
  const topicPrefix = uniqueTopicPrefix('replication');
  let a: NodeProcess;
  let b: NodeProcess;

  beforeAll(async () => {
    a = await NodeProcess.start({ nodeId: 'a', brokers, topicPrefix });
    b = await NodeProcess.start({ nodeId: 'b', brokers, topicPrefix });
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('runs every node in cluster mode with its own SQLite file and consumer group', async () => {
    const [statusA, statusB] = await Promise.all([a.status(), b.status()]);
    expect(statusA).toMatchObject({
      nodeId: 'a',
      mode: 'cluster',
      replicating: true,
    });
    expect(statusB).toMatchObject({
      nodeId: 'b',
      mode: 'cluster',
      replicating: true,
    });
    expect(a.dbPath).not.toBe(b.dbPath);
    expect(existsSync(a.dbPath) && existsSync(b.dbPath)).toBe(true);
    const admin = new Kafka({
      brokers: [brokers],
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    const groups = (await admin.listGroups()).groups.map(
      (group) => group.groupId,
    );
    await admin.disconnect();
    expect(groups).toEqual(
      expect.arrayContaining([`${topicPrefix}-a`, `${topicPrefix}-b`]),
    );
  });

  it('applies on node B an event written through node A', async () => {
    const created = await post(a, '/users', {
      name: 'John Doe',
      email: 'john@example.com',
    });
    const onB = await send(b, 'GET', `/users/${created.id}`, undefined, {
      'ClusterLite-Position': created.position,
    });
    expect(onB.status).toBe(200);
    expect(onB.body).toMatchObject({
      id: created.id,
      name: 'John Doe',
      email: 'john@example.com',
      version: 1,
    });
    expect(onB.headers.get('etag')).toBe('"1"');
  });

  it('answers Prefer: return=representation once the writing node applied its own event', async () => {
    const response = await send(
      a,
      'PUT',
      '/products/cup',
      { name: 'Cup', sku: 'CUP', price: 4.5, tags: ['x'], available: true },
      { Prefer: 'return=representation' },
    );
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      id: 'cup',
      version: 1,
      price: 4.5,
      tags: ['x'],
      available: true,
    });
  });

  it('neither re-applies nor skips events when node B restarts, cleanly or after SIGKILL', async () => {
    const row = await post(a, '/users', {
      name: 'Counter',
      email: 'counter@example.com',
    });
    let lastPatch = '';
    for (let i = 1; i <= 5; i++) {
      const patched = await send(a, 'PATCH', `/users/${row.id}`, {
        name: `Counter ${i}`,
      });
      expect(patched.status).toBe(202);
      lastPatch = patched.body.position;
    }
    // Both nodes past the last patch: equal tables alone also hold while both are one behind.
    for (const node of [a, b])
      await send(node, 'GET', `/users/${row.id}`, undefined, {
        'ClusterLite-Position': lastPatch,
      });
    await eventually(async () =>
      expect((await b.status()).tables).toEqual((await a.status()).tables),
    );
    const before = await rowsOf(b, 'users');
    expect(before.find((user) => user.id === row.id)).toMatchObject({
      name: 'Counter 5',
      version: 6,
    });

    await b.stop();
    const whileDown = await post(a, '/users', {
      name: 'While B was down',
      email: 'down@example.com',
    });
    await b.restart();
    const caughtUp = await send(b, 'GET', `/users/${whileDown.id}`, undefined, {
      'ClusterLite-Position': whileDown.position,
    });
    expect(caughtUp.status).toBe(200);
    const afterRestart = await rowsOf(b, 'users');
    expect(afterRestart.find((user) => user.id === row.id)).toMatchObject({
      version: 6,
    });
    expect(afterRestart).toHaveLength(before.length + 1);

    await b.kill();
    const whileCrashed = await post(a, '/users', {
      name: 'While B was dead',
      email: 'dead@example.com',
    });
    const sixth = await send(a, 'PATCH', `/users/${row.id}`, {
      name: 'Counter 6',
    });
    await b.restart();
    for (const node of [a, b])
      await send(node, 'GET', `/users/${row.id}`, undefined, {
        'ClusterLite-Position': sixth.body.position,
      });
    expect((await send(b, 'GET', `/users/${whileCrashed.id}`)).status).toBe(
      200,
    );
    await eventually(async () =>
      expect((await b.status()).tables).toEqual((await a.status()).tables),
    );
    const afterCrash = await rowsOf(b, 'users');
    expect(afterCrash.find((user) => user.id === row.id)).toMatchObject({
      name: 'Counter 6',
      version: 7,
    });
    expect(afterCrash).toHaveLength(before.length + 2);
    expect((await b.status()).rejectedEvents).toBe(0);
  });

  it('sets aside a message that is not an event and keeps applying the ones after it', async () => {
    const producer = new Kafka({
      brokers: [brokers],
      logLevel: logLevel.NOTHING,
    }).producer();
    await producer.connect();
    await producer.send({
      topic: `${topicPrefix}.users`,
      acks: -1,
      messages: [
        { key: 'x', value: Buffer.from([0xde, 0xad, 0xbe, 0xef]) },
        { key: 'y', value: '{"type":"created"}' },
      ],
    });
    await producer.disconnect();
    const after = await post(a, '/users', {
      name: 'After garbage',
      email: 'after@example.com',
    });
    for (const node of [a, b]) {
      const response = await send(
        node,
        'GET',
        `/users/${after.id}`,
        undefined,
        { 'ClusterLite-Position': after.position },
      );
      expect(response.status).toBe(200);
      expect((await node.status()).deadLetters).toBe(2);
    }
  });

  it('shows identical checksums on both nodes once they applied the same log', async () => {
    await eventually(async () => {
      const [statusA, statusB] = await Promise.all([a.status(), b.status()]);
      expect(statusB.tables).toEqual(statusA.tables);
      expect(statusB.topics.map((topic: any) => topic.appliedOffset)).toEqual(
        statusA.topics.map((topic: any) => topic.appliedOffset),
      );
      expect(statusA.topics.every((topic: any) => topic.lag === 0)).toBe(true);
    });
    // The checksums kept as events were applied are those of the rows now, on each node.
    for (const node of [a, b]) {
      const verified = await (
        await fetch(`${node.url}/_cluster/status?verify=true`)
      ).json();
      expect(verified.checksumsVerified).toBe(true);
      expect(verified.tables.every((table: any) => table.matches)).toBe(true);
    }
  });
});
