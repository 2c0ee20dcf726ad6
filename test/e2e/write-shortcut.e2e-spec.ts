import type { Response, Test } from 'supertest';
import {
  useEmbeddedNode,
  type EmbeddedNode,
} from '../support/embedded-node.js';
import { comparesBothWays, countNestRoutes } from '../support/nest-routes.js';

const READ = 'read-token-0123456789abcdef';
const WRITE = 'write-token-0123456789abcdef';
const API_KEYS = `read:${READ},write:${WRITE}`;

/** Counts the requests that reach Nest's own write routes of `users`. */
const countNestWrites = (node: EmbeddedNode) =>
  countNestRoutes(
    node,
    (route) =>
      (route.path === '/users' && Boolean(route.methods.post)) ||
      (route.path === '/users/:id' &&
        Boolean(route.methods.put || route.methods.patch)),
  );

/**
 * What a client sees of an answer, without what differs from one write to the next (ids,
 * positions, dates, the remaining rate limit, a problem's `instance`).
 */
function seen(response: Response) {
  const {
    date: _date,
    'x-ratelimit-remaining-rps': _remaining,
    location,
    'clusterlite-position': position,
    'content-length': _length,
    ...headers
  } = response.headers;
  const body = Array.isArray(response.body)
    ? (response.body as Record<string, unknown>[]).map(varying)
    : varying((response.body ?? {}) as Record<string, unknown>);
  return {
    status: response.status,
    headers: {
      ...headers,
      etag: typeof headers.etag,
      location: typeof location === 'string',
      position: typeof position === 'string',
    } as Record<string, unknown>,
    body,
  };
}

/** A body without its ids, positions, dates and problem `instance`: only their types. */
function varying(body: Record<string, unknown>): Record<string, unknown> {
  const kept = { ...body };
  for (const key of [
    'instance',
    'id',
    'eventId',
    'position',
    'createdAt',
    'updatedAt',
    'version',
  ])
    if (key in kept) kept[key] = typeof kept[key];
  return kept;
}

type Call = (path: string) => Test;

/** Asks `path` through the shortcut and through Nest's route; both must answer alike. */
const sameBothWays = comparesBothWays(seen);

describe('writes ahead of Nest’s router, on an open node', () => {
  const node = useEmbeddedNode();
  let nest: { count: number };
  let id: string;
  let unique = 0;
  const user = () => ({ name: 'Ada', email: `ada${unique++}@example.com` });

  beforeAll(async () => {
    nest = countNestWrites(node);
    const created = await node.http.post('/users').send(user()).expect(202);
    id = created.body.id;
  });

  const post =
    (body: unknown, headers: Record<string, string> = {}): Call =>
    (path) =>
      node.http
        .post(path)
        .set(headers)
        .send(body as object);

  it('answers a create 202 with Location, position and CORS headers', async () => {
    const answer = await sameBothWays(
      nest,
      (path) => post(user())(path),
      '/users',
    );
    expect(answer.status).toBe(202);
    expect(answer.headers).toMatchObject({
      location: true,
      position: true,
      'x-clusterlite-node': 'e2e',
      'access-control-allow-origin': '*',
      'content-type': 'application/json; charset=utf-8',
    });
  });

  it('answers a bulk create, PUT and PATCH alike', async () => {
    expect(
      (
        await sameBothWays(
          nest,
          (path) => post([user(), user()])(path),
          '/users',
        )
      ).status,
    ).toBe(202);
    for (const method of ['put', 'patch'] as const) {
      const answer = await sameBothWays(
        nest,
        (path) => node.http[method](path).send(user()),
        `/users/${id}`,
      );
      expect(answer.status).toBe(202);
    }
  });

  it('answers Prefer: return=representation alike', async () => {
    const answer = await sameBothWays(
      nest,
      (path) =>
        node.http
          .patch(path)
          .set('Prefer', 'return=representation')
          .send({ name: 'Grace' }),
      `/users/${id}`,
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ name: 'Grace' });
  });

  it.each<[string, unknown, Record<string, string>, number]>([
    ['an invalid body', { name: '', email: 'x', other: 1 }, {}, 400],
    ['a value of the wrong type', { name: 5, email: null }, {}, 400],
    [
      'a bulk item that is invalid',
      [{ name: 'A', email: 'a@x.io' }, {}],
      {},
      400,
    ],
    ['a body that is not JSON', 'text', {}, 415],
    [
      'a JSON value that is not an object',
      '"text"',
      { 'Content-Type': 'application/json' },
      400,
    ],
    [
      'a malformed Idempotency-Key',
      { name: 'A', email: 'a@x.io' },
      { 'Idempotency-Key': '' },
      400,
    ],
  ])(
    'answers a create with %s with the same problem',
    async (_case, body, headers, status) => {
      const answer = await sameBothWays(nest, post(body, headers), '/users');
      expect(answer.status).toBe(status);
      expect(answer.headers['content-type']).toBe(
        'application/problem+json; charset=utf-8',
      );
    },
  );

  it.each([
    ['put', { name: 'A' }, {}, 400],
    ['put', [{ name: 'A', email: 'a@x.io' }], {}, 400],
    ['patch', { email: 'nope', extra: true }, {}, 400],
    ['patch', { name: 'A' }, { 'If-Match': 'nope' }, 400],
    [
      'put',
      '{"name":"A","email":"a@x.io"}',
      { 'Content-Type': 'text/plain' },
      415,
    ],
  ] as const)(
    'answers %s with %j (%j) with the same problem',
    async (method, body, headers, status) => {
      const answer = await sameBothWays(
        nest,
        (path) =>
          node.http[method](path)
            .set(headers)
            .send(body as object),
        `/users/${id}`,
      );
      expect(answer.status).toBe(status);
    },
  );

  it('answers an empty body with the same problem', async () => {
    const answer = await sameBothWays(
      nest,
      (path) => node.http.post(path),
      '/users',
    );
    expect(answer.status).toBe(400);
  });

  it('leaves other paths and methods to Nest', async () => {
    const before = nest.count;
    await node.http.post('/users/').send(user()).expect(202);
    await node.http.put('/users/bad%20id').send(user()).expect(400);
    await node.http.put('/users').send(user()).expect(405);
    expect(nest.count).toBe(before + 2);
    await node.http.post('/nothing').send(user()).expect(404);
  });
});

describe('writes ahead of Nest’s router, with API keys', () => {
  const node = useEmbeddedNode({ API_KEYS, RATE_LIMIT_RPS: '1000' });
  let nest: { count: number };

  beforeAll(() => {
    nest = countNestWrites(node);
  });

  it.each([
    ['no token', {}, 401],
    ['a token that is not a key', { Authorization: 'Bearer nope' }, 401],
    ['a read key', { Authorization: `Bearer ${READ}` }, 403],
    ['a write key', { Authorization: `Bearer ${WRITE}` }, 202],
  ])('answers %s as the guards do', async (_case, headers, status) => {
    const answer = await sameBothWays(
      nest,
      (path) =>
        node.http.post(path).set(headers).send({ name: 'A', email: 'a@x.io' }),
      '/users',
    );
    expect(answer.status).toBe(status);
  });
});

describe('writes ahead of Nest’s router, with a rate limit', () => {
  const node = useEmbeddedNode({ RATE_LIMIT_RPS: '3' });

  it('counts its requests against the limit: 429 problem+json with Retry-After', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        node.http.post('/users').send({ name: 'A', email: 'a@x.io' }),
      ),
    );
    const limited = answers.find((answer) => answer.status === 429);
    expect(limited?.headers['retry-after']).toBeDefined();
    expect(limited?.headers['content-type']).toBe(
      'application/problem+json; charset=utf-8',
    );
  });
});
