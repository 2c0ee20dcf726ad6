import { downloadSnapshot, verifySnapshot } from '@clusterlite/core';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Response } from 'supertest';
import { SnapshotService } from '../../apps/node/src/snapshot/snapshot.service.js';
import { eventually, useEmbeddedNode } from '../support/embedded-node.js';

/** Collects a response body as bytes (supertest parses only text types by default). */
function binary(
  response: Response,
  callback: (error: Error | null, body: Buffer) => void,
): void {
  const stream = response as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => callback(null, Buffer.concat(chunks)));
}

function usersIn(path: string): { id: string; name: string }[] {
  const database = new DatabaseSync(path, { readOnly: true });
  try {
    return database
      .prepare('SELECT "id", "name" FROM "users" ORDER BY "id"')
      .all() as { id: string; name: string }[];
  } finally {
    database.close();
  }
}

describe('GET /_cluster/snapshot, embedded mode', () => {
  const node = useEmbeddedNode({ NODE_ID: 'snap' });

  beforeAll(async () => {
    for (const id of ['ann', 'bob'])
      await node.http
        .put(`/users/${id}`)
        .set('Prefer', 'return=representation')
        .send({ name: id.toUpperCase(), email: `${id}@example.com` })
        .expect(201);
  });

  it('streams a SQLite file named after the node, with the positions and checksums it covers', async () => {
    const response = await node.http
      .get('/_cluster/snapshot')
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(response.headers['content-type']).toBe('application/vnd.sqlite3');
    expect(response.headers['content-disposition']).toMatch(
      /^attachment; filename="clusterlite-snap-\d{4}-\d\d-\d\dT[\d-]+Z\.sqlite"$/,
    );
    const body = response.body as Buffer;
    expect(Number(response.headers['content-length'])).toBe(body.length);
    expect(body.subarray(0, 16).toString('latin1')).toBe('SQLite format 3\0');
    const positions = JSON.parse(
      response.headers['clusterlite-snapshot-positions'],
    );
    expect(positions).toContainEqual(
      expect.objectContaining({
        topic: 'clusterlite.users',
        partition: 0,
        offset: 1,
      }),
    );
    const checksums = JSON.parse(
      response.headers['clusterlite-snapshot-checksums'],
    );
    expect(checksums).toContainEqual(
      expect.objectContaining({ table: 'users', rows: 2 }),
    );

    const file = join(mkdtempSync(join(tmpdir(), 'snapshot-e2e-')), 'a.sqlite');
    writeFileSync(file, body);
    const verified = await verifySnapshot(file);
    expect(verified.checksums).toEqual(checksums);
    expect(verified.positions).toEqual(positions);
    expect(usersIn(file)).toEqual([
      { id: 'ann', name: 'ANN' },
      { id: 'bob', name: 'BOB' },
    ]);
  });

  it('answers 503 problem+json with Retry-After while another snapshot is being made', async () => {
    const snapshots = node.app.get(SnapshotService);
    const held = await snapshots.take(snapshots.temporaryPath());
    try {
      const response = await node.http.get('/_cluster/snapshot').expect(503);
      expect(response.headers['content-type']).toMatch(
        /^application\/problem\+json/,
      );
      expect(response.headers['retry-after']).toBe('30');
      expect(response.body).toMatchObject({
        type: 'urn:clusterlite:problem:snapshot-in-progress',
        status: 503,
      });
    } finally {
      held.release();
    }
    await node.http
      .get('/_cluster/snapshot')
      .buffer(true)
      .parse(binary)
      .expect(200);
  });

  it('frees the slot when a client goes away in the middle of a download', async () => {
    const server = node.app.getHttpServer();
    if (!server.listening)
      await new Promise<void>((listening) =>
        server.listen(0, '127.0.0.1', listening),
      );
    const { port } = server.address() as AddressInfo;
    const firstBytes = await new Promise<number>((resolve, reject) =>
      get(`http://127.0.0.1:${port}/_cluster/snapshot`, (response) => {
        response.once('data', (chunk: Buffer) => {
          response.destroy();
          resolve(chunk.length);
        });
      }).once('error', reject),
    );
    expect(firstBytes).toBeGreaterThan(0);
    await eventually(async () => {
      await node.http
        .get('/_cluster/snapshot')
        .buffer(true)
        .parse(binary)
        .expect(200);
    });
  });

  it('refuses a file whose rows no longer match the checksums it carries', async () => {
    const response = await node.http
      .get('/_cluster/snapshot')
      .buffer(true)
      .parse(binary)
      .expect(200);
    const file = join(mkdtempSync(join(tmpdir(), 'snapshot-e2e-')), 'b.sqlite');
    writeFileSync(file, response.body as Buffer);
    const database = new DatabaseSync(file);
    database.exec(`UPDATE "users" SET "name" = 'EVE' WHERE "id" = 'ann'`);
    database.close();
    await expect(verifySnapshot(file)).rejects.toThrow(
      /does not match the checksums it carries \(tables: users\)/,
    );
  });
});

describe('Scheduled snapshots, embedded mode', () => {
  const folder = mkdtempSync(join(tmpdir(), 'snapshot-dir-'));
  const node = useEmbeddedNode({
    NODE_ID: 'sched',
    SNAPSHOT_DIR: folder,
    SNAPSHOT_INTERVAL: '1',
    SNAPSHOT_KEEP: '2',
  });

  it('writes a verified snapshot to SNAPSHOT_DIR every interval and keeps the last SNAPSHOT_KEEP', async () => {
    await node.http
      .put('/users/sam')
      .set('Prefer', 'return=representation')
      .send({ name: 'Sam', email: 'sam@example.com' })
      .expect(201);
    const names = await eventually(async () => {
      const written = readdirSync(folder).filter((name) =>
        name.endsWith('.sqlite'),
      );
      expect(written.length).toBe(2);
      // Later snapshots than the write above: the oldest ones were pruned.
      expect(
        usersIn(join(folder, written.sort()[0])).map((row) => row.id),
      ).toEqual(['sam']);
      return written;
    }, 20_000);
    for (const name of names) {
      expect(name).toMatch(/^clusterlite-sched-[\dT-]+Z\.sqlite$/);
      const verified = await verifySnapshot(join(folder, name));
      expect(verified.positions.length).toBeGreaterThan(0);
    }
    expect(
      readdirSync(folder).filter((name) => name.endsWith('.partial')),
    ).toEqual([]);
  });
});

describe('GET /_cluster/snapshot with API keys', () => {
  const ADMIN = 'admin-0123456789abcdef';
  const node = useEmbeddedNode({
    NODE_ID: 'snap-keys',
    API_KEYS: `read:reader-0123456789abcdef,admin:${ADMIN}`,
  });
  let url: string;

  beforeAll(async () => {
    await node.app.listen(0, '127.0.0.1');
    const address = node.app.getHttpServer().address() as { port: number };
    url = `http://127.0.0.1:${address.port}`;
  });

  it('is downloaded with an admin key (BOOTSTRAP_TOKEN, CLUSTERLITE_TOKEN), refused without one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'snapshot-keys-'));
    await expect(
      downloadSnapshot(url, join(dir, 'none.sqlite')),
    ).rejects.toThrow(/answered 401/);
    await expect(
      downloadSnapshot(
        url,
        join(dir, 'read.sqlite'),
        undefined,
        'reader-0123456789abcdef',
      ),
    ).rejects.toThrow(/answered 403/);
    const { checksums } = await downloadSnapshot(
      url,
      join(dir, 'admin.sqlite'),
      undefined,
      ADMIN,
    );
    expect(checksums.map((checksum) => checksum.table)).toEqual(
      expect.arrayContaining(['products', 'users']),
    );
  });
});
