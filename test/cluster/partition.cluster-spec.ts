import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  findFreePort,
  startKafkaBroker,
  type KafkaBroker,
} from '../../tools/kafka/broker.mjs';
import { NodeProcess, eventually } from '../support/node-process.js';

/**
 * Issue 17, fault 9: a node cut off from the broker by a real network
 * partition. The node runs in a network namespace of its own, joined to the
 * host by two veth pairs on private /30 subnets: one carries its Kafka
 * traffic (the link the test cuts), the other the test's HTTP requests.
 */
const suffix = (process.pid % 50_000).toString(36);
const NAMESPACE = `cl-part-${suffix}`;
const octet = 200 + (process.pid % 50);
const KAFKA_NET = { host: `10.${octet}.7.1`, node: `10.${octet}.7.2` };
const HTTP_NET = { host: `10.${octet}.7.5`, node: `10.${octet}.7.6` };
const KAFKA_VETH = `clk${suffix}`;
const HTTP_VETH = `clh${suffix}`;

const ip = (...args: string[]) =>
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
const inNamespace = (...args: string[]) =>
  ip('netns', 'exec', NAMESPACE, 'ip', ...args);

/** Network namespaces need root and a kernel that allows them: try once. */
function namespacesAvailable(): boolean {
  try {
    ip('netns', 'add', NAMESPACE);
    ip('netns', 'delete', NAMESPACE);
    return true;
  } catch (error) {
    process.stdout.write(
      `SKIPPED test/cluster/partition: network namespaces are unavailable here (ip netns add: ${String(error).split('\n')[0]})\n`,
    );
    return false;
  }
}

function createNetwork(): void {
  ip('netns', 'add', NAMESPACE);
  inNamespace('link', 'set', 'lo', 'up');
  for (const [veth, net] of [
    [KAFKA_VETH, KAFKA_NET],
    [HTTP_VETH, HTTP_NET],
  ] as const) {
    ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', `${veth}n`);
    ip('link', 'set', `${veth}n`, 'netns', NAMESPACE);
    ip('addr', 'add', `${net.host}/30`, 'dev', veth);
    ip('link', 'set', veth, 'up');
    inNamespace('addr', 'add', `${net.node}/30`, 'dev', `${veth}n`);
    inNamespace('link', 'set', `${veth}n`, 'up');
  }
}

function removeNetwork(): void {
  // Deleting the namespace deletes its veth ends, and with them the host ends.
  for (const step of [
    () => ip('netns', 'delete', NAMESPACE),
    () => ip('link', 'delete', KAFKA_VETH),
    () => ip('link', 'delete', HTTP_VETH),
  ]) {
    try {
      step();
    } catch {
      /* already gone */
    }
  }
}

const available = namespacesAvailable();

describe.skipIf(!available)('A network partition', () => {
  let broker: KafkaBroker;
  let nodes: NodeProcess[] = [];
  let isolated: NodeProcess;
  const headers = { 'Content-Type': 'application/json' };

  beforeAll(async () => {
    removeNetwork();
    createNetwork();
    const [port, controllerPort, isolatedPort] = await Promise.all([
      findFreePort(),
      findFreePort(),
      findFreePort(),
    ]);
    const outsidePort = await findFreePort();
    // Two listeners: the host's nodes on 127.0.0.1, the namespaced node across the Kafka veth.
    broker = await startKafkaBroker({
      dataDir: mkdtempSync(join(tmpdir(), 'clusterlite-kafka-partition-')),
      port,
      controllerPort,
      serverProperties: {
        listeners: `PLAINTEXT://127.0.0.1:${port},PARTITIONED://${KAFKA_NET.host}:${outsidePort},CONTROLLER://127.0.0.1:${controllerPort}`,
        'advertised.listeners': `PLAINTEXT://127.0.0.1:${port},PARTITIONED://${KAFKA_NET.host}:${outsidePort}`,
        'listener.security.protocol.map':
          'PLAINTEXT:PLAINTEXT,PARTITIONED:PLAINTEXT,CONTROLLER:PLAINTEXT',
      },
    });
    nodes = await Promise.all(
      ['part-a', 'part-b'].map((nodeId) =>
        NodeProcess.start({
          nodeId,
          brokers: broker.brokers,
          env: { WRITE_TIMEOUT_MS: '2000' },
        }),
      ),
    );
    isolated = await NodeProcess.start({
      nodeId: 'part-c',
      brokers: `${KAFKA_NET.host}:${outsidePort}`,
      port: isolatedPort,
      host: HTTP_NET.node,
      wrapper: ['ip', 'netns', 'exec', NAMESPACE],
      env: { WRITE_TIMEOUT_MS: '2000' },
    });
    nodes.push(isolated);
  });

  afterAll(async () => {
    try {
      ip('link', 'set', KAFKA_VETH, 'up');
    } catch {
      /* no network */
    }
    await Promise.all(nodes.map((node) => node.stop()));
    await broker?.stop();
    removeNetwork();
  });

  it('cut off mid-load, a node serves reads, answers writes 503, is not ready, and converges after the heal; every 202 is on every node', async () => {
    const accepted = new Map<string, string>(); // id → position
    const unknown: string[] = [];
    const refused: string[] = []; // names of writes answered 503
    let running = true;
    let written = 0;
    const writeLoop = async (node: NodeProcess) => {
      while (running) {
        const name = `${node.nodeId} ${written++}`;
        const answer = await fetch(`${node.url}/users`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ name, email: 'partition@example.com' }),
        }).catch(() => null);
        if (answer?.status === 202) {
          const { id, position } = await answer.json();
          accepted.set(id, position);
        } else if (answer?.status === 504) {
          unknown.push((await answer.json()).eventId);
        } else {
          if (answer?.status === 503) refused.push(name);
          await answer?.body?.cancel();
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    };
    const load = Promise.all(nodes.map((node) => writeLoop(node)));
    await eventually(
      async () => expect(accepted.size).toBeGreaterThan(30),
      30_000,
    );

    ip('link', 'set', KAFKA_VETH, 'down');
    const cutAt = accepted.size;
    // Reads go on from its own file; writes are refused once it knows; not ready.
    const during = await fetch(`${isolated.url}/users?limit=5`);
    expect(during.status).toBe(200);
    await eventually(
      async () => {
        const answer = await fetch(`${isolated.url}/users`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ name: 'Cut off', email: 'p@example.com' }),
        });
        expect(answer.status).toBe(503);
        expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
      },
      60_000,
      500,
    );
    await eventually(
      async () =>
        expect(
          (await fetch(`${isolated.url}/_cluster/health/ready`)).status,
        ).toBe(503),
      30_000,
      500,
    );
    // The other nodes keep accepting writes meanwhile.
    await eventually(
      async () => expect(accepted.size).toBeGreaterThan(cutAt + 30),
      30_000,
    );

    ip('link', 'set', KAFKA_VETH, 'up');
    await eventually(
      async () =>
        expect(
          (await fetch(`${isolated.url}/_cluster/health/ready`)).status,
        ).toBe(200),
      120_000,
      1_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    running = false;
    await load;

    // Every write answered 202 by any node is on every node, and the replicas are identical.
    const last = [...accepted.values()].reduce((a, b) =>
      BigInt(a.split(':').at(-1)!) > BigInt(b.split(':').at(-1)!) ? a : b,
    );
    const statuses = await eventually(
      async () => {
        const all = await Promise.all(nodes.map((node) => node.status()));
        for (const status of all)
          expect(
            status.topics.find((t: { topic: string }) =>
              t.topic.endsWith('.users'),
            ).lag,
          ).toBe(0);
        expect(all[1].tables).toEqual(all[0].tables);
        expect(all[2].tables).toEqual(all[0].tables);
        return all;
      },
      120_000,
      1_000,
    );
    expect(refused.length).toBeGreaterThan(0);
    for (const node of nodes) {
      const ids = new Set<string>();
      const names = new Set<string>();
      let after = '';
      for (;;) {
        const page = await fetch(
          `${node.url}/users?fields=id,name&limit=1000${after ? `&after=${after}` : ''}`,
          { headers: { 'ClusterLite-Position': last } },
        );
        expect(page.status).toBe(200);
        const rows = (await page.json()) as { id: string; name: string }[];
        for (const row of rows) {
          ids.add(row.id);
          names.add(row.name);
        }
        if (rows.length < 1000) break;
        after = rows.at(-1)!.id;
      }
      const missing = [...accepted.keys()].filter((id) => !ids.has(id));
      expect(missing).toEqual([]);
      // A 503 said "not written": such a write never appears, even after the heal.
      expect(refused.filter((name) => names.has(name))).toEqual([]);
    }
    const users = statuses[0].tables.find(
      (table: { table: string }) => table.table === 'users',
    );
    expect(users.rows).toBeGreaterThanOrEqual(accepted.size);
    // A write whose outcome was unknown is on every node or on none.
    for (const eventId of unknown) {
      const fates = await Promise.all(
        nodes.map(
          async (node) =>
            (await fetch(`${node.url}/users/_events/${eventId}`)).status,
        ),
      );
      expect(new Set(fates).size).toBe(1);
    }
  });
});
