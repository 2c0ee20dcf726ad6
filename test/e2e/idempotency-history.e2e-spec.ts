import { useEmbeddedNode } from '../support/embedded-node.js';

describe('Idempotency-Key and history, embedded mode', () => {
  const node = useEmbeddedNode();

  const eventCount = async () => {
    const status = (await node.http.get('/_cluster/status').expect(200)).body;
    return status.topics.reduce(
      (sum: number, topic: { endOffset: string }) =>
        sum + Number(topic.endOffset),
      0,
    );
  };

  it('answers a retried create with the first outcome and emits no second event', async () => {
    const first = await node.http
      .post('/users')
      .set('Idempotency-Key', 'create-john-1')
      .set('Prefer', 'return=representation')
      .send({ name: 'John', email: 'john@example.com' })
      .expect(201);
    const events = await eventCount();
    const retry = await node.http
      .post('/users')
      .set('Idempotency-Key', 'create-john-1')
      .send({ name: 'John', email: 'john@example.com' })
      .expect(202);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body.id).toBe(first.body.id);
    expect(retry.headers.location).toBe(`/users/${first.body.id}`);
    expect(await eventCount()).toBe(events);
    const users = (
      await node.http
        .get('/users')
        .query({ email: 'eq.john@example.com' })
        .expect(200)
    ).body;
    expect(users).toHaveLength(1);
  });

  it('refuses a key reused for a different request with 422', async () => {
    await node.http
      .put('/users/k1')
      .set('Idempotency-Key', 'put-k1')
      .set('Prefer', 'return=representation')
      .send({ name: 'A', email: 'a@example.com' })
      .expect(201);
    const reused = await node.http
      .put('/users/k1')
      .set('Idempotency-Key', 'put-k1')
      .send({ name: 'B', email: 'b@example.com' })
      .expect(422);
    expect(reused.headers['content-type']).toMatch(
      /^application\/problem\+json/,
    );
  });

  it('replays the first answer of a keyed write under Prefer, even after later writes', async () => {
    const prefer = { Prefer: 'return=representation' };
    await node.http
      .put('/users/k2')
      .set(prefer)
      .set('Idempotency-Key', 'k2-v1')
      .send({ name: 'One', email: 'one@example.com' })
      .expect(201);
    await node.http
      .patch('/users/k2')
      .set(prefer)
      .send({ name: 'Two' })
      .expect(200);
    const replay = await node.http
      .put('/users/k2')
      .set(prefer)
      .set('Idempotency-Key', 'k2-v1')
      .send({ name: 'One', email: 'one@example.com' });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.version).toBe(2);
  });

  it('shows the events that made a row, in order, with positions and outcomes', async () => {
    const prefer = { Prefer: 'return=representation' };
    await node.http
      .put('/users/h1')
      .set(prefer)
      .send({ name: 'Hist', email: 'h@example.com' })
      .expect(201);
    await node.http
      .patch('/users/h1')
      .set(prefer)
      .send({ name: 'Hist 2' })
      .expect(200);
    await node.http
      .patch('/users/h1')
      .set(prefer)
      .set('If-Match', '"1"')
      .send({ name: 'Late' })
      .expect(412);
    await node.http.delete('/users/h1').set(prefer).expect(204);
    const history = (await node.http.get('/users/h1/history').expect(200)).body;
    expect(
      history.map((entry: any) => [entry.type, entry.status, entry.version]),
    ).toEqual([
      ['replaced', 'applied', 1],
      ['patched', 'applied', 2],
      ['patched', 'rejected', null],
      ['deleted', 'applied', null],
    ]);
    expect(history[1]).toMatchObject({
      data: { name: 'Hist 2' },
      origin: 'e2e',
      position: expect.stringMatching(/^clusterlite\.users:0:\d+$/),
    });
    expect(history[2]).toMatchObject({
      rejection: 'version-mismatch',
      reason: expect.stringMatching(/expected version 1/),
    });
    await node.http.get('/users/never/history').expect(404);
  });

  it('refuses a malformed Idempotency-Key', async () => {
    await node.http
      .post('/users')
      .set('Idempotency-Key', 'has space')
      .send({ name: 'A', email: 'a@example.com' })
      .expect(400);
  });
});
