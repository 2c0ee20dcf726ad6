import { connect, createServer, type AddressInfo } from 'node:net';
import {
  startEmbeddedNode,
  useEmbeddedNode,
} from '../support/embedded-node.js';

const PROBLEM = /^application\/problem\+json/;
const PROBLEM_TYPE = /^urn:clusterlite:problem:[a-z:-]+$/;

/**
 * A JSON write with no body at all: no Content-Length, no Transfer-Encoding, as
 * `curl -X POST -H 'Content-Type: application/json' <url>` sends it.
 */
function postWithoutBody(
  port: number,
  path: string,
): Promise<{ status: number; contentType: string; body: unknown }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () =>
      socket.end(
        `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n`,
      ),
    );
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head, ...rest] = text.split('\r\n\r\n');
      resolve({
        status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]),
        contentType: /^content-type: (.*)$/im.exec(head)?.[1] ?? '',
        body: JSON.parse(rest.join('\r\n\r\n')) as unknown,
      });
    });
  });
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('What a client is told, embedded mode', () => {
  const node = useEmbeddedNode();

  describe('a write body of the wrong kind', () => {
    it('says the body is empty when a JSON write has no body at all', async () => {
      const server = node.app.getHttpServer();
      if (!server.listening)
        await new Promise<void>((resolve) =>
          server.listen(0, '127.0.0.1', resolve),
        );
      const { port } = server.address() as AddressInfo;
      const response = await postWithoutBody(port, '/users');
      expect(response.status).toBe(400);
      expect(response.contentType).toMatch(PROBLEM);
      expect(response.body).toMatchObject({
        type: 'urn:clusterlite:problem:validation-failed',
        status: 400,
        detail: 'The request body is empty',
      });
    });

    it('says the body is empty for Content-Length: 0', async () => {
      const response = await node.http
        .post('/users')
        .set('Content-Type', 'application/json')
        .set('Content-Length', '0')
        .expect(400);
      expect(response.headers['content-type']).toMatch(PROBLEM);
      expect(response.body.detail).toBe('The request body is empty');
    });

    it.each([
      ['null', 'null'],
      ['"x"', 'a string'],
      ['42', 'a number'],
      ['true', 'a boolean'],
    ])(
      'says a create expects an object (or an array) when the body is %s',
      async (body, kind) => {
        const response = await node.http
          .post('/users')
          .set('Content-Type', 'application/json')
          .send(body)
          .expect(400);
        expect(response.headers['content-type']).toMatch(PROBLEM);
        expect(response.body).toMatchObject({
          type: 'urn:clusterlite:problem:validation-failed',
          detail: `The request body must be a JSON object, or an array of objects for a bulk create; got ${kind}`,
        });
      },
    );

    it('says a replace or a patch expects an object', async () => {
      for (const method of ['put', 'patch'] as const) {
        const response = await node.http[method]('/users/someone')
          .set('Content-Type', 'application/json')
          .send('[{"name":"A"}]')
          .expect(400);
        expect(response.body.detail).toBe(
          'The request body must be a JSON object; got an array',
        );
      }
      const response = await node.http
        .put('/users/someone')
        .set('Content-Type', 'application/json')
        .send('null')
        .expect(400);
      expect(response.body.detail).toBe(
        'The request body must be a JSON object; got null',
      );
    });

    it('still calls malformed JSON malformed', async () => {
      const response = await node.http
        .post('/users')
        .set('Content-Type', 'application/json')
        .send('{"name":')
        .expect(400);
      expect(response.body.detail).toBe('The request body is not valid JSON');
    });
  });

  describe('every problem has a ClusterLite type', () => {
    it.each([
      ['an unknown table', '/nosuchtable', 404],
      ['an unknown route under a table', '/users/a/b/c', 404],
      [
        'a feed position of another table',
        '/users/_changes?after=clusterlite.products:0:0',
        400,
      ],
    ])('%s', async (_what, path, status) => {
      const response = await node.http.get(path).expect(status);
      expect(response.headers['content-type']).toMatch(PROBLEM);
      expect(response.body.type).toMatch(PROBLEM_TYPE);
      expect(response.body.status).toBe(status);
    });
  });
});

describe('Readiness of a node that cannot reach its broker', () => {
  it('answers 503 problem+json naming the failed checks, without broker addresses', async () => {
    const port = await closedPort();
    const node = await startEmbeddedNode({
      KAFKA_BROKERS: `127.0.0.1:${port}`,
    });
    try {
      const response = await node.http
        .get('/_cluster/health/ready')
        .expect(503);
      expect(response.headers['content-type']).toMatch(PROBLEM);
      expect(response.body).toMatchObject({
        type: 'urn:clusterlite:problem:not-ready',
        title: 'Node not ready',
        status: 503,
      });
      const failed = Object.keys(response.body.error as object);
      expect(response.body.checks.sqlite.status).toBe('up');
      expect(failed).toEqual(
        expect.arrayContaining(['eventLog', 'projection']),
      );
      expect(failed).not.toContain('sqlite');
      expect(response.body.detail).toMatch(/eventLog/);
      expect(JSON.stringify(response.body)).not.toContain(String(port));
    } finally {
      await node.close();
    }
  });
});
