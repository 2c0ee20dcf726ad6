import { startEmbeddedNode, type EmbeddedNode } from '../support/embedded-node.js';

/** Reads server-sent events from a stream until `count` have arrived. */
async function readEvents(body: ReadableStream<Uint8Array>, count: number): Promise<{ event: string; id: string; data: any }[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const events: { event: string; id: string; data: any }[] = [];
  let buffer = '';
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const field = (name: string) => [...block.matchAll(/^(\w+): ?(.*)$/gm)].find((match) => match[1] === name)?.[2];
      if (field('data')) events.push({ event: field('event') ?? 'message', id: field('id') ?? '', data: JSON.parse(field('data')!) });
    }
  }
  await reader.cancel();
  return events;
}

describe('Change feed, embedded mode', () => {
  let node: EmbeddedNode;
  let url: string;

  beforeAll(async () => {
    node = await startEmbeddedNode();
    await node.app.listen(0, '127.0.0.1');
    url = await node.app.getUrl();
  });

  afterAll(async () => {
    await node.close();
  });

  it('streams each applied change of a table with the row after it', async () => {
    const feed = await fetch(`${url}/users/_changes`, { headers: { Accept: 'text/event-stream' } });
    expect(feed.status).toBe(200);
    expect(feed.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const received = readEvents(feed.body!, 3);

    const json = { 'Content-Type': 'application/json' };
    await fetch(`${url}/products`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'Not a user', sku: 'N', price: 1, tags: [], available: false }) });
    await fetch(`${url}/users/feed-1`, { method: 'PUT', headers: json, body: JSON.stringify({ name: 'Ada', email: 'ada@example.com' }) });
    await fetch(`${url}/users/feed-1`, { method: 'PATCH', headers: json, body: JSON.stringify({ name: 'Ada L.' }) });
    await fetch(`${url}/users/feed-1`, { method: 'DELETE' });

    const events = await received;
    expect(events.map((event) => [event.event, event.data.type, event.data.version])).toEqual([
      ['change', 'replaced', 1],
      ['change', 'patched', 2],
      ['change', 'deleted', null],
    ]);
    expect(events[1].data.row).toMatchObject({ id: 'feed-1', name: 'Ada L.', version: 2 });
    expect(events[2].data.row).toBeNull();
    expect(events[0].id).toMatch(/^clusterlite\.users:0:\d+$/);
  });

  it('ends open feeds when the node shuts down, instead of holding it open', async () => {
    const other = await startEmbeddedNode();
    await other.app.listen(0, '127.0.0.1');
    const feed = await fetch(`${await other.app.getUrl()}/users/_changes`);
    const reader = feed.body!.getReader();
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(10_000);
    // The feed ends: cleanly, or with its connection closed by the stopping node.
    const ended = await (async () => {
      try {
        for (;;) if ((await reader.read()).done) return true;
      } catch {
        return true;
      }
    })();
    expect(ended).toBe(true);
  });

  it('is described in the OpenAPI document', async () => {
    const document = await (await fetch(`${url}/docs-json`)).json();
    expect(document.paths['/users/_changes'].get.responses['200'].content['text/event-stream']).toBeDefined();
  });
});
