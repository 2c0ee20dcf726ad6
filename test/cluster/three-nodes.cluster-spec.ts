import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startCluster, type Cluster } from '../../scripts/cluster.mjs';
import { NodeProcess, eventually } from '../support/node-process.js';

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

/** One HTTP call; a connection failure is status 0 (outcome unknown), never a thrown error. */
async function call(
  url: string,
  method = 'GET',
  body?: object,
  headers: Record<string, string> = {},
): Promise<Answer> {
  try {
    const response = await fetch(url, {
      method,
      headers: {
        ...(body ? { 'Content-Type': 'application/json' } : {}),
        ...headers,
      },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON (nginx error page)
    }
    return { status: response.status, headers: response.headers, body: parsed };
  } catch {
    return { status: 0, headers: new Headers(), body: null };
  }
}

const statuses = (cluster: Cluster) =>
  Promise.all(
    cluster.nodes.map(
      async (node) => (await call(`${node.url}/_cluster/status`)).body,
    ),
  );

/** Waits until every node reports the same checksums and no lag. */
async function converged(cluster: Cluster, extra: NodeProcess[] = []) {
  return eventually(
    async () => {
      const all = [
        ...(await statuses(cluster)),
        ...(await Promise.all(extra.map((node) => node.status()))),
      ];
      for (const status of all) {
        expect(status.tables).toEqual(all[0].tables);
        expect(
          status.topics.every((topic: { lag: number }) => topic.lag === 0),
        ).toBe(true);
      }
      return all;
    },
    60_000,
    250,
  );
}

async function rowsOn(url: string, table: string): Promise<Map<string, any>> {
  const rows = new Map<string, any>();
  let next: string | undefined = `/${table}?limit=1000`;
  while (next) {
    const page = await call(`${url}${next}`);
    expect(page.status).toBe(200);
    for (const row of page.body) rows.set(row.id, row);
    next = /<([^>]+)>; rel="next"/.exec(page.headers.get('link') ?? '')?.[1];
  }
  return rows;
}

describe('Three nodes behind nginx, a real broker', () => {
  let cluster: Cluster;
  const json = (answer: Answer) => answer.body;

  beforeAll(async () => {
    cluster = await startCluster({
      nodes: 3,
      nginxPort: 0,
      kafkaPort: 0,
      dataDir: mkdtempSync(join(tmpdir(), 'clusterlite-3n-')),
      fresh: true,
      quiet: true,
      nodeEnv: { LOG_LEVEL: 'warn', READ_WAIT_TIMEOUT_MS: '10000' },
      onUnexpectedExit: () => undefined,
    });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('spreads requests over the nodes and reads its writes through any of them', async () => {
    const upstreams = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const created = await call(`${cluster.url}/users`, 'POST', {
        name: `RYW ${i}`,
        email: `ryw${i}@example.com`,
      });
      expect(created.status).toBe(202);
      const read = await call(
        `${cluster.url}/users/${json(created).id}`,
        'GET',
        undefined,
        { 'ClusterLite-Position': json(created).position },
      );
      expect(read.status).toBe(200);
      expect(read.body.name).toBe(`RYW ${i}`);
      upstreams.add(read.headers.get('x-clusterlite-upstream') ?? '');
    }
    expect(upstreams.size).toBe(3);
  });

  it('lets exactly one of three racing If-Match writes win, through three different nodes, on every node', async () => {
    const created = await call(
      `${cluster.nodes[0].url}/users/race`,
      'PUT',
      { name: 'Race', email: 'race@example.com' },
      { Prefer: 'return=representation' },
    );
    expect(created.status).toBe(201);
    await converged(cluster);
    const answers = await Promise.all(
      cluster.nodes.map((node) =>
        call(
          `${node.url}/users/race`,
          'PATCH',
          { name: `Won by ${node.nodeId}` },
          { 'If-Match': '"1"', Prefer: 'return=representation' },
        ),
      ),
    );
    expect(
      answers.map((answer) => answer.status).sort((a, b) => a - b),
    ).toEqual([200, 412, 412]);
    const winner = answers.find((answer) => answer.status === 200)!.body.name;
    await converged(cluster);
    for (const node of cluster.nodes) {
      const row = await call(`${node.url}/users/race`);
      expect(row.body).toMatchObject({ name: winner, version: 2 });
      expect(row.headers.get('etag')).toBe('"2"');
    }
  });

  it('converges under thousands of concurrent mixed writes, with a node SIGKILLed and restarted mid-load', async () => {
    const WORKERS = 8;
    const ROWS_PER_WORKER = 40;
    const CONTENDED = 10;
    const expected = new Map<string, { name: string; email: string } | null>();
    const uncertain = new Set<string>();
    const contendedWins = new Map<string, number>();
    const contendedUnknown = new Map<string, number>();
    let operations = 0;

    for (let c = 0; c < CONTENDED; c++) {
      const put = await call(
        `${cluster.url}/users/hot-${c}`,
        'PUT',
        { name: 'hot', email: `hot${c}@example.com` },
        { Prefer: 'return=representation' },
      );
      expect(put.status).toBe(201);
      contendedWins.set(`hot-${c}`, 0);
      contendedUnknown.set(`hot-${c}`, 0);
    }

    const record = (
      id: string,
      answer: Answer,
      state: { name: string; email: string } | null,
    ) => {
      operations++;
      if (answer.status === 202) {
        if (!uncertain.has(id)) expected.set(id, state);
      } else if (answer.status !== 503) {
        // 502 from nginx or a dropped connection: the event may or may not be on the log.
        uncertain.add(id);
      }
    };

    const worker = async (w: number) => {
      for (let r = 0; r < ROWS_PER_WORKER; r++) {
        const id = `w${w}-r${r}`;
        let state = { name: `created ${id}`, email: `${id}@example.com` };
        record(
          id,
          await call(`${cluster.url}/users/${id}`, 'PUT', state),
          state,
        );
        for (let step = 0; step < 4; step++) {
          const choice = (w * 31 + r * 7 + step * 3) % 5;
          if (choice === 0) {
            state = { ...state, name: `patched ${id} ${step}` };
            record(
              id,
              await call(`${cluster.url}/users/${id}`, 'PATCH', {
                name: state.name,
              }),
              state,
            );
          } else if (choice === 1) {
            state = {
              name: `replaced ${id} ${step}`,
              email: `${id}.${step}@example.com`,
            };
            record(
              id,
              await call(`${cluster.url}/users/${id}`, 'PUT', state),
              state,
            );
          } else if (choice === 2 && step === 3) {
            record(
              id,
              await call(`${cluster.url}/users/${id}`, 'DELETE'),
              null,
            );
          } else {
            const hot = `hot-${(w + r + step) % CONTENDED}`;
            const current = await call(`${cluster.url}/users/${hot}`);
            if (current.status !== 200) continue;
            const answer = await call(
              `${cluster.url}/users/${hot}`,
              'PATCH',
              { name: `hot by ${id}` },
              {
                'If-Match': current.headers.get('etag')!,
                Prefer: 'return=representation',
              },
            );
            operations++;
            if (answer.status === 200)
              contendedWins.set(hot, contendedWins.get(hot)! + 1);
            else if (answer.status !== 412)
              contendedUnknown.set(hot, contendedUnknown.get(hot)! + 1);
          }
        }
      }
    };

    const victim = cluster.nodes[1];
    const crash = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await victim.kill();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await victim.start();
    })();
    await Promise.all([
      ...Array.from({ length: WORKERS }, (_, w) => worker(w)),
      crash,
    ]);
    expect(operations).toBeGreaterThan(1_000);

    const [reference] = await converged(cluster);
    const rowsPerNode = await Promise.all(
      cluster.nodes.map((node) => rowsOn(node.url, 'users')),
    );
    for (const rows of rowsPerNode) {
      for (const [id, state] of expected) {
        if (uncertain.has(id)) continue;
        if (state === null) expect(rows.has(id)).toBe(false);
        else expect(rows.get(id)).toMatchObject(state);
      }
      for (const [hot, wins] of contendedWins) {
        const version = rows.get(hot).version;
        expect(version).toBeGreaterThanOrEqual(1 + wins);
        expect(version).toBeLessThanOrEqual(
          1 + wins + contendedUnknown.get(hot)!,
        );
      }
    }
    expect(
      reference.tables.find(
        (table: { table: string }) => table.table === 'users',
      ).rows,
    ).toBe(rowsPerNode[0].size);
    expect(expected.size - uncertain.size).toBeGreaterThan(
      WORKERS * ROWS_PER_WORKER * 0.5,
    );
  });

  it('lets a fourth node, started later with an empty file, catch up from the log', async () => {
    const late = await NodeProcess.start({
      nodeId: 'node-4',
      brokers: cluster.broker.brokers,
    });
    try {
      await converged(cluster, [late]);
      const reference = (await call(`${cluster.nodes[0].url}/_cluster/status`))
        .body;
      expect((await late.status()).rejectedEvents).toBe(
        reference.rejectedEvents,
      );
    } finally {
      await late.stop();
    }
  });

  it('answers 503, never 202, while the broker is down, and keeps every accepted write', async () => {
    const accepted: string[] = [];
    const write = async (i: number) => {
      const answer = await call(`${cluster.url}/users/outage-${i}`, 'PUT', {
        name: `outage ${i}`,
        email: `outage${i}@example.com`,
      });
      if (answer.status === 202) accepted.push(`outage-${i}`);
      return answer;
    };
    expect((await write(0)).status).toBe(202);
    await cluster.broker.stop();
    const during = await Promise.all([1, 2, 3].map((i) => write(i)));
    for (const answer of during) {
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
    }
    await cluster.broker.restart();
    let i = 4;
    await eventually(
      async () => expect((await write(i++)).status).toBe(202),
      60_000,
      500,
    );
    await converged(cluster);
    for (const node of cluster.nodes) {
      const rows = await rowsOn(node.url, 'users');
      for (const id of accepted) expect(rows.has(id)).toBe(true);
      for (const id of ['outage-1', 'outage-2', 'outage-3'])
        expect(rows.has(id)).toBe(false);
    }
  });

  it('moves a message that is not an event to the dead-letter topic and keeps the partition going', async () => {
    const kafka = new Kafka({
      brokers: [cluster.broker.brokers],
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: 'clusterlite.products',
      acks: -1,
      messages: [{ key: 'junk', value: 'not an event' }],
    });
    await producer.disconnect();
    const after = await call(`${cluster.url}/products`, 'POST', {
      name: 'After',
      sku: 'AFTER',
      price: 1,
      tags: [],
      available: true,
    });
    expect(after.status).toBe(202);
    for (const node of cluster.nodes) {
      const read = await call(
        `${node.url}/products/${after.body.id}`,
        'GET',
        undefined,
        { 'ClusterLite-Position': after.body.position },
      );
      expect(read.status).toBe(200);
      expect((await call(`${node.url}/_cluster/status`)).body.deadLetters).toBe(
        1,
      );
    }
    const consumer = kafka.consumer({ groupId: `dlq-reader-${Date.now()}` });
    await consumer.connect();
    await consumer.subscribe({
      topic: 'clusterlite._dead-letter',
      fromBeginning: true,
    });
    const letters: { value: string; reason: string; source: string }[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        letters.push({
          value: message.value!.toString(),
          reason: message.headers!['clusterlite-reason']!.toString(),
          source: message.headers!['clusterlite-source']!.toString(),
        });
      },
    });
    await eventually(
      async () => expect(letters.length).toBeGreaterThanOrEqual(3),
      30_000,
    );
    await consumer.disconnect();
    expect(
      letters.every(
        (letter) =>
          letter.value === 'not an event' &&
          letter.reason === 'message is not JSON',
      ),
    ).toBe(true);
    expect(new Set(letters.map((letter) => letter.source)).size).toBe(1);
  });
});
