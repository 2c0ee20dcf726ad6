import { useEmbeddedNode } from '../support/embedded-node.js';

describe('Health and metrics, embedded mode', () => {
  const node = useEmbeddedNode();

  it('reports liveness and readiness', async () => {
    const live = await node.http.get('/_cluster/health/live').expect(200);
    expect(live.body).toMatchObject({
      status: 'ok',
      info: { sqlite: { status: 'up' } },
    });
    const ready = await node.http.get('/_cluster/health/ready').expect(200);
    expect(ready.body.info.eventLog).toMatchObject({
      status: 'up',
      mode: 'embedded',
    });
  });

  it('counts applied and rejected events and dead letters in Prometheus format', async () => {
    const prefer = { Prefer: 'return=representation' };
    await node.http
      .put('/users/metric')
      .set(prefer)
      .send({ name: 'M', email: 'm@example.com' })
      .expect(201);
    await node.http
      .patch('/users/nobody')
      .set(prefer)
      .send({ name: 'X' })
      .expect(404);
    const metrics = await node.http.get('/_cluster/metrics').expect(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.text).toMatch(
      /clusterlite_events_total\{table="users",type="replaced",status="applied"\} [1-9]/,
    );
    expect(metrics.text).toMatch(
      /clusterlite_events_total\{table="users",type="patched",status="rejected"\} [1-9]/,
    );
    expect(metrics.text).toMatch(
      /clusterlite_applied_offset\{topic="clusterlite.users",partition="0"\} \d+/,
    );
    expect(metrics.text).toMatch(/process_resident_memory_bytes \d+/);
  });
});
