import { SqliteWriter } from '@clusterlite/core';
import { useEmbeddedNode } from '../support/embedded-node.js';

describe('Reads see only committed data (fault 6)', () => {
  const node = useEmbeddedNode();

  it('does not show a row of a write transaction in flight, to reads or to the status checksums', async () => {
    const before = await node.http.get('/_cluster/status').expect(200);
    const users = (body: any) =>
      body.tables.find((table: any) => table.table === 'users');
    const rolledBack = new Error('rolled back on purpose');
    await expect(
      node.app.get(SqliteWriter).transaction(async (tx) => {
        await tx.execute(
          'INSERT INTO "users" ("id", "name", "email", "version", "createdAt", "updatedAt") VALUES (?, ?, ?, 1, ?, ?)',
          [
            'in-flight',
            'Never committed',
            'never@example.com',
            '2026-01-01T00:00:00.000Z',
            '2026-01-01T00:00:00.000Z',
          ],
        );
        await node.http.get('/users/in-flight').expect(404);
        const list = await node.http.get('/users').expect(200);
        expect(list.body).not.toContainEqual(
          expect.objectContaining({ id: 'in-flight' }),
        );
        const during = await node.http.get('/_cluster/status').expect(200);
        expect(users(during.body)).toEqual(users(before.body));
        throw rolledBack;
      }),
    ).rejects.toBe(rolledBack);
    await node.http.get('/users/in-flight').expect(404);
  });

  it('still reads its own writes: a read with the position of a write sees it', async () => {
    const written = await node.http
      .post('/users')
      .send({ name: 'Committed', email: 'committed@example.com' })
      .expect(202);
    const row = await node.http
      .get(`/users/${written.body.id}`)
      .set('ClusterLite-Position', written.body.position)
      .expect(200);
    expect(row.body).toMatchObject({ name: 'Committed', version: 1 });
    const created = await node.http
      .put('/users/own-write')
      .set('Prefer', 'return=representation')
      .send({ name: 'Own write', email: 'own@example.com' })
      .expect(201);
    expect(created.body).toMatchObject({ id: 'own-write', version: 1 });
  });
});
