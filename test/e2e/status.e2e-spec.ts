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

  it('answers 400 for a verify that is not true or false', async () => {
    const response = await node.http
      .get('/_cluster/status')
      .query({ verify: 'maybe' });
    expect(response.status).toBe(400);
    expect(response.body.errors[0].field).toBe('verify');
  });
});
