import { inject } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import sqlite3 from 'sqlite3';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import {
  NodeProcess,
  eventually,
  uniqueTopicPrefix,
} from '../support/node-process.js';

const json = { 'Content-Type': 'application/json' };
const representation = { Prefer: 'return=representation' };

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function send(
  node: NodeProcess,
  method: string,
  path: string,
  body?: object,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(`${node.url}${path}`, {
    method,
    headers: { ...json, ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? JSON.parse(text) : null,
  };
}

/** GET once `node` applied `position`. */
function read(node: NodeProcess, path: string, position: string) {
  return send(node, 'GET', path, undefined, {
    'ClusterLite-Position': position,
  });
}

/** Holds SQLite's write lock (BEGIN IMMEDIATE) on a node's file from another connection. */
async function holdWriteLock(
  path: string,
): Promise<{ release(): Promise<void> }> {
  const database = await new Promise<sqlite3.Database>((resolve, reject) => {
    const opened: sqlite3.Database = new sqlite3.Database(path, (error) =>
      error ? reject(error) : resolve(opened),
    );
  });
  const run = (sql: string) =>
    new Promise<void>((resolve, reject) =>
      database.exec(sql, (error) => (error ? reject(error) : resolve())),
    );
  await run('PRAGMA busy_timeout = 10000');
  await run('BEGIN IMMEDIATE');
  return {
    release: async () => {
      await run('ROLLBACK');
      await new Promise<void>((resolve) => database.close(() => resolve()));
    },
  };
}

/** Runs SQL on a node's file from another connection, as an operator's sqlite3 shell would. */
async function execOn(path: string, sql: string): Promise<void> {
  const database = new sqlite3.Database(path);
  try {
    await new Promise<void>((resolve, reject) =>
      database.exec(`PRAGMA busy_timeout = 10000; ${sql}`, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  } finally {
    await new Promise<void>((resolve) => database.close(() => resolve()));
  }
}

describe('Data safety through a real Kafka broker', () => {
  const brokers = inject('kafkaBrokers');
  const topicPrefix = uniqueTopicPrefix('safety');
  let a: NodeProcess;
  let b: NodeProcess;

  beforeAll(async () => {
    // A waits long enough on a Prefer write to see what becomes of its event.
    a = await NodeProcess.start({
      nodeId: 'a',
      brokers,
      topicPrefix,
      env: { READ_WAIT_TIMEOUT_MS: '60000' },
    });
    b = await NodeProcess.start({ nodeId: 'b', brokers, topicPrefix });
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('opens its SQLite file through one copy of SQLite: no second library in the process to miss its locks', async () => {
    // Two copies of SQLite in one process do not see each other's POSIX locks, and one copy
    // closing the file drops the other's: the node runs node:sqlite only (README, Choices).
    const maps = readFileSync(`/proc/${a.pid}/maps`, 'utf8');
    expect(maps).not.toMatch(/node_sqlite3\.node|libsqlite3/);
    const open = readdirSync(`/proc/${a.pid}/fd`).map((fd) => {
      try {
        return readlinkSync(`/proc/${a.pid}/fd/${fd}`);
      } catch {
        return '';
      }
    });
    expect(open).toContain(a.dbPath);
    // The node's connections: TypeORM's (shared with the writer), reads by key, and the
    // worker thread's, which opens once a list or checksum was read.
    expect(
      open.filter((path) => path === a.dbPath).length,
    ).toBeGreaterThanOrEqual(2);
  });

  it('retries a storage fault on one node for as long as it lasts, reports not ready meanwhile, and applies the event after it (fault 1)', async () => {
    const before = await send(
      b,
      'PUT',
      '/users/locked-1',
      { name: 'Before the lock', email: 'before@example.com' },
      representation,
    );
    expect(before.status).toBe(201);
    expect(
      (
        await read(
          a,
          '/users/locked-1',
          before.headers.get('clusterlite-position')!,
        )
      ).status,
    ).toBe(200);

    const lock = await holdWriteLock(a.dbPath);
    const lockedAt = Date.now();
    // What A says about itself while its file is locked.
    const readiness: Answer[] = [];
    const liveness: number[] = [];
    const statuses: any[] = [];
    let probing = true;
    const probe = (async () => {
      while (probing) {
        readiness.push(await send(a, 'GET', '/_cluster/health/ready'));
        liveness.push((await send(a, 'GET', '/_cluster/health/live')).status);
        statuses.push(await a.status().catch(() => null));
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    })();
    let released = false;
    const releasing = new Promise<void>((resolve) =>
      setTimeout(() => {
        void lock.release().then(() => {
          released = true;
          resolve();
        });
      }, 25_000),
    );
    try {
      const written = await send(b, 'POST', '/users', {
        name: 'Written through B',
        email: 'through-b@example.com',
      });
      expect(written.status).toBe(202);
      const patched = await send(
        a,
        'PATCH',
        '/users/locked-1',
        { name: 'Patched during the lock' },
        representation,
      );
      // Answered only once the event was applied on A: never with the unchanged row.
      expect(released).toBe(true);
      expect(Date.now() - lockedAt).toBeGreaterThanOrEqual(25_000);
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({
        id: 'locked-1',
        name: 'Patched during the lock',
        version: 2,
      });
      expect(patched.headers.get('etag')).toBe('"2"');

      const onA = await read(
        a,
        `/users/${written.body.id}`,
        written.body.position,
      );
      expect(onA.status).toBe(200);
      expect(onA.body.name).toBe('Written through B');
      await eventually(async () => {
        const [statusA, statusB] = await Promise.all([a.status(), b.status()]);
        expect(statusA.deadLetters).toBe(0);
        expect(statusA.storage).toMatchObject({ ok: true });
        expect(statusA.tables).toEqual(statusB.tables);
      }, 60_000);
    } finally {
      await releasing;
      probing = false;
      await probe;
    }
    // Live all along: a locked file is a fault to wait out, not a dead node.
    expect(liveness.every((status) => status === 200)).toBe(true);
    const down = readiness.find(
      (answer) => answer.body?.checks?.storage?.status === 'down',
    );
    expect(down?.status).toBe(503);
    expect(down?.headers.get('content-type')).toContain(
      'application/problem+json',
    );
    expect(down?.body).toMatchObject({
      type: 'urn:clusterlite:problem:not-ready',
      detail: expect.stringMatching(/storage: .*SQLITE_BUSY/),
      checks: {
        storage: {
          status: 'down',
          message: expect.stringContaining('SQLITE_BUSY'),
        },
      },
    });
    expect(
      statuses.find((status) => status?.storage?.ok === false)?.storage,
    ).toMatchObject({
      ok: false,
      reason: expect.stringContaining('SQLITE_BUSY'),
    });
    expect((await send(a, 'GET', '/_cluster/health/ready')).status).toBe(200);
  });

  it('scopes an Idempotency-Key to its table: the same key on users and products creates both rows on every node (fault 2)', async () => {
    const key = `shared-key-${Date.now()}`;
    const [user, product] = await Promise.all([
      send(
        a,
        'POST',
        '/users',
        { name: 'Keyed user', email: 'keyed@example.com' },
        { 'Idempotency-Key': key },
      ),
      send(
        b,
        'POST',
        '/products',
        {
          name: 'Keyed product',
          sku: `KEY-${Date.now()}`,
          price: 1,
          tags: [],
          available: true,
        },
        { 'Idempotency-Key': key },
      ),
    ]);
    expect(user.status).toBe(202);
    expect(product.status).toBe(202);
    expect(user.body.eventId).not.toBe(product.body.eventId);
    for (const node of [a, b]) {
      expect(
        (await read(node, `/users/${user.body.id}`, user.body.position)).body,
      ).toMatchObject({ name: 'Keyed user' });
      expect(
        (
          await read(
            node,
            `/products/${product.body.id}`,
            product.body.position,
          )
        ).body,
      ).toMatchObject({ name: 'Keyed product' });
    }
    // A retry of each, through the other node, names the same row and event.
    const [userAgain, productAgain] = await Promise.all([
      send(
        b,
        'POST',
        '/users',
        { name: 'Keyed user', email: 'keyed@example.com' },
        { 'Idempotency-Key': key },
      ),
      send(
        a,
        'POST',
        '/products',
        {
          name: 'Keyed product',
          sku: product.body.id,
          price: 1,
          tags: [],
          available: true,
        },
        { 'Idempotency-Key': key },
      ),
    ]);
    expect(userAgain.status).toBe(202);
    expect(userAgain.headers.get('idempotent-replayed')).toBe('true');
    expect(userAgain.body).toMatchObject({
      id: user.body.id,
      eventId: user.body.eventId,
    });
    // Same key and table, different request: refused, not applied.
    expect(productAgain.status).toBe(422);
    await eventually(async () => {
      const [statusA, statusB] = await Promise.all([a.status(), b.status()]);
      expect(statusA.tables).toEqual(statusB.tables);
    }, 30_000);
  });

  it('records a duplicate event on the log as a skipped outcome, and never dedups across topics (fault 2)', async () => {
    const created = await send(b, 'POST', '/users', {
      name: 'Original',
      email: 'original@example.com',
    });
    const event = {
      eventId: created.body.eventId,
      type: 'created',
      table: 'products',
      entityId: 'same-event-id-other-table',
      data: {
        name: 'Other table',
        sku: `OTHER-${Date.now()}`,
        price: 2,
        tags: [],
        available: true,
      },
      expectedVersion: null,
      occurredAt: new Date().toISOString(),
      origin: 'test',
      schemaVersion: 1,
    };
    const duplicate = {
      ...event,
      table: 'users',
      entityId: created.body.id,
      type: 'created',
      data: { name: 'Original', email: 'original@example.com' },
    };
    const producer = new Kafka({
      brokers: [brokers],
      logLevel: logLevel.NOTHING,
    }).producer();
    await producer.connect();
    // The same event id on another table's topic, and a true duplicate on users.
    const [productsMeta] = await producer.send({
      topic: `${topicPrefix}.products`,
      acks: -1,
      messages: [{ key: event.entityId, value: JSON.stringify(event) }],
    });
    const [usersMeta] = await producer.send({
      topic: `${topicPrefix}.users`,
      acks: -1,
      messages: [{ key: duplicate.entityId, value: JSON.stringify(duplicate) }],
    });
    await producer.disconnect();
    for (const node of [a, b]) {
      const product = await read(
        node,
        `/products/${event.entityId}`,
        `${topicPrefix}.products:0:${productsMeta.baseOffset}`,
      );
      expect(product.status).toBe(200);
      await read(
        node,
        `/users/${created.body.id}`,
        `${topicPrefix}.users:0:${usersMeta.baseOffset}`,
      );
      const status = await node.status();
      expect(status.skippedDuplicates).toBe(1);
      expect(status.rejectedEvents).toBe(0);
    }
  });

  it('never gives one ETag to two states of a row, across a delete and re-create, on every node (fault 3)', async () => {
    const first = await send(
      a,
      'PUT',
      '/users/aba',
      { name: 'First Aba', email: 'first@example.com' },
      representation,
    );
    expect(first.status).toBe(201);
    expect(first.headers.get('etag')).toBe('"1"');
    expect(
      (await send(a, 'DELETE', '/users/aba', undefined, representation)).status,
    ).toBe(204);
    const second = await send(
      b,
      'PUT',
      '/users/aba',
      { name: 'Second Aba', email: 'second@example.com' },
      representation,
    );
    expect(second.status).toBe(201);
    const etag = second.headers.get('etag');
    expect(etag).not.toBe('"1"');
    const position = second.headers.get('clusterlite-position')!;
    for (const node of [a, b]) {
      const current = await read(node, '/users/aba', position);
      expect(current.headers.get('etag')).toBe(etag);
      const stale = await send(node, 'GET', '/users/aba', undefined, {
        'If-None-Match': '"1"',
      });
      expect(stale.status).toBe(200);
      expect(stale.body.name).toBe('Second Aba');
    }
    const patch = await send(
      a,
      'PATCH',
      '/users/aba',
      { name: 'Patched from the deleted row' },
      { 'If-Match': '"1"', ...representation },
    );
    expect(patch.status).toBe(412);
    for (const node of [a, b]) {
      const row = await read(
        node,
        '/users/aba',
        patch.headers.get('clusterlite-position') ?? position,
      );
      expect(row.body.name).toBe('Second Aba');
    }
  });

  // Last: it makes node A set an event aside that B applies, so the replicas differ after it.
  it('never answers a Prefer write with the row when this node set its event aside instead of applying it (fault 1)', async () => {
    const created = await send(
      a,
      'PUT',
      '/users/set-aside',
      { name: 'As created', email: 'aside@example.com' },
      representation,
    );
    expect(created.status).toBe(201);
    const deadLettersBefore = (await a.status()).deadLetters;
    // A fault of A's own schema, not of the event: applying the update fails with SQLITE_ERROR there.
    await execOn(
      a.dbPath,
      `CREATE TRIGGER "set_aside" AFTER UPDATE ON "users" WHEN NEW."id" = 'set-aside' BEGIN INSERT INTO "nowhere" VALUES (1); END;`,
    );
    try {
      const patched = await send(
        a,
        'PATCH',
        '/users/set-aside',
        { name: 'Never applied on A' },
        representation,
      );
      expect(patched.status).toBe(500);
      expect(patched.headers.get('content-type')).toContain(
        'application/problem+json',
      );
      expect(patched.body).toMatchObject({
        type: 'urn:clusterlite:problem:event-not-applied',
        eventId: expect.any(String),
      });
      const onA = await send(a, 'GET', '/users/set-aside');
      expect(onA.body).toMatchObject({ name: 'As created', version: 1 });
      expect((await a.status()).deadLetters).toBe(deadLettersBefore + 1);
    } finally {
      await execOn(a.dbPath, 'DROP TRIGGER IF EXISTS "set_aside";');
    }
  });
});
