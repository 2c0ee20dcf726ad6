import { inject } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startCluster, type Cluster } from '../../scripts/cluster.mjs';
import { uniqueTopicPrefix } from '../support/node-process.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTPS request trusting only `ca` (undefined: the system CAs). */
function https(
  url: string,
  options: { ca?: string; method?: string; body?: object } = {},
): Promise<Answer> {
  return new Promise((resolveAnswer, reject) => {
    const body = options.body ? JSON.stringify(options.body) : undefined;
    const outgoing = request(
      url,
      {
        method: options.method ?? 'GET',
        ca: options.ca,
        headers: body ? { 'Content-Type': 'application/json' } : {},
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolveAnswer({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: text,
          }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

describe('nginx with TLS on (npm run cluster -- --tls)', () => {
  const brokers = inject('kafkaBrokers');
  const dir = mkdtempSync(join(tmpdir(), 'clusterlite-nginx-tls-'));
  const tlsDir = join(dir, 'tls');
  let cluster: Cluster;
  let ca: string;
  let httpsUrl: string;

  beforeAll(async () => {
    execFileSync('sh', [
      resolve(import.meta.dirname, '../../scripts/selfsigned-cert.sh'),
      tlsDir,
    ]);
    ca = readFileSync(join(tlsDir, 'ca.pem'), 'utf8');
    cluster = await startCluster({
      nodes: 1,
      nginxPort: 0,
      dataDir: mkdtempSync(join(dir, 'cluster-')),
      fresh: true,
      quiet: true,
      brokers,
      topicPrefix: uniqueTopicPrefix('nginx-tls'),
      tls: {
        certFile: join(tlsDir, 'tls.crt'),
        keyFile: join(tlsDir, 'tls.key'),
        port: 0,
      },
      nodeEnv: { LOG_LEVEL: 'warn' },
      onUnexpectedExit: () => undefined,
    });
    httpsUrl = cluster.nginx!.httpsUrl!;
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('serves the API over HTTPS to a client that trusts the CA of the self-signed pair', async () => {
    expect(cluster.url).toBe(httpsUrl);
    const created = await https(`${httpsUrl}/users`, {
      ca,
      method: 'POST',
      body: { name: 'Tls', email: 'tls@example.com' },
    });
    expect(created.status).toBe(202);
    const { id, position } = JSON.parse(created.body);
    const row = await https(
      `${httpsUrl}/users/${id}?position=${encodeURIComponent(position)}`,
      { ca },
    );
    expect(row.status).toBe(200);
    expect(JSON.parse(row.body)).toMatchObject({ id, name: 'Tls' });

    const list = await https(`${httpsUrl}/users?limit=10`, { ca });
    expect(list.status).toBe(200);
    expect(list.headers['x-clusterlite-node']).toBe('node-1');
    expect(list.headers['content-type']).toMatch(/^application\/json/);
    expect(Array.isArray(JSON.parse(list.body))).toBe(true);
  });

  it('is refused by a client that does not trust the certificate', async () => {
    await expect(https(`${httpsUrl}/users`)).rejects.toMatchObject({
      code: expect.stringMatching(/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/),
    });
  });

  it('answers plain HTTP with a 308 to HTTPS, writes included, and proxies nothing', async () => {
    const tlsPort = cluster.nginx!.tlsPort;
    const read = await fetch(`${cluster.nginx!.url}/users?limit=5`, {
      redirect: 'manual',
    });
    expect(read.status).toBe(308);
    expect(read.headers.get('location')).toBe(
      `https://127.0.0.1:${tlsPort}/users?limit=5`,
    );
    expect(read.headers.get('x-clusterlite-node')).toBeNull();

    const write = await fetch(`${cluster.nginx!.url}/users`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Clear', email: 'clear@example.com' }),
    });
    expect(write.status).toBe(308);
    const names = JSON.parse(
      (await https(`${httpsUrl}/users?limit=100`, { ca })).body,
    ).map((user: { name: string }) => user.name);
    expect(names).not.toContain('Clear');
  });
});
