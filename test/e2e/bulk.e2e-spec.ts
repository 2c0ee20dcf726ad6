import { useEmbeddedNode } from '../support/embedded-node.js';

describe('Bulk create, embedded mode', () => {
  const node = useEmbeddedNode();

  const endOffset = async () =>
    Number(
      (await node.http.get('/_cluster/status').expect(200)).body.topics.find(
        (t: { topic: string }) => t.topic === 'clusterlite.users',
      ).endOffset,
    );

  it('accepts an array as one batch on the log, one receipt per item, in order', async () => {
    const before = await endOffset();
    const items = Array.from({ length: 5 }, (_, i) => ({
      name: `Bulk ${i}`,
      email: `bulk${i}@example.com`,
    }));
    const response = await node.http.post('/users').send(items).expect(202);
    expect(response.body).toHaveLength(5);
    const offsets = response.body.map((receipt: { position: string }) =>
      Number(receipt.position.split(':')[2]),
    );
    expect(offsets).toEqual([
      before,
      before + 1,
      before + 2,
      before + 3,
      before + 4,
    ]);
    const last = response.body[4];
    const rows = (
      await node.http
        .get('/users')
        .query({ name: 'prefix.Bulk ', position: last.position, sort: 'name' })
        .expect(200)
    ).body;
    expect(rows.map((row: { name: string }) => row.name)).toEqual(
      items.map((item) => item.name),
    );
  });

  it('emits nothing when one item is invalid, and names the item and field', async () => {
    const before = await endOffset();
    const response = await node.http
      .post('/users')
      .send([
        { name: 'Fine', email: 'fine@example.com' },
        { name: 'Bad', email: 'nope' },
        'not an object',
      ])
      .expect(400);
    expect(
      response.body.errors.map((error: { field: string }) => error.field),
    ).toEqual(['[1].email', '[2]']);
    expect(await endOffset()).toBe(before);
  });

  it('answers each item’s outcome with Prefer: return=representation', async () => {
    const cup = {
      name: 'Cup',
      sku: 'BULK-1',
      price: 1,
      tags: [],
      available: true,
    };
    const response = await node.http
      .post('/products')
      .set('Prefer', 'return=representation')
      .send([cup, { ...cup, sku: 'BULK-2' }, cup])
      .expect(200);
    expect(
      response.body.map((item: { status: number }) => item.status),
    ).toEqual([201, 201, 409]);
    expect(response.body[1].row).toMatchObject({ sku: 'BULK-2', version: 1 });
    expect(response.body[2].error).toMatch(/UNIQUE/);
  });

  it('refuses an empty array and one over the limit', async () => {
    await node.http.post('/users').send([]).expect(400);
    const tooMany = Array.from({ length: 1001 }, (_, i) => ({
      name: `N${i}`,
      email: `n${i}@example.com`,
    }));
    await node.http.post('/users').send(tooMany).expect(400);
  });
});
