import { useEmbeddedNode } from '../support/embedded-node.js';
import { validBody } from '../support/sample-bodies.js';

describe('Status checksums', () => {
  const node = useEmbeddedNode();

  it('are kept as writes are applied, and verify=true confirms them against every row', async () => {
    const before = (await node.http.get('/_cluster/status')).body;
    const created = await node.http
      .post('/products')
      .set('Prefer', 'return=representation')
      .send([validBody('products'), validBody('products')]);
    expect(created.status).toBe(200);
    await node.http
      .patch(`/products/${created.body[0].id}`)
      .set('Prefer', 'return=representation')
      .send({ price: 9 });
    await node.http
      .delete(`/products/${created.body[1].id}`)
      .set('Prefer', 'return=representation');

    const after = await node.http.get('/_cluster/status');
    const products = (body: any) =>
      body.tables.find((table: any) => table.table === 'products');
    expect(products(after.body).rows).toBe(products(before).rows + 1);
    expect(products(after.body).checksum).toMatch(/^[0-9a-f]{16}$/);
    expect(products(after.body).checksum).not.toBe(products(before).checksum);
    expect(after.body).not.toHaveProperty('checksumsVerified');

    const verified = await node.http
      .get('/_cluster/status')
      .query({ verify: 'true' });
    expect(verified.status).toBe(200);
    expect(verified.body.checksumsVerified).toBe(true);
    expect(products(verified.body)).toMatchObject({
      checksum: products(after.body).checksum,
      recomputed: products(after.body).checksum,
      matches: true,
    });
  });

  it('goes on answering other requests while verify=true reads every row', async () => {
    // 30,000 rows: a verify reads and hashes them all, a page at a time in the SQLite worker.
    for (let page = 0; page < 30; page++) {
      const created = await node.http
        .post('/users')
        .set('Prefer', 'return=representation')
        .send(Array.from({ length: 1000 }, () => validBody('users')));
      expect(created.status).toBe(200);
    }
    const [{ id }] = (await node.http.get('/users').query({ limit: 1 })).body;
    let verifiedAt = 0;
    const verifying = node.http
      .get('/_cluster/status')
      .query({ verify: 'true' })
      .then((response) => {
        verifiedAt = performance.now();
        return response;
      });
    // Once the verify has begun, a read by id is answered before it ends.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const read = await node.http.get(`/users/${id}`);
    const readAt = performance.now();
    expect(read.status).toBe(200);
    const verified = await verifying;
    expect(verified.body.checksumsVerified).toBe(true);
    expect(readAt).toBeLessThan(verifiedAt);
  }, 60_000);

  it('answers 400 for a verify that is not true or false', async () => {
    const response = await node.http
      .get('/_cluster/status')
      .query({ verify: 'maybe' });
    expect(response.status).toBe(400);
    expect(response.body.errors[0].field).toBe('verify');
  });
});
