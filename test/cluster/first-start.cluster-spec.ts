import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster } from '../../scripts/cluster.mjs';
import { eventually } from '../support/eventually.js';

const PROBLEM = /^application\/problem\+json/;

/**
 * What someone sees on a first `npm run cluster`: the nodes' output on a fresh broker, and
 * the errors nginx itself answers (through the shipped nginx config).
 */
describe('A first cluster start, through the shipped nginx', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster({
      nodes: 2,
      nginxPort: 0,
      // A broker of its own, started with the cluster, as `npm run cluster` does.
      kafkaPort: 0,
      dataDir: mkdtempSync(join(tmpdir(), 'clusterlite-first-start-')),
      fresh: true,
      quiet: true,
      onUnexpectedExit: () => undefined,
    });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('prints one line per node with its URL, mode, file, docs and console, and nothing as an ERROR', async () => {
    const created = await fetch(`${cluster.url}/users`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'First', email: 'first@example.com' }),
    });
    expect(created.status).toBe(202);
    const { position } = (await created.json()) as { position: string };
    for (const node of cluster.nodes) {
      await eventually(
        async () => {
          const read = await fetch(`${node.url}/users?position=${position}`);
          expect(read.status).toBe(200);
        },
        30_000,
        200,
      );
    }
    for (const node of cluster.nodes) {
      const log = readFileSync(node.logFile, 'utf8').split('\n');
      expect(log.filter((line) => /\bERROR\b/.test(line))).toEqual([]);
      // Nor a warning of Node's own (kafkajs's idle request queues printed TimeoutNegativeWarning).
      expect(
        log.filter((line) => /\(node:\d+\) \w*Warning/.test(line)),
      ).toEqual([]);
      expect(log.filter((line) => line.includes('Mapped {'))).toEqual([]);
      const url = `http://localhost:${node.port}`;
      const announced = log.filter((line) =>
        line.includes(`${node.nodeId} listening on ${url}`),
      );
      expect(announced).toHaveLength(1);
      expect(announced[0]).toContain('cluster mode');
      expect(announced[0]).toContain(`file ${node.dbPath}`);
      expect(announced[0]).toContain(`docs ${url}/docs`);
      expect(announced[0]).toContain(`console ${url}/_console/`);
    }
  });

  it('lets the node answer a 2.2 MB body, over its BODY_LIMIT: 413 problem+json', async () => {
    const response = await fetch(`${cluster.url}/users`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name: 'x'.repeat(2_200_000),
        email: 'big@example.com',
      }),
    });
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toMatch(PROBLEM);
    expect(response.headers.get('x-clusterlite-node')).toMatch(/^node-\d$/);
    expect(response.headers.get('x-clusterlite-upstream')).toMatch(
      /^127\.0\.0\.1:\d+$/,
    );
    expect(await response.json()).toMatchObject({
      type: 'urn:clusterlite:problem:body-too-large',
      status: 413,
    });
  });

  it('answers 502 problem+json when no node answers', async () => {
    await Promise.all(cluster.nodes.map((node) => node.stop()));
    const response = await fetch(`${cluster.url}/users`);
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toMatch(PROBLEM);
    expect(response.headers.get('x-clusterlite-upstream')).toMatch(
      /127\.0\.0\.1:\d+/,
    );
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await response.json()).toMatchObject({
      type: 'urn:clusterlite:problem:no-node-available',
      status: 502,
    });
  });
});
