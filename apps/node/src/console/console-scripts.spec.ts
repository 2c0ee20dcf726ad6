import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CONSOLE_ASSETS_DIR } from './console-assets.js';

/** A console module, loaded as the browser loads it (plain JavaScript, no types). */
const consoleModule = (name: string): Promise<any> =>
  import(pathToFileURL(join(CONSOLE_ASSETS_DIR, name)).href);

interface StreamEvent {
  type: string;
  data: string;
  id: string | null;
}

describe('event-stream.js (change feeds over fetch)', () => {
  let server: Server;
  let url: string;
  const requests: IncomingHttpHeaders[] = [];
  /** What the server writes on each connection, chunk by chunk; then it ends the response. */
  let connections: string[][] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      requests.push(request.headers);
      const chunks = connections.shift();
      if (!chunks) {
        response.writeHead(401, { 'Content-Type': 'application/problem+json' });
        response.end(JSON.stringify({ status: 401, detail: 'no more' }));
        return;
      }
      response.writeHead(200, { 'Content-Type': 'text/event-stream' });
      for (const chunk of chunks) response.write(chunk);
      response.end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/users/_changes`;
  });

  afterAll(() => {
    server.close();
  });

  it(
    'parses events split anywhere, sends the key as a header and resumes from the last id after a drop',
    { timeout: 20_000 },
    async () => {
      const { openEventStream } = await consoleModule('event-stream.js');
      requests.length = 0;
      connections = [
        [
          ': a comment\r\nretry: 10\r\n\r',
          '\nevent: change\r\nid: t:0:1\r\ndata: {"a":',
          '1}\r\n\r\nevent: heartbeat\ndata: {}\n\n',
          'event: change\nid: t:0:2\ndata: line one\ndata:line two\n\n',
          'event: change\nid: t:0:3\ndata: cut off, never dispatched',
        ],
        ['event: change\nid: t:0:4\ndata: after the drop\n\n'],
      ];
      const events: StreamEvent[] = [];
      const opened: boolean[] = [];
      let drops = 0;
      const refused: number[] = [];
      const stream = openEventStream(url, {
        headers: () => ({ Authorization: 'Bearer k3y-0123456789abcdef' }),
        onOpen: (resumed: boolean) => opened.push(resumed),
        onEvent: (event: StreamEvent) => events.push(event),
        onDrop: () => (drops += 1),
        onRefused: async (status: number) => {
          refused.push(status);
          return 'later';
        },
      });
      // After the second stream, the server refuses: the reader keeps retrying, with backoff.
      await vi.waitFor(() => expect(refused.length).toBeGreaterThan(0), {
        timeout: 10_000,
      });
      stream.close();

      expect(events).toEqual([
        { type: 'change', data: '{"a":1}', id: 't:0:1' },
        { type: 'heartbeat', data: '{}', id: null },
        { type: 'change', data: 'line one\nline two', id: 't:0:2' },
        { type: 'change', data: 'after the drop', id: 't:0:4' },
      ]);
      expect(opened).toEqual([false, true]);
      expect(drops).toBe(2);
      expect(
        requests.slice(0, 3).map((headers) => headers['last-event-id']),
      ).toEqual([undefined, 't:0:2', 't:0:4']);
      expect(new Set(refused)).toEqual(new Set([401]));
      for (const headers of requests) {
        expect(headers.authorization).toBe('Bearer k3y-0123456789abcdef');
        expect(headers.accept).toBe('text/event-stream');
      }
    },
  );
});
