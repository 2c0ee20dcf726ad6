import { eventually, useEmbeddedNode } from '../support/embedded-node.js';
import { followPages } from '../support/pages.js';
import { validBody } from '../support/sample-bodies.js';

const KEY_A = 'feeds-reader-a-0123456789';
const KEY_B = 'feeds-reader-b-0123456789';
const ADMIN = 'feeds-admin-0123456789ab';

/** Opens a change feed with `key`; returns its status and a way to hang up. */
async function openFeed(
  url: string,
  key: string,
): Promise<{
  status: number;
  body: any;
  retryAfter: string | null;
  close(): void;
}> {
  const controller = new AbortController();
  const response = await fetch(`${url}/users/_changes`, {
    headers: { Accept: 'text/event-stream', Authorization: `Bearer ${key}` },
    signal: controller.signal,
  });
  const body = response.status === 200 ? null : await response.json();
  return {
    status: response.status,
    body,
    retryAfter: response.headers.get('retry-after'),
    close: () => controller.abort(),
  };
}

describe('Change feed limits (MAX_CHANGE_FEEDS, MAX_CHANGE_FEEDS_PER_CLIENT)', () => {
  const node = useEmbeddedNode({
    API_KEYS: `read:${KEY_A},read:${KEY_B},admin:${ADMIN}`,
    MAX_CHANGE_FEEDS: '3',
    MAX_CHANGE_FEEDS_PER_CLIENT: '2',
  });
  let url: string;

  beforeAll(async () => {
    await node.app.listen(0, '127.0.0.1');
    url = await node.app.getUrl();
  });

  it('refuses a client past its share with 429, the node past its total with 503, and frees a slot when a feed ends', async () => {
    const a1 = await openFeed(url, KEY_A);
    const a2 = await openFeed(url, KEY_A);
    expect([a1.status, a2.status]).toEqual([200, 200]);

    const a3 = await openFeed(url, KEY_A);
    expect(a3.status).toBe(429);
    expect(a3.retryAfter).toMatch(/^\d+$/);
    expect(a3.body).toMatchObject({
      type: 'urn:clusterlite:problem:too-many-change-feeds',
      status: 429,
    });

    const b1 = await openFeed(url, KEY_B);
    expect(b1.status).toBe(200);
    const b2 = await openFeed(url, KEY_B);
    expect(b2.status).toBe(503);
    expect(b2.retryAfter).toMatch(/^\d+$/);
    expect(b2.body).toMatchObject({
      type: 'urn:clusterlite:problem:change-feeds-exhausted',
      status: 503,
    });

    const metrics = await node.http
      .get('/_cluster/metrics')
      .set('Authorization', `Bearer ${ADMIN}`);
    expect(metrics.text).toMatch(/clusterlite_change_feeds_open 3/);
    expect(metrics.text).toMatch(
      /clusterlite_limit_refusals_total\{limit="too-many-change-feeds"\} [1-9]/,
    );
    expect(metrics.text).toMatch(
      /clusterlite_limit_refusals_total\{limit="change-feeds-exhausted"\} [1-9]/,
    );

    a1.close();
    await eventually(async () => {
      const again = await openFeed(url, KEY_B);
      again.close();
      expect(again.status).toBe(200);
    });
    a2.close();
    b1.close();
  });
});

describe('Request body width and error lists (MAX_BODY_KEYS)', () => {
  const node = useEmbeddedNode();

  it('refuses a body with 50,000 keys before validation runs (validating it took seconds)', async () => {
    const body: Record<string, number> = {};
    for (let i = 0; i < 50_000; i++) body[`k${i}`] = i;
    const started = performance.now();
    const response = await node.http.post('/users').send(body);
    const elapsed = performance.now() - started;
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(
      /^application\/problem\+json/,
    );
    expect(response.body.errors).toEqual([
      {
        field: '(body)',
        messages: [
          'an object has 50000 keys; at most 256 are accepted (MAX_BODY_KEYS)',
        ],
      },
    ]);
    // Not a timing assertion on the machine's speed: validating it took seconds.
    expect(elapsed).toBeLessThan(2_000);
  });

  it('checks nested objects and bulk items too, naming where', async () => {
    const wide: Record<string, number> = {};
    for (let i = 0; i < 300; i++) wide[`k${i}`] = i;
    const response = await node.http
      .post('/users')
      .send([validBody('users'), { ...validBody('users'), extra: wide }]);
    expect(response.status).toBe(400);
    expect(response.body.errors[0].field).toBe('(body)[1].extra');
  });

  it('lists at most 50 field errors and says how many more there were', async () => {
    const items = Array.from({ length: 200 }, () => ({ name: 42 }));
    const response = await node.http.post('/users').send(items);
    expect(response.status).toBe(400);
    expect(response.body.errors).toHaveLength(51);
    expect(response.body.errors.at(-1)).toEqual({
      field: '(more)',
      messages: [expect.stringMatching(/^\d+ more errors not listed$/)],
    });
  });
});

describe('Bounded counts and paged history (MAX_COUNT)', () => {
  const node = useEmbeddedNode({ MAX_COUNT: '5' });

  it('caps X-Total-Count at MAX_COUNT and says so', async () => {
    const created = await node.http
      .post('/users')
      .set('Prefer', 'return=representation')
      .send(Array.from({ length: 7 }, () => validBody('users')));
    expect(created.status).toBe(200);
    const capped = await node.http.get('/users').query({ count: 'true' });
    expect(capped.headers['x-total-count']).toBe('5');
    expect(capped.headers['x-total-count-capped']).toBe('true');
    const exact = await node.http
      .get('/users')
      .query({ count: 'true', name: 'eq.nobody' });
    expect(exact.headers['x-total-count']).toBe('0');
    expect(exact.headers['x-total-count-capped']).toBeUndefined();
  });

  it('pages a row history with limit and a Link to the next page', async () => {
    const created = await node.http
      .post('/products')
      .set('Prefer', 'return=representation')
      .send(validBody('products'));
    const id = created.body.id;
    for (let price = 1; price <= 4; price++) {
      await node.http
        .patch(`/products/${id}`)
        .set('Prefer', 'return=representation')
        .send({ price });
    }
    const pages = await followPages<{ type: string }>(
      node.http,
      `/products/${id}/history?limit=2`,
    );
    expect(pages.map((page) => page.body.map((entry) => entry.type))).toEqual([
      ['created', 'patched'],
      ['patched', 'patched'],
      ['patched'],
    ]);
    const tooMany = await node.http.get(`/products/${id}/history?limit=5000`);
    expect(tooMany.status).toBe(400);
  });
});

describe('Change feed replay, page by page', () => {
  const node = useEmbeddedNode();

  it('replays 1,200 missed changes (three pages of the outcomes table) in log order, then goes live', async () => {
    const receipts: { id: string; position: string }[] = [];
    for (const size of [1000, 200]) {
      const created = await node.http
        .post('/users')
        .set('Prefer', 'return=representation')
        .send(Array.from({ length: size }, () => validBody('users')));
      expect(created.status).toBe(200);
      receipts.push(...created.body);
    }
    await node.app.listen(0, '127.0.0.1');
    const url = await node.app.getUrl();
    const controller = new AbortController();
    const feed = await fetch(`${url}/users/_changes`, {
      headers: {
        Accept: 'text/event-stream',
        'Last-Event-ID': receipts[0].position,
      },
      signal: controller.signal,
    });
    expect(feed.status).toBe(200);
    const reader = feed.body!.getReader();
    const decoder = new TextDecoder();
    const ids: string[] = [];
    let buffer = '';
    let live: string | undefined;
    while (ids.length < receipts.length) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      // Only whole lines: the last one may still be arriving.
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('data: ')) continue;
        const data = JSON.parse(line.slice('data: '.length));
        if (data.id) ids.push(data.id);
      }
      if (ids.length === receipts.length - 1 && !live) {
        live = (await node.http.post('/users').send(validBody('users'))).body
          .id;
      }
    }
    controller.abort();
    expect(ids).toEqual([...receipts.slice(1).map((r) => r.id), live]);
  });
});
