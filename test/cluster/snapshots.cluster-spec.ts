import { inject } from 'vitest';
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  rmSync,
  statSync,
} from 'node:fs';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
} from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import {
  findFreePort,
  startKafkaBroker,
  type KafkaBroker,
} from '../../tools/kafka/broker.mjs';
import {
  NodeProcess,
  eventually,
  uniqueTopicPrefix,
} from '../support/node-process.js';

const BACKUP_SCRIPT = resolve(import.meta.dirname, '../../scripts/backup.mjs');

async function write(
  node: NodeProcess,
  method: 'PUT' | 'POST',
  path: string,
  body: object,
): Promise<any> {
  const response = await fetch(`${node.url}${path}`, {
    method,
    headers: {
      'Content-Type': 'application/json',
      Prefer: 'return=representation',
    },
    body: JSON.stringify(body),
  });
  expect([200, 201]).toContain(response.status);
  return response.json();
}

async function addUsers(node: NodeProcess, prefix: string, count: number) {
  for (let i = 0; i < count; i++)
    await write(node, 'PUT', `/users/${prefix}-${i}`, {
      name: `${prefix} ${i}`,
      email: `${prefix}-${i}@example.com`,
    });
}

/** Waits until every node reports the same per-table checksums and no lag; returns them. */
async function converged(nodes: NodeProcess[]): Promise<any[]> {
  return eventually(
    async () => {
      const statuses = await Promise.all(nodes.map((node) => node.status()));
      for (const status of statuses) {
        expect(status.tables).toEqual(statuses[0].tables);
        expect(status.topics.map((topic: any) => topic.lag)).toEqual(
          status.topics.map(() => 0),
        );
      }
      return statuses[0].tables;
    },
    90_000,
    250,
  );
}

type ProxyMode = 'pass' | 'stall' | 'cut-once';

/**
 * An HTTP proxy in front of one node that can hold a download after `afterBytes` (the
 * connection stays open, nothing more comes) or cut it there once, then pass everything.
 */
async function startProxy(target: string, afterBytes: number) {
  let mode: ProxyMode = 'pass';
  const server: Server = createServer((request, response) => {
    const upstream = httpRequest(
      `${target}${request.url}`,
      { method: request.method, headers: request.headers },
      (answer: IncomingMessage) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        const current = mode;
        if (current === 'cut-once') mode = 'pass';
        let sent = 0;
        answer.on('data', (chunk: Buffer) => {
          if (current === 'pass' || sent + chunk.length <= afterBytes) {
            sent += chunk.length;
            response.write(chunk);
            return;
          }
          response.write(chunk.subarray(0, afterBytes - sent));
          sent = afterBytes;
          answer.destroy();
          if (current === 'cut-once') response.socket?.destroy();
        });
        answer.on('end', () => response.end());
      },
    );
    // A cut or held download ends these sockets on purpose.
    upstream.on('error', () => undefined);
    response.on('error', () => undefined);
    request.pipe(upstream);
  });
  const port = await findFreePort();
  await new Promise<void>((listening) =>
    server.listen(port, '127.0.0.1', listening),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    setMode: (next: ProxyMode) => {
      mode = next;
    },
    close: () =>
      new Promise<void>((closed) => {
        server.closeAllConnections();
        server.close(() => closed());
      }),
  };
}

describe('Snapshots through a real Kafka broker and real node processes', () => {
  const brokers = inject('kafkaBrokers');
  const topicPrefix = uniqueTopicPrefix('snapshots');
  const started: NodeProcess[] = [];
  let a: NodeProcess;
  let b: NodeProcess;

  const start = async (
    nodeId: string,
    env: Record<string, string> = {},
    until?: 'spawned',
  ) => {
    const node = await NodeProcess.start({
      nodeId,
      brokers,
      topicPrefix,
      env,
      until,
    });
    started.push(node);
    return node;
  };

  beforeAll(async () => {
    a = await start('a');
    b = await start('b');
    await addUsers(a, 'before', 30);
    await write(a, 'PUT', '/products/cup', {
      name: 'Cup',
      sku: 'CUP-1',
      price: 4.5,
      tags: ['kitchen'],
      available: true,
    });
    await converged([a, b]);
  });

  afterAll(async () => {
    await Promise.all(started.map((node) => node.stop()));
  });

  it('builds a fresh node from a peer snapshot: identical checksums, then it takes writes', async () => {
    const c = await start('c', { BOOTSTRAP_FROM: a.url });
    expect(c.logs()).toMatch(/Installed a verified snapshot of http:/);
    const tables = await converged([a, b, c]);
    expect(tables.find((table: any) => table.table === 'users').rows).toBe(30);

    const created = await write(c, 'POST', '/users', {
      name: 'Written on C',
      email: 'c@example.com',
    });
    expect(created).toMatchObject({ name: 'Written on C', version: 1 });
    const after = await converged([a, b, c]);
    expect(after.find((table: any) => table.table === 'users').rows).toBe(31);
  });

  it('ignores BOOTSTRAP_FROM when DB_PATH already holds data, and says so', async () => {
    await b.stop();
    const restarted = await NodeProcess.start({
      nodeId: 'b',
      brokers,
      topicPrefix,
      dbPath: b.dbPath,
      env: { BOOTSTRAP_FROM: 'http://127.0.0.1:9' },
    });
    started.push(restarted);
    expect(restarted.logs()).toMatch(
      /already holds data: BOOTSTRAP_FROM=http:\/\/127\.0\.0\.1:9 ignored/,
    );
    await converged([a, restarted]);
    await restarted.stop();
    await b.restart();
  });

  it('refuses, and exits at once, to start from the snapshot of an embedded node', async () => {
    const embedded = await NodeProcess.start({ nodeId: 'solo' });
    started.push(embedded);
    await write(embedded, 'PUT', '/users/solo', {
      name: 'Solo',
      email: 'solo@example.com',
    });
    const refused = await start(
      'refused',
      { BOOTSTRAP_FROM: embedded.url },
      'spawned',
    );
    await eventually(
      async () =>
        expect(refused.logs()).toMatch(
          /cannot start this node: it is the file of an embedded node/,
        ),
      60_000,
    );
    await eventually(async () => expect(refused.running).toBe(false));
    expect(existsSync(refused.dbPath)).toBe(false);
    expect(existsSync(`${refused.dbPath}.download`)).toBe(false);
  });

  it('restores a backup over a wiped node, which catches up with the writes made after it', async () => {
    const backup = join(
      mkdtempSync(join(tmpdir(), 'clusterlite-backup-')),
      'b.sqlite',
    );
    const { stdout } = await promisify(execFile)(process.execPath, [
      BACKUP_SCRIPT,
      '--from',
      b.url,
      '--to',
      backup,
    ]);
    expect(stdout).toMatch(/verified and written to/);
    expect(existsSync(`${backup}.download`)).toBe(false);

    await addUsers(a, 'after-backup', 10);
    await b.stop();
    for (const suffix of ['', '-wal', '-shm'])
      rmSync(`${b.dbPath}${suffix}`, { force: true });
    copyFileSync(backup, b.dbPath);
    await b.restart();
    const tables = await converged([a, b]);
    expect(tables.find((table: any) => table.table === 'users').rows).toBe(41);
  });

  it('leaves no file at DB_PATH when killed mid-download, and installs one on the next start', async () => {
    const proxy = await startProxy(a.url, 16 * 1024);
    try {
      proxy.setMode('stall');
      const d = await start('d', { BOOTSTRAP_FROM: proxy.url }, 'spawned');
      await eventually(
        async () =>
          expect(statSync(`${d.dbPath}.download`).size).toBe(16 * 1024),
        60_000,
        100,
      );
      await d.kill();
      expect(existsSync(d.dbPath)).toBe(false);

      // Next start: the first download is cut halfway; the node retries by itself.
      proxy.setMode('cut-once');
      await d.restart();
      expect(d.logs()).toMatch(/failed \(.*\); nothing installed, retrying/);
      expect(d.logs()).toMatch(/Installed a verified snapshot/);
      expect(existsSync(`${d.dbPath}.download`)).toBe(false);
      await converged([a, b, d]);
    } finally {
      await proxy.close();
    }
  });
});

describe('Bootstrap after the broker deleted old segments', () => {
  const topicPrefix = uniqueTopicPrefix('retention');
  const started: NodeProcess[] = [];
  let broker: KafkaBroker;
  let kafka: Kafka;

  beforeAll(async () => {
    broker = await startKafkaBroker({
      dataDir: mkdtempSync(join(tmpdir(), 'clusterlite-kafka-retention-')),
      // Retention runs every second, and deleted segments go at once.
      serverProperties: {
        'log.retention.check.interval.ms': 1000,
        'log.segment.delete.delay.ms': 0,
      },
    });
    kafka = new Kafka({
      brokers: [broker.brokers],
      logLevel: logLevel.NOTHING,
    });
  });

  afterAll(async () => {
    await Promise.all(started.map((node) => node.stop()));
    await broker?.stop();
  });

  it('converges a fresh node with BOOTSTRAP_FROM although the log no longer starts at offset 0', async () => {
    const e = await NodeProcess.start({
      nodeId: 'e',
      brokers: broker.brokers,
      topicPrefix,
    });
    started.push(e);
    await addUsers(e, 'old', 20);

    const topic = `${topicPrefix}.users`;
    const admin = kafka.admin();
    await admin.connect();
    try {
      const setRetention = (retention: string, segment: string) =>
        admin.alterConfigs({
          validateOnly: false,
          resources: [
            {
              type: ConfigResourceTypes.TOPIC,
              name: topic,
              configEntries: [
                { name: 'retention.ms', value: retention },
                { name: 'segment.ms', value: segment },
              ],
            },
          ],
        });
      await setRetention('1000', '1000');
      // A segment rolls when an event arrives after segment.ms; retention then deletes the old one.
      let rolled = 0;
      await eventually(
        async () => {
          await write(e, 'PUT', `/users/roll-${rolled++}`, {
            name: 'Roll',
            email: 'roll@example.com',
          });
          const [{ low }] = await admin.fetchTopicOffsets(topic);
          expect(Number(low)).toBeGreaterThan(20);
        },
        90_000,
        1_000,
      );
      await setRetention('604800000', '604800000');
    } finally {
      await admin.disconnect();
    }
    await addUsers(e, 'new', 5);

    const f = await NodeProcess.start({
      nodeId: 'f',
      brokers: broker.brokers,
      topicPrefix,
      env: { BOOTSTRAP_FROM: e.url },
    });
    started.push(f);
    const tables = await converged([e, f]);
    expect(
      tables.find((table: any) => table.table === 'users').rows,
    ).toBeGreaterThanOrEqual(25);
    await write(f, 'PUT', '/users/on-f', { name: 'F', email: 'f@example.com' });
    await converged([e, f]);
  });
});
