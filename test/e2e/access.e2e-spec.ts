import { JwtService } from '@nestjs/jwt';
import { useEmbeddedNode } from '../support/embedded-node.js';
import { validBody } from '../support/sample-bodies.js';

const READ = 'read-token-0123456789abcdef';
const WRITE = 'write-token-0123456789abcdef';
const ADMIN = 'admin-token-0123456789abcdef';
const API_KEYS = `read:${READ},write:${WRITE},admin:${ADMIN}`;

type Role = 'none' | 'unknown' | 'read' | 'write' | 'admin';
const TOKENS: Record<Role, string | null> = {
  none: null,
  unknown: 'not-a-key-0123456789abcdef',
  read: READ,
  write: WRITE,
  admin: ADMIN,
};

describe('Access control with API_KEYS', () => {
  const node = useEmbeddedNode({ API_KEYS });
  let rowId: string;

  const call = (
    role: Role,
    method: 'get' | 'post' | 'put' | 'patch' | 'delete',
    path: string,
  ) => {
    const test = node.http[method](path);
    const token = TOKENS[role];
    return token ? test.set('Authorization', `Bearer ${token}`) : test;
  };

  beforeAll(async () => {
    const created = await call('write', 'post', '/users')
      .set('Prefer', 'return=representation')
      .send(validBody('users'));
    expect(created.status).toBe(201);
    rowId = created.body.id;
  });

  /** Each kind of route and the lowest role that may call it. */
  const routes: [
    string,
    'get' | 'post' | 'put' | 'patch' | 'delete',
    () => string,
    Role,
    object?,
  ][] = [
    ['list a table', 'get', () => '/users', 'read'],
    ['read a row', 'get', () => `/users/${rowId}`, 'read'],
    ['read a row history', 'get', () => `/users/${rowId}/history`, 'read'],
    ['create', 'post', () => '/users', 'write', validBody('users')],
    ['replace', 'put', () => `/users/${rowId}`, 'write', validBody('users')],
    ['patch', 'patch', () => `/users/${rowId}`, 'write', { name: 'Grace' }],
    ['delete', 'delete', () => '/users/no-such-row', 'write'],
    ['status', 'get', () => '/_cluster/status', 'admin'],
    ['metrics', 'get', () => '/_cluster/metrics', 'admin'],
    ['entity catalog', 'get', () => '/_cluster/entities', 'admin'],
    ['status, upper case', 'get', () => '/_CLUSTER/status', 'admin'],
  ];
  const rank: Role[] = ['read', 'write', 'admin'];

  describe.each(routes)('%s (%s)', (_name, method, path, lowest, body) => {
    it('answers 401 problem+json with a Bearer challenge without a token', async () => {
      const response = await call('none', method, path()).send(body);
      expect(response.status).toBe(401);
      expect(response.headers['content-type']).toMatch(
        /^application\/problem\+json/,
      );
      expect(response.headers['www-authenticate']).toBe(
        'Bearer realm="clusterlite"',
      );
      expect(response.body).toMatchObject({
        type: 'urn:clusterlite:problem:unauthorized',
        status: 401,
      });
    });

    it('answers 401 with invalid_token for a token that is not a key', async () => {
      const response = await call('unknown', method, path()).send(body);
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe(
        'Bearer realm="clusterlite", error="invalid_token"',
      );
    });

    it.each(rank)(
      'with a %s key: allowed from its lowest role up, else 403',
      async (role) => {
        const response = await call(role, method, path()).send(body);
        if (rank.indexOf(role) >= rank.indexOf(lowest)) {
          expect(response.status).toBeLessThan(400);
        } else {
          expect(response.status).toBe(403);
          expect(response.headers['content-type']).toMatch(
            /^application\/problem\+json/,
          );
          expect(response.body).toMatchObject({
            type: 'urn:clusterlite:problem:forbidden',
            status: 403,
            requiredRole: lowest,
            role,
          });
        }
      },
    );
  });

  it.each([
    '/_cluster/health/live',
    '/_cluster/health/ready',
    '/docs-json',
    '/_console/',
  ])('%s stays open without a token', async (path) => {
    const response = await node.http.get(path);
    expect(response.status).toBe(200);
  });

  it('readiness names no broker address', async () => {
    const response = await node.http.get('/_cluster/health/ready');
    expect(response.body.details.eventLog).toEqual(
      expect.objectContaining({ status: 'up', mode: 'embedded' }),
    );
    expect(response.body.details.eventLog).not.toHaveProperty('brokers');
  });

  it('the change feed needs a read key', async () => {
    expect((await node.http.get('/users/_changes')).status).toBe(401);
  });

  it("a deleted row's history is for admins only", async () => {
    const created = await call('write', 'post', '/users')
      .set('Prefer', 'return=representation')
      .send(validBody('users'));
    await call('write', 'delete', `/users/${created.body.id}`).set(
      'Prefer',
      'return=representation',
    );
    const asWriter = await call(
      'write',
      'get',
      `/users/${created.body.id}/history`,
    );
    expect(asWriter.status).toBe(403);
    expect(asWriter.body.detail).toMatch(/deleted/);
    const asAdmin = await call(
      'admin',
      'get',
      `/users/${created.body.id}/history`,
    );
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.body.map((entry: { type: string }) => entry.type)).toEqual([
      'created',
      'deleted',
    ]);
  });

  it('a CORS preflight from an unlisted origin gets no Access-Control-Allow-Origin', async () => {
    const response = await node.http
      .options('/users/x')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'DELETE');
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('CORS with API_KEYS and CORS_ORIGIN', () => {
  const node = useEmbeddedNode({
    API_KEYS,
    CORS_ORIGIN: 'https://app.example',
  });

  it('allows the listed origin and no other', async () => {
    const preflight = (origin: string) =>
      node.http
        .options('/users/x')
        .set('Origin', origin)
        .set('Access-Control-Request-Method', 'DELETE')
        .set('Access-Control-Request-Headers', 'authorization');
    const listed = await preflight('https://app.example');
    expect(listed.headers['access-control-allow-origin']).toBe(
      'https://app.example',
    );
    const other = await preflight('https://evil.example');
    expect(other.headers['access-control-allow-origin']).not.toBe(
      'https://evil.example',
    );
  });
});

describe('Open node (no API_KEYS)', () => {
  const node = useEmbeddedNode();

  it('lets anyone write and read status, and allows any origin', async () => {
    const created = await node.http.post('/users').send(validBody('users'));
    expect(created.status).toBe(202);
    expect((await node.http.get('/_cluster/status')).status).toBe(200);
    const preflight = await node.http
      .options('/users/x')
      .set('Origin', 'https://any.example')
      .set('Access-Control-Request-Method', 'DELETE');
    expect(preflight.headers['access-control-allow-origin']).toBe('*');
  });
});

describe('Rate limit (RATE_LIMIT_RPS)', () => {
  const node = useEmbeddedNode({ API_KEYS, RATE_LIMIT_RPS: '3' });

  it('answers 429 problem+json with Retry-After past the limit, per client', async () => {
    const answers = await Promise.all(
      Array.from({ length: 12 }, () =>
        node.http.get('/users').set('Authorization', `Bearer ${READ}`),
      ),
    );
    const statuses = answers.map((response) => response.status);
    const limited = answers.find((response) => response.status === 429);
    expect(statuses).toContain(429);
    expect(limited!.headers['content-type']).toMatch(
      /^application\/problem\+json/,
    );
    expect(Number(limited!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited!.body).toMatchObject({
      type: 'urn:clusterlite:problem:rate-limited',
      status: 429,
    });
    // Another key is another client, with its own budget.
    const other = await node.http
      .get('/users')
      .set('Authorization', `Bearer ${WRITE}`);
    expect(other.status).toBe(200);
    // Health probes are never limited.
    expect((await node.http.get('/_cluster/health/live')).status).toBe(200);
  });
});

describe('JWT bearer tokens (JWT_SECRET)', () => {
  const SECRET = 'jwt-secret-0123456789abcdef0123456789';
  const node = useEmbeddedNode({
    JWT_SECRET: SECRET,
    API_KEYS: `read:${READ}`,
  });
  const sign = (claims: object, options: object = {}, secret = SECRET) =>
    new JwtService({ secret }).sign(claims, { algorithm: 'HS256', ...options });
  const withToken = (method: 'get' | 'post', path: string, token: string) =>
    node.http[method](path).set('Authorization', `Bearer ${token}`);

  it("grants the token's role claim, beside the API keys", async () => {
    const writer = sign({ sub: 'app-1', role: 'write' });
    expect(
      (await withToken('post', '/users', writer).send(validBody('users')))
        .status,
    ).toBe(202);
    const reader = sign({ sub: 'app-2', role: 'read' });
    expect((await withToken('get', '/users', reader)).status).toBe(200);
    const refused = await withToken('post', '/users', reader).send(
      validBody('users'),
    );
    expect(refused.status).toBe(403);
    expect((await withToken('get', '/_cluster/status', writer)).status).toBe(
      403,
    );
    expect(
      (await withToken('get', '/_cluster/status', sign({ role: 'admin' })))
        .status,
    ).toBe(200);
    expect((await withToken('get', '/users', READ)).status).toBe(200);
  });

  it.each([
    ['expired', () => sign({ role: 'admin' }, { expiresIn: -10 })],
    [
      'signed with another secret',
      () => sign({ role: 'admin' }, {}, 'another-secret-0123456789abcdef0123'),
    ],
    ['without a role', () => sign({ sub: 'x' })],
    ['with an unknown role', () => sign({ role: 'root' })],
    [
      'unsigned (alg none)',
      () =>
        `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"role":"admin"}').toString('base64url')}.`,
    ],
  ])('answers 401 invalid_token for a JWT %s', async (_name, token) => {
    const response = await withToken('get', '/users', token());
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe(
      'Bearer realm="clusterlite", error="invalid_token"',
    );
  });
});
