import type { Response, Test } from 'supertest';
import {
  useEmbeddedNode,
  type EmbeddedNode,
} from '../support/embedded-node.js';
import { comparesBothWays, countNestRoutes } from '../support/nest-routes.js';

const READ = 'read-token-0123456789abcdef';
const WRITE = 'write-token-0123456789abcdef';
const API_KEYS = `read:${READ},write:${WRITE}`;

/**
 * Counts the requests that reach Nest's own `GET /users/:id` route. Express routes a table
 * name case-insensitively, so `/USERS/{id}` still gets there, past the shortcut (which only
 * takes the table names as registered): the same request both ways must get the same answer.
 */
const countNestRoute = (node: EmbeddedNode) =>
  countNestRoutes(
    node,
    (route) => route.path === '/users/:id' && Boolean(route.methods.get),
  );

/**
 * What a client sees of an answer. A problem's `instance` names the path as sent, and the
 * rate limit's remaining count goes down with each request: both are left out.
 */
function seen(response: Response) {
  const {
    date: _date,
    'x-ratelimit-remaining-rps': _remaining,
    ...headers
  } = response.headers;
  const { instance: _instance, ...body } = response.body as Record<
    string,
    unknown
  >;
  return {
    status: response.status,
    headers,
    body,
    text: body.type ? '' : response.text,
  };
}

/** Creates a user on `node`: its id and the position of its create. */
async function createUser(
  node: EmbeddedNode,
): Promise<{ id: string; position: string }> {
  const created = await node.http
    .post('/users')
    .send({ name: 'Ada', email: 'ada@example.com' })
    .expect(202);
  return created.body as { id: string; position: string };
}

type Call = (path: string) => Test;

/** Asks `path` through the shortcut and through Nest's route; both must answer alike. */
const sameBothWays = comparesBothWays(seen);

describe('GET /{table}/{id} ahead of Nest’s router, on an open node', () => {
  const node = useEmbeddedNode();
  let nest: { count: number };
  let id: string;
  let position: string;

  beforeAll(async () => {
    nest = countNestRoute(node);
    ({ id, position } = await createUser(node));
  });

  const get: Call = (path) => node.http.get(path);

  it('answers the row after the position asked for, with its ETag, CORS and node headers', async () => {
    const answer = await sameBothWays(
      nest,
      get,
      `/users/${id}?position=${position}`,
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id, name: 'Ada', version: 1 });
    expect(answer.headers).toMatchObject({
      etag: '"1"',
      'x-clusterlite-node': 'e2e',
      'access-control-allow-origin': '*',
      'content-type': 'application/json; charset=utf-8',
    });
  });

  it('waits for the position in the ClusterLite-Position header too', async () => {
    const answer = await sameBothWays(
      nest,
      (path) => get(path).set('ClusterLite-Position', position),
      `/users/${id}`,
    );
    expect(answer.status).toBe(200);
  });

  it('answers 304 to If-None-Match naming the current version', async () => {
    const answer = await sameBothWays(
      nest,
      (path) => get(path).set('If-None-Match', 'W/"1"'),
      `/users/${id}`,
    );
    expect(answer.status).toBe(304);
    expect(answer.text).toBe('');
  });

  it.each([
    ['a row that does not exist', '/users/nobody', {}, 404],
    [
      'a malformed If-None-Match',
      '/users/nobody',
      { 'If-None-Match': 'x' },
      400,
    ],
    ['a malformed position', '/users/nobody?position=nowhere', {}, 400],
    ['a position of no table', '/users/nobody?position=other:0:1', {}, 400],
    ['a query parameter it does not take', '/users/nobody?limit=3', {}, 400],
  ])(
    'answers %s with the same problem',
    async (_case, path, headers, status) => {
      const answer = await sameBothWays(
        nest,
        (sent) => get(sent).set(headers),
        path,
      );
      expect(answer.status).toBe(status);
      expect(answer.headers['content-type']).toBe(
        'application/problem+json; charset=utf-8',
      );
    },
  );

  it('reads the body of a GET that has one first, as the JSON body parser always did: a malformed one is a 400 problem', async () => {
    const malformed = await get(`/users/${id}`)
      .set('Content-Type', 'application/json')
      .send('{"name":');
    expect(malformed.status).toBe(400);
    expect(malformed.headers['content-type']).toBe(
      'application/problem+json; charset=utf-8',
    );
    const empty = await sameBothWays(
      nest,
      (path) => get(path).set('Content-Type', 'application/json').send('{}'),
      `/users/${id}`,
    );
    expect(empty.status).toBe(200);
  });

  it('leaves other paths and methods to Nest', async () => {
    const before = nest.count;
    await node.http.get(`/users/${id}/history`).expect(200);
    await node.http.get('/users/bad%20id').expect(400);
    await node.http.head(`/users/${id}`).expect(200);
    expect(nest.count).toBe(before + 2);
    await node.http.get('/nothing/here').expect(404);
    await node.http.put('/_cluster/status').expect(405);
  });
});

describe('GET /{table}/{id} ahead of Nest’s router, with API keys', () => {
  const node = useEmbeddedNode({ API_KEYS, RATE_LIMIT_RPS: '1000' });
  let nest: { count: number };

  beforeAll(() => {
    nest = countNestRoute(node);
  });

  it.each([
    ['no token', {}, 401],
    ['a token that is not a key', { Authorization: 'Bearer nope' }, 401],
    ['a read key', { Authorization: `Bearer ${READ}` }, 404],
  ])('answers %s as the guards do', async (_case, headers, status) => {
    const answer = await sameBothWays(
      nest,
      (path) => node.http.get(path).set(headers),
      '/users/nobody',
    );
    expect(answer.status).toBe(status);
  });
});

describe('GET /{table}/{id} ahead of Nest’s router, with a rate limit', () => {
  const node = useEmbeddedNode({ RATE_LIMIT_RPS: '3' });

  it('counts its requests against the limit: 429 problem+json with Retry-After', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => node.http.get('/users/nobody')),
    );
    const limited = answers.find((answer) => answer.status === 429);
    expect(limited?.headers['retry-after']).toBeDefined();
    expect(limited?.headers['content-type']).toBe(
      'application/problem+json; charset=utf-8',
    );
  });
});

describe('GET /{table}/{id} ahead of Nest’s router, with CORS_ORIGIN', () => {
  const node = useEmbeddedNode({ CORS_ORIGIN: 'https://app.example' });
  let nest: { count: number };
  let id: string;

  beforeAll(async () => {
    nest = countNestRoute(node);
    ({ id } = await createUser(node));
  });

  /** The row asked for from a page of `origin`, both ways. */
  const readFrom = (origin: string) =>
    sameBothWays(
      nest,
      (path) => node.http.get(path).set('Origin', origin),
      `/users/${id}`,
    );

  it('answers an origin it allows with the same CORS headers as every other route', async () => {
    const answer = await readFrom('https://app.example');
    expect(answer.status).toBe(200);
    expect(answer.headers).toMatchObject({
      'access-control-allow-origin': 'https://app.example',
      vary: 'Origin',
      'x-clusterlite-node': 'e2e',
    });
    expect(answer.headers['access-control-expose-headers']).toContain('ETag');
  });

  it('does not allow an origin it does not list, as every other route', async () => {
    const answer = await readFrom('https://elsewhere.example');
    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
  });
});
