import {
  startEmbeddedNode,
  useEmbeddedNode,
} from '../support/embedded-node.js';

const PROBLEM = /^application\/problem\+json/;

describe('Bad input, embedded mode', () => {
  const node = useEmbeddedNode({ BODY_LIMIT: '10kb' });

  const fieldsOf = (body: { errors: { field: string }[] }) =>
    body.errors.map((error) => error.field).sort();

  it('names a missing field', async () => {
    const response = await node.http
      .post('/users')
      .send({ name: 'No Email' })
      .expect(400);
    expect(response.headers['content-type']).toMatch(PROBLEM);
    expect(response.body).toMatchObject({
      status: 400,
      title: 'Request validation failed',
      instance: '/users',
    });
    expect(fieldsOf(response.body)).toEqual(['email']);
  });

  it('names a field of the wrong type, without coercing it', async () => {
    const response = await node.http
      .post('/products')
      .send({
        name: 'Cup',
        sku: 'C1',
        price: '4.50',
        tags: 'kitchen',
        available: 'yes',
      })
      .expect(400);
    expect(fieldsOf(response.body)).toEqual(['available', 'price', 'tags']);
  });

  it('names an unknown field', async () => {
    const response = await node.http
      .post('/users')
      .send({ name: 'A', email: 'a@b.co', admin: true })
      .expect(400);
    expect(fieldsOf(response.body)).toEqual(['admin']);
  });

  it('names a string that is not well-formed Unicode (a lone surrogate) instead of failing', async () => {
    for (const [path, body, field] of [
      ['/users', '{"name":"A","email":"\\ud800@x.io"}', 'email'],
      ['/users', '[{"name":"\\udfff","email":"b@x.io"}]', '[0].name'],
      [
        '/products',
        '{"name":"Cup","sku":"C1","price":1,"tags":["\\ud83d"]}',
        'tags[0]',
      ],
    ] as const) {
      const response = await node.http
        .post(path)
        .set('content-type', 'application/json')
        .send(body)
        .expect(400);
      expect(response.headers['content-type']).toMatch(PROBLEM);
      expect(response.body.errors).toEqual([
        {
          field,
          messages: [
            'must be well-formed Unicode text (it holds a lone surrogate, such as \\ud800, that no character encodes)',
          ],
        },
      ]);
    }
  });

  it('refuses system columns in a body', async () => {
    const response = await node.http
      .put('/users/x')
      .send({ name: 'A', email: 'a@b.co', version: 9, id: 'y' })
      .expect(400);
    expect(fieldsOf(response.body)).toEqual(['id', 'version']);
  });

  it('refuses malformed JSON', async () => {
    const response = await node.http
      .post('/users')
      .set('Content-Type', 'application/json')
      .send('{"name":')
      .expect(400);
    expect(response.headers['content-type']).toMatch(PROBLEM);
    expect(response.body.detail).toMatch(/not valid JSON/);
  });

  it('refuses a body over the limit with 413', async () => {
    const response = await node.http
      .post('/users')
      .send({ name: 'x'.repeat(20_000), email: 'a@b.co' })
      .expect(413);
    expect(response.headers['content-type']).toMatch(PROBLEM);
  });

  it('refuses a body that is not JSON with 415', async () => {
    const response = await node.http
      .post('/users')
      .set('Content-Type', 'text/plain')
      .send('name=John')
      .expect(415);
    expect(response.headers['content-type']).toMatch(PROBLEM);
  });

  it('answers 404 problem+json for an unknown table', async () => {
    const response = await node.http.get('/nosuchtable').expect(404);
    expect(response.headers['content-type']).toMatch(PROBLEM);
    await node.http.post('/nosuchtable').send({ a: 1 }).expect(404);
  });

  it('answers 404 problem+json for a missing row', async () => {
    const response = await node.http.get('/users/nobody').expect(404);
    expect(response.headers['content-type']).toMatch(PROBLEM);
  });

  it('refuses an id that is not a plain identifier', async () => {
    await node.http.get('/users/%20drop%20table').expect(400);
    await node.http
      .put(`/users/${'x'.repeat(200)}`)
      .send({ name: 'A', email: 'a@b.co' })
      .expect(400);
  });

  it('refuses a position token it cannot read, and unknown query parameters', async () => {
    await node.http.get('/users').query({ position: 'somewhere' }).expect(400);
    await node.http
      .get('/users')
      .set('ClusterLite-Position', 'other.topic:0:1')
      .expect(400);
    const response = await node.http
      .get('/users')
      .query({ limit: 100000 })
      .expect(400);
    expect(fieldsOf(response.body)).toEqual(['limit']);
    await node.http
      .get('/users')
      .query({ 'name; DROP TABLE users': 1 })
      .expect(400);
  });

  it('refuses an If-Match that is not a version ETag', async () => {
    await node.http
      .put('/users/x')
      .set('If-Match', 'yesterday')
      .send({ name: 'A', email: 'a@b.co' })
      .expect(400);
  });

  it('answers 504 when a position is not reached in time', async () => {
    const quick = await startEmbeddedNode({ READ_WAIT_TIMEOUT_MS: '200' });
    try {
      const response = await quick.http
        .get('/users')
        .set('ClusterLite-Position', 'clusterlite.users:0:999')
        .expect(504);
      expect(response.headers['content-type']).toMatch(PROBLEM);
    } finally {
      await quick.close();
    }
  });
});
