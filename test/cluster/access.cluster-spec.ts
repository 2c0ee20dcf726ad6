import { inject } from 'vitest';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster } from '../../scripts/cluster.mjs';
import { eventually, uniqueTopicPrefix } from '../support/node-process.js';

/** One HTTP call with an optional bearer key; the body parsed when it is JSON. */
async function call(
  url: string,
  key?: string,
  init: {
    method?: string;
    body?: object;
    headers?: Record<string, string>;
  } = {},
): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      ...(key ? { Authorization: `Bearer ${key}` } : {}),
      ...(init.body ? { 'Content-Type': 'application/json' } : {}),
      ...init.headers,
    },
    body: init.body ? JSON.stringify(init.body) : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  return { status: response.status, headers: response.headers, body };
}

describe('A cluster with API keys, behind nginx (npm run cluster)', () => {
  const brokers = inject('kafkaBrokers');
  let cluster: Cluster;
  let keys: NonNullable<Cluster['apiKeys']>;

  beforeAll(async () => {
    cluster = await startCluster({
      nodes: 2,
      brokers,
      topicPrefix: uniqueTopicPrefix('access'),
      nginxPort: 0,
      dataDir: mkdtempSync(join(tmpdir(), 'clusterlite-access-')),
      fresh: true,
      quiet: true,
      apiKeys: true,
      nodeEnv: {
        LOG_LEVEL: 'warn',
        READ_WAIT_TIMEOUT_MS: '10000',
        RATE_LIMIT_RPS: '10',
      },
      onUnexpectedExit: () => undefined,
    });
    keys = cluster.apiKeys!;
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('made one key per role in a file only its owner can read', () => {
    expect(statSync(keys.file).mode & 0o777).toBe(0o600);
    const text = readFileSync(keys.file, 'utf8');
    for (const role of ['read', 'write', 'admin'] as const) {
      expect(keys[role]).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(text).toContain(`${role}:${keys[role]}`);
    }
  });

  it('answers 401 without a key through nginx, and keeps health open without broker addresses', async () => {
    const denied = await call(`${cluster.url}/users`);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toBe(
      'Bearer realm="clusterlite"',
    );
    expect(denied.body.type).toBe('urn:clusterlite:problem:unauthorized');
    const ready = await call(`${cluster.url}/_cluster/health/ready`);
    expect(ready.status).toBe(200);
    expect(JSON.stringify(ready.body)).not.toContain(brokers);
  });

  it('lets a write key write and a read key read it back through any node, and only admins see the status', async () => {
    const created = await call(`${cluster.url}/users`, keys.write, {
      method: 'POST',
      body: { name: 'Keyed', email: 'keyed@example.com' },
    });
    expect(created.status).toBe(202);
    const refused = await call(`${cluster.url}/users`, keys.read, {
      method: 'POST',
      body: { name: 'Reader', email: 'reader@example.com' },
    });
    expect(refused.status).toBe(403);
    for (const node of cluster.nodes) {
      const read = await call(
        `${node.url}/users/${created.body.id}`,
        keys.read,
        {
          headers: { 'ClusterLite-Position': created.body.position },
        },
      );
      expect(read.status).toBe(200);
      expect(read.body.name).toBe('Keyed');
      expect(
        (await call(`${node.url}/_cluster/status`, keys.write)).status,
      ).toBe(403);
    }
    await eventually(async () => {
      const [first, second] = await Promise.all(
        cluster.nodes.map(
          async (node) =>
            (await call(`${node.url}/_cluster/status?verify=true`, keys.admin))
              .body,
        ),
      );
      expect(second.tables).toEqual(first.tables);
      expect(first.checksumsVerified).toBe(true);
      expect(second.checksumsVerified).toBe(true);
    });
  });

  it('limits each key to RATE_LIMIT_RPS on each node, with 429 problem+json and Retry-After', async () => {
    const answers = await Promise.all(
      Array.from({ length: 60 }, () => call(`${cluster.url}/users`, keys.read)),
    );
    const limited = answers.filter((answer) => answer.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0].body.type).toBe('urn:clusterlite:problem:rate-limited');
    expect(Number(limited[0].headers.get('retry-after'))).toBeGreaterThan(0);
    // Another key is another client behind the same nginx address.
    await eventually(async () => {
      expect((await call(`${cluster.url}/users`, keys.admin)).status).toBe(200);
    });
  });
});
