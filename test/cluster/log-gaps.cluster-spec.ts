import { inject } from 'vitest';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  NodeProcess,
  eventually,
  uniqueTopicPrefix,
} from '../support/node-process.js';

/**
 * Issue 17, faults 7 and 10: a node never goes on silently from a position
 * the log no longer holds, nor with a file of another log.
 */
describe('Gaps in the log and files of another log', () => {
  const brokers = inject('kafkaBrokers');
  const headers = { 'Content-Type': 'application/json' };
  let admin: Admin;
  const nodes: NodeProcess[] = [];
  const start = async (
    options: Parameters<typeof NodeProcess.start>[0],
  ): Promise<NodeProcess> => {
    const node = await NodeProcess.start(options);
    nodes.push(node);
    return node;
  };
  const createUser = async (node: NodeProcess, name: string) => {
    const answer = await fetch(`${node.url}/users`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name, email: 'gap@example.com' }),
    });
    expect(answer.status).toBe(202);
    return (await answer.json()) as { id: string; position: string };
  };
  const names = async (node: NodeProcess) =>
    (
      (await (await fetch(`${node.url}/users?limit=1000`)).json()) as {
        name: string;
      }[]
    )
      .map((user) => user.name)
      .sort();
  const readiness = async (node: NodeProcess) => {
    const answer = await fetch(`${node.url}/_cluster/health/ready`);
    return { status: answer.status, body: await answer.json() };
  };
  const usersTopicOf = async (node: NodeProcess) =>
    (await node.status()).topics.find((topic: { topic: string }) =>
      topic.topic.endsWith('.users'),
    );
  const recreate = async (topic: string) => {
    await admin.deleteTopics({ topics: [topic], timeout: 30_000 });
    await eventually(async () => {
      expect(await admin.listTopics()).not.toContain(topic);
    }, 30_000);
    await eventually(
      async () => {
        await admin.createTopics({
          waitForLeaders: true,
          topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
        });
        expect(await admin.listTopics()).toContain(topic);
      },
      30_000,
      500,
    );
  };

  beforeAll(async () => {
    admin = new Kafka({
      clientId: 'log-gaps-test',
      brokers: [brokers],
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
  });

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await admin?.disconnect();
  });

  it('stops a topic that was deleted and re-created (offsets reused): not ready with the reason, rows unchanged, other topics go on', async () => {
    const topicPrefix = uniqueTopicPrefix('recreated');
    const topic = `${topicPrefix}.users`;
    const old = await start({ nodeId: 'gap-old', brokers, topicPrefix });
    for (const name of ['Old 1', 'Old 2', 'Old 3']) await createUser(old, name);
    await eventually(async () =>
      expect((await usersTopicOf(old)).appliedOffset).toBe('2'),
    );
    await old.stop();

    await recreate(topic);
    // A fresh node writes five other users: offsets 0-4 of the new topic.
    const fresh = await start({ nodeId: 'gap-new', brokers, topicPrefix });
    for (const name of ['New 1', 'New 2', 'New 3', 'New 4', 'New 5'])
      await createUser(fresh, name);

    await old.restart({ until: 'live' });
    const ready = await eventually(async () => {
      const answer = await readiness(old);
      expect(answer.status).toBe(503);
      expect(answer.body.error?.log?.message).toMatch(/re-created/);
      return answer;
    }, 60_000);
    expect(ready.body.error.log.message).toContain(topic);
    expect((await usersTopicOf(old)).stopped).toMatch(/re-created/);
    // Nothing of the new topic was applied, nothing of the old rows lost.
    expect(await names(old)).toEqual(['Old 1', 'Old 2', 'Old 3']);
    expect((await usersTopicOf(old)).appliedOffset).toBe('2');
    // A write it would never apply is refused.
    const refused = await fetch(`${old.url}/users`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'Refused', email: 'gap@example.com' }),
    });
    expect(refused.status).toBe(503);
    expect((await refused.json()).type).toBe(
      'urn:clusterlite:problem:log-stopped',
    );
    // The products topic goes on.
    const product = await fetch(`${fresh.url}/products`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        name: 'Still here',
        sku: `GAP-${Date.now()}`,
        price: 1,
        tags: [],
        available: true,
      }),
    });
    expect(product.status).toBe(202);
    const { id, position } = await product.json();
    const read = await fetch(`${old.url}/products/${id}`, {
      headers: { 'ClusterLite-Position': position },
    });
    expect(read.status).toBe(200);
    // Still stopped after all that.
    expect(await names(old)).toEqual(['Old 1', 'Old 2', 'Old 3']);
  });

  it('stops a topic whose stored position is beyond the log end', async () => {
    const topicPrefix = uniqueTopicPrefix('beyond');
    const topic = `${topicPrefix}.users`;
    const node = await start({ nodeId: 'gap-beyond', brokers, topicPrefix });
    for (const name of ['One', 'Two', 'Three']) await createUser(node, name);
    await eventually(async () =>
      expect((await usersTopicOf(node)).appliedOffset).toBe('2'),
    );
    await node.stop();
    await recreate(topic);

    await node.restart({ until: 'live' });
    await eventually(async () => {
      const answer = await readiness(node);
      expect(answer.status).toBe(503);
      expect(answer.body.error?.log?.message).toMatch(/beyond the log end/);
    }, 60_000);
    const users = await usersTopicOf(node);
    expect(users.stopped).toMatch(/beyond the log end \(0\)/);
    expect(users.appliedOffset).toBe('2');
    expect(await names(node)).toEqual(['One', 'Three', 'Two']);
  });

  it('stops a topic whose next event was removed (retention, deleted records), and a new node on a log that lost its beginning', async () => {
    const topicPrefix = uniqueTopicPrefix('trimmed');
    const topic = `${topicPrefix}.users`;
    const behind = await start({ nodeId: 'gap-behind', brokers, topicPrefix });
    for (const name of ['Kept 1', 'Kept 2']) await createUser(behind, name);
    await eventually(async () =>
      expect((await usersTopicOf(behind)).appliedOffset).toBe('1'),
    );
    await behind.stop();
    // Written while it was down, then removed from the log as retention would.
    const writer = await start({ nodeId: 'gap-writer', brokers, topicPrefix });
    for (const name of ['Gone 1', 'Gone 2', 'Gone 3', 'Later'])
      await createUser(writer, name);
    // The admin learns the new topic's leader first.
    await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.deleteTopicRecords({
      topic,
      partitions: [{ partition: 0, offset: '5' }],
    });

    await behind.restart({ until: 'live' });
    await eventually(async () => {
      const answer = await readiness(behind);
      expect(answer.status).toBe(503);
      expect(answer.body.error?.log?.message).toMatch(/below the log start/);
    }, 60_000);
    expect((await usersTopicOf(behind)).stopped).toMatch(
      /offset 2\) is below the log start \(5\)/,
    );
    expect(await names(behind)).toEqual(['Kept 1', 'Kept 2']);

    const newcomer = await start({
      nodeId: 'gap-newcomer',
      brokers,
      topicPrefix,
      until: 'live',
    });
    await eventually(async () => {
      const answer = await readiness(newcomer);
      expect(answer.status).toBe(503);
      expect(answer.body.error?.log?.message).toMatch(
        /offset 0\) is below the log start \(5\)/,
      );
    }, 60_000);
    expect(await names(newcomer)).toEqual([]);
  });

  it('refuses a file of the embedded log in cluster mode: not ready, says what to do, accepts no write it would not apply', async () => {
    const dbPath = join(
      mkdtempSync(join(tmpdir(), 'clusterlite-other-log-')),
      'node.sqlite',
    );
    const embedded = await start({ nodeId: 'embedded-first', dbPath });
    for (const name of ['Local 1', 'Local 2', 'Local 3', 'Local 4', 'Local 5'])
      await createUser(embedded, name);
    await embedded.stop();

    const topicPrefix = uniqueTopicPrefix('other-log');
    const node = await start({
      nodeId: 'embedded-first',
      brokers,
      topicPrefix,
      dbPath,
      until: 'live',
    });
    const ready = await eventually(async () => {
      const answer = await readiness(node);
      expect(answer.status).toBe(503);
      expect(answer.body.error?.log?.message).toMatch(/embedded log/);
      return answer;
    }, 60_000);
    expect(ready.body.error.log.message).toMatch(/new DB_PATH/);
    expect(
      (await node.status()).topics.every((topic: { stopped: string | null }) =>
        topic.stopped?.includes('DB_PATH'),
      ),
    ).toBe(true);
    // Its rows are still served; a write it could never apply is refused, not answered 202.
    expect(await names(node)).toEqual([
      'Local 1',
      'Local 2',
      'Local 3',
      'Local 4',
      'Local 5',
    ]);
    const refused = await fetch(`${node.url}/users`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'Lost?', email: 'gap@example.com' }),
    });
    expect(refused.status).toBe(503);
    expect((await refused.json()).detail).toMatch(/new DB_PATH/);

    // The README's way: a cluster node on its own file catches up from the log.
    const fresh = await start({
      nodeId: 'embedded-first',
      brokers,
      topicPrefix,
      dbPath: `${dbPath}.cluster`,
    });
    const written = await createUser(fresh, 'Clustered');
    const read = await fetch(`${fresh.url}/users/${written.id}`, {
      headers: { 'ClusterLite-Position': written.position },
    });
    expect(read.status).toBe(200);
  });
});
