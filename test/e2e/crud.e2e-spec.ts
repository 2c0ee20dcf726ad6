import {
  eventually,
  startEmbeddedNode,
  type EmbeddedNode,
} from '../support/embedded-node.js';

const john = { name: 'John Doe', email: 'john@example.com' };
const cup = {
  name: 'Espresso cup',
  sku: 'CUP-001',
  price: 4.5,
  tags: ['kitchen'],
  available: true,
};

describe('CRUD over HTTP, embedded mode', () => {
  let node: EmbeddedNode;

  beforeAll(async () => {
    node = await startEmbeddedNode();
  });

  afterAll(async () => {
    await node.close();
  });

  it('accepts a create with 202, a Location and the id, event id and position', async () => {
    const response = await node.http.post('/users').send(john).expect(202);
    expect(response.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      position: expect.stringMatching(/^clusterlite\.users:0:\d+$/),
    });
    expect(response.headers.location).toBe(`/users/${response.body.id}`);
    expect(response.headers['clusterlite-position']).toBe(
      response.body.position,
    );

    const list = await eventually(async () => {
      const page = await node.http.get('/users').expect(200);
      expect(page.body).toContainEqual(
        expect.objectContaining({ id: response.body.id, ...john }),
      );
      return page;
    }, 1_000);
    expect(Array.isArray(list.body)).toBe(true);

    const row = await node.http.get(response.headers.location).expect(200);
    expect(row.body).toMatchObject({
      id: response.body.id,
      ...john,
      version: 1,
    });
    expect(row.headers.etag).toBe('"1"');
  });

  it('replaces with PUT, creating the row when it is missing', async () => {
    await node.http
      .put('/users/alice')
      .send({ name: 'Alice', email: 'alice@example.com' })
      .expect(202);
    await eventually(() => node.http.get('/users/alice').expect(200));
    const replaced = await node.http
      .put('/users/alice')
      .send({ name: 'Alice B.', email: 'ab@example.com' })
      .expect(202);
    const row = await node.http
      .get('/users/alice')
      .set('ClusterLite-Position', replaced.body.position)
      .expect(200);
    expect(row.body).toMatchObject({
      id: 'alice',
      name: 'Alice B.',
      email: 'ab@example.com',
      version: 2,
    });
  });

  it('updates only the fields a PATCH sends', async () => {
    const created = await node.http.post('/products').send(cup).expect(202);
    const patched = await node.http
      .patch(`/products/${created.body.id}`)
      .send({ price: 5 })
      .expect(202);
    const row = await node.http
      .get(`/products/${created.body.id}?position=${patched.body.position}`)
      .expect(200);
    expect(row.body).toMatchObject({
      ...cup,
      price: 5,
      version: 2,
      stock: null,
      url: null,
    });
  });

  it('deletes a row, and deleting a missing row is not an error', async () => {
    const created = await node.http
      .post('/users')
      .send({ name: 'Gone', email: 'gone@example.com' })
      .expect(202);
    const deleted = await node.http
      .delete(`/users/${created.body.id}`)
      .expect(202);
    await node.http
      .get(`/users/${created.body.id}`)
      .set('ClusterLite-Position', deleted.body.position)
      .expect(404);
    await node.http.delete('/users/never-existed').expect(202);
  });

  it('reads its own writes when the client sends the position back', async () => {
    for (let i = 0; i < 20; i++) {
      const created = await node.http
        .post('/users')
        .send({ name: `U${i}`, email: `u${i}@example.com` })
        .expect(202);
      await node.http
        .get(`/users/${created.body.id}`)
        .query({ position: created.body.position })
        .expect(200);
    }
  });

  describe('Prefer: return=representation', () => {
    it('answers 201 with the row and its ETag once applied', async () => {
      const response = await node.http
        .post('/users')
        .set('Prefer', 'return=representation')
        .send(john)
        .expect(201);
      expect(response.body).toMatchObject({ ...john, version: 1 });
      expect(response.headers.etag).toBe('"1"');
      expect(response.headers.location).toBe(`/users/${response.body.id}`);
      expect(response.headers['preference-applied']).toBe(
        'return=representation',
      );
    });

    it('answers 200 for a replace, 412 for a stale If-Match, 204 for a delete', async () => {
      const prefer = { Prefer: 'return=representation' };
      await node.http
        .put('/users/bob')
        .set(prefer)
        .send({ name: 'Bob', email: 'bob@example.com' })
        .expect(201);
      const v2 = await node.http
        .put('/users/bob')
        .set(prefer)
        .set('If-Match', '"1"')
        .send({ name: 'Bob 2', email: 'bob@example.com' })
        .expect(200);
      expect(v2.headers.etag).toBe('"2"');
      const stale = await node.http
        .patch('/users/bob')
        .set(prefer)
        .set('If-Match', '"1"')
        .send({ name: 'Late' })
        .expect(412);
      expect(stale.headers['content-type']).toMatch(
        /^application\/problem\+json/,
      );
      expect(stale.body.detail).toMatch(/version 2/);
      await node.http
        .delete('/users/bob')
        .set(prefer)
        .set('If-Match', '"2"')
        .expect(204);
    });

    it('answers 404 for a PATCH of a missing row and 409 for a taken unique field', async () => {
      const prefer = { Prefer: 'return=representation' };
      await node.http
        .patch('/users/nobody')
        .set(prefer)
        .send({ name: 'X' })
        .expect(404);
      await node.http
        .post('/products')
        .set(prefer)
        .send({ ...cup, sku: 'UNIQ-1' })
        .expect(201);
      const clash = await node.http
        .post('/products')
        .set(prefer)
        .send({ ...cup, sku: 'UNIQ-1' })
        .expect(409);
      expect(clash.body.detail).toMatch(/UNIQUE/);
      expect(clash.body.errors).toEqual([
        { field: 'sku', messages: ['sku is already taken'] },
      ]);
    });
  });

  it('answers 304 to If-None-Match with the current ETag', async () => {
    await node.http
      .put('/users/carol')
      .set('Prefer', 'return=representation')
      .send({ name: 'Carol', email: 'carol@example.com' })
      .expect(201);
    await node.http.get('/users/carol').set('If-None-Match', '"1"').expect(304);
    await node.http.get('/users/carol').set('If-None-Match', '"7"').expect(200);
  });

  it('pages a list with limit and a Link to the next page', async () => {
    const first = await node.http.get('/users').query({ limit: 2 }).expect(200);
    expect(first.body).toHaveLength(2);
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.link)![1];
    const second = await node.http.get(next).expect(200);
    expect(second.body[0].id > first.body[1].id).toBe(true);
  });

  it('allows any origin, as the original did', async () => {
    const response = await node.http
      .get('/users')
      .set('Origin', 'null')
      .expect(200);
    expect(response.headers['access-control-allow-origin']).toBe('*');
  });

  it('survives a restart on the same file without applying anything twice', async () => {
    const before = await node.http.get('/_cluster/status').expect(200);
    await node.close();
    node = await startEmbeddedNode({ DB_PATH: node.dbPath });
    const after = await node.http.get('/_cluster/status').expect(200);
    expect(after.body.tables).toEqual(before.body.tables);
    expect(after.body.topics).toEqual(before.body.topics);
  });
});
