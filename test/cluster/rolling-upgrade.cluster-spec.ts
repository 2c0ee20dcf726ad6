import { inject } from 'vitest';
import {
  NodeProcess,
  eventually,
  uniqueTopicPrefix,
} from '../support/node-process.js';

/** Starts a node as the next build: `Product` with an optional `color`, schema version 2. */
const NEXT_BUILD = { CLUSTERLITE_TEST_ENTITIES: 'upgrade' };

async function send(
  node: NodeProcess,
  method: string,
  path: string,
  body?: object,
) {
  const response = await fetch(`${node.url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? JSON.parse(text) : null,
  };
}

const cup = (sku: string, extra: object = {}) => ({
  name: `Cup ${sku}`,
  sku,
  price: 4.5,
  tags: ['kitchen'],
  available: true,
  ...extra,
});

const user = (name: string) => ({ name, email: `${name}@example.com` });

describe('Rolling upgrade: a new optional field on a running cluster', () => {
  const brokers = inject('kafkaBrokers');
  const topicPrefix = uniqueTopicPrefix('upgrade');
  let first: NodeProcess;
  let second: NodeProcess;

  beforeAll(async () => {
    [first, second] = await Promise.all([
      NodeProcess.start({ nodeId: 'up-1', brokers, topicPrefix }),
      NodeProcess.start({ nodeId: 'up-2', brokers, topicPrefix }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
  });

  it('keeps replicas identical while one node runs newer code, and catches up after its upgrade', async () => {
    // Both nodes on the old build hold rows.
    expect((await send(first, 'PUT', '/products/p1', cup('P-1'))).status).toBe(
      202,
    );
    expect((await send(first, 'PUT', '/users/u1', user('ada'))).status).toBe(
      202,
    );
    await eventually(async () => {
      expect((await send(second, 'GET', '/products/p1')).status).toBe(200);
      expect((await send(second, 'GET', '/users/u1')).status).toBe(200);
    }, 60_000);

    // The first node is upgraded: its API, DTOs and OpenAPI document have `color`.
    await first.restart({ env: NEXT_BUILD });
    const docs = (await send(first, 'GET', '/docs-json')).body;
    expect(docs.components.schemas.Product.properties.color).toMatchObject({
      type: 'string',
    });
    expect(
      docs.components.schemas.CreateProductDto.properties.color,
    ).toBeDefined();
    const before = (await send(first, 'GET', '/products/p1')).body;
    expect(before).toMatchObject({ id: 'p1', color: null });

    // It takes writes that use the new field (schema 2 events).
    expect(
      (await send(first, 'PUT', '/products/p2', cup('P-2', { color: 'red' })))
        .status,
    ).toBe(202);
    expect(
      (await send(first, 'PATCH', '/products/p1', { color: 'blue' })).status,
    ).toBe(202);
    // Other tables go on.
    expect((await send(first, 'PUT', '/users/u2', user('bob'))).status).toBe(
      202,
    );

    // The old node stops the products topic before the first schema-2 event:
    // no dead letter, nothing of it applied, not ready with the reason.
    await eventually(async () => {
      const status = await second.status();
      expect(status.stoppedTables).toEqual([
        expect.objectContaining({
          table: 'products',
          needs: 2,
          reason: 'needs schema 2 of products',
        }),
      ]);
      expect((await send(second, 'GET', '/users/u2')).status).toBe(200);
    }, 60_000);
    const ready = await send(second, 'GET', '/_cluster/health/ready');
    expect(ready.status).toBe(503);
    expect(JSON.stringify(ready.body)).toContain('needs schema 2 of products');
    expect((await second.status()).deadLetters).toBe(0);
    expect((await send(second, 'GET', '/products/p2')).status).toBe(404);
    expect((await send(second, 'GET', '/products/p1')).body).not.toHaveProperty(
      'color',
    );

    // The old node still takes writes of the old schema; the new node applies them.
    expect((await send(second, 'PUT', '/products/p3', cup('P-3'))).status).toBe(
      202,
    );
    await eventually(async () => {
      expect((await send(first, 'GET', '/products/p3')).body).toMatchObject({
        id: 'p3',
        color: null,
      });
    }, 60_000);

    // After its upgrade the old node resumes from its stored position and catches up.
    await second.restart({ env: NEXT_BUILD });
    await eventually(async () => {
      expect((await send(second, 'GET', '/products/p2')).body).toMatchObject({
        color: 'red',
      });
      expect((await send(second, 'GET', '/products/p1')).body).toMatchObject({
        color: 'blue',
      });
      expect((await send(second, 'GET', '/products/p3')).status).toBe(200);
    }, 60_000);
    await eventually(async () => {
      const [one, two] = await Promise.all([first.status(), second.status()]);
      expect(two.tables).toEqual(one.tables);
      expect(one.tables.map((table: { rows: number }) => table.rows)).toEqual([
        2, 3,
      ]);
      expect([one.deadLetters, two.deadLetters]).toEqual([0, 0]);
      expect([one.stoppedTables, two.stoppedTables]).toEqual([[], []]);
    }, 60_000);
    expect((await send(second, 'GET', '/_cluster/health/ready')).status).toBe(
      200,
    );
  });
});

describe('A unique constraint over rows that break it', () => {
  const brokers = inject('kafkaBrokers');
  const topicPrefix = uniqueTopicPrefix('unique');
  let node: NodeProcess;

  beforeAll(async () => {
    node = await NodeProcess.start({ nodeId: 'uq-1', brokers, topicPrefix });
  });

  afterAll(async () => {
    await node?.stop();
  });

  it('is refused at start with the table, the field and the duplicates; the file is left as it was', async () => {
    for (const [id, sku] of [
      ['p1', 'U-1'],
      ['p2', 'U-2'],
    ]) {
      expect(
        (await send(node, 'PUT', `/products/${id}`, cup(sku))).status,
      ).toBe(202);
    }
    // Both rows are named "Cup X-n"; give them one name.
    expect(
      (await send(node, 'PATCH', '/products/p2', { name: 'Cup U-1' })).status,
    ).toBe(202);
    await eventually(async () => {
      expect((await send(node, 'GET', '/products/p2')).body).toMatchObject({
        name: 'Cup U-1',
      });
    }, 60_000);

    const refused = await node
      .restart({ env: { CLUSTERLITE_TEST_ENTITIES: 'unique-name' } })
      .then(
        () => null,
        (error: Error) => error.message,
      );
    expect(refused).toContain(
      'Not started: Cannot add a unique index on products.name: 1 value(s) of "name" are shared by 2 rows of "products"',
    );

    // The previous build starts on the same file: nothing was changed or recorded.
    await node.restart({ env: { CLUSTERLITE_TEST_ENTITIES: '' } });
    const rows = (await send(node, 'GET', '/products?sort=id')).body;
    expect(rows.map((row: { id: string }) => row.id)).toEqual(['p1', 'p2']);
    expect((await node.status()).deadLetters).toBe(0);
  });
});
