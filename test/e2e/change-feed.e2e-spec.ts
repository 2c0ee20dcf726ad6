import {
  startEmbeddedNode,
  type EmbeddedNode,
} from '../support/embedded-node.js';

/** Reads server-sent events from a stream until `count` have arrived. */
async function readEvents(
  body: ReadableStream<Uint8Array>,
  count: number,
): Promise<{ event: string; id: string; data: any }[]> {
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
      const field = (name: string) =>
        [...block.matchAll(/^(\w+): ?(.*)$/gm)].find(
          (match) => match[1] === name,
        )?.[2];
      if (field('data'))
        events.push({
          event: field('event') ?? 'message',
          id: field('id') ?? '',
          data: JSON.parse(field('data')!),
        });
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
    const feed = await fetch(`${url}/users/_changes`, {
      headers: { Accept: 'text/event-stream' },
    });
    expect(feed.status).toBe(200);
    expect(feed.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const received = readEvents(feed.body!, 3);

    const json = { 'Content-Type': 'application/json' };
    await fetch(`${url}/products`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        name: 'Not a user',
        sku: 'N',
        price: 1,
        tags: [],
        available: false,
      }),
    });
    await fetch(`${url}/users/feed-1`, {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ name: 'Ada', email: 'ada@example.com' }),
    });
    await fetch(`${url}/users/feed-1`, {
      method: 'PATCH',
      headers: json,
      body: JSON.stringify({ name: 'Ada L.' }),
    });
    await fetch(`${url}/users/feed-1`, { method: 'DELETE' });

    const events = await received;
    expect(
      events.map((event) => [event.event, event.data.type, event.data.version]),
    ).toEqual([
      ['change', 'replaced', 1],
      ['change', 'patched', 2],
      ['change', 'deleted', null],
    ]);
    expect(events[1].data.row).toMatchObject({
      id: 'feed-1',
      name: 'Ada L.',
      version: 2,
    });
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

  it('resumes after Last-Event-ID or ?after=: first what the client missed, oldest first, then live', async () => {
    const json = {
      'Content-Type': 'application/json',
      Prefer: 'return=representation',
    };
    const first = await fetch(`${url}/users/_changes`);
    const seen = readEvents(first.body!, 1);
    await fetch(`${url}/users/resume-1`, {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ name: 'Grace', email: 'grace@example.com' }),
    });
    const [lastSeen] = await seen;
    expect(lastSeen.data).toMatchObject({ type: 'replaced', id: 'resume-1' });

    // Written while the client was away (each answered once applied).
    expect(
      (
        await fetch(`${url}/users/resume-1`, {
          method: 'PATCH',
          headers: json,
          body: JSON.stringify({ name: 'Grace H.' }),
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await fetch(`${url}/users/resume-2`, {
          method: 'PUT',
          headers: json,
          body: JSON.stringify({ name: 'Alan', email: 'alan@example.com' }),
        })
      ).status,
    ).toBe(201);

    const resumed = await fetch(`${url}/users/_changes`, {
      headers: { 'Last-Event-ID': lastSeen.id },
    });
    expect(resumed.status).toBe(200);
    const events = readEvents(resumed.body!, 3);
    await fetch(`${url}/users/resume-2`, { method: 'DELETE' });
    const received = await events;
    expect(
      received.map((event) => [
        event.data.type,
        event.data.id,
        event.data.version,
      ]),
    ).toEqual([
      ['patched', 'resume-1', 2],
      ['replaced', 'resume-2', 1],
      ['deleted', 'resume-2', null],
    ]);
    const offsets = received.map((event) => BigInt(event.id.split(':')[2]));
    expect(offsets[0]).toBeGreaterThan(BigInt(lastSeen.id.split(':')[2]));
    expect(offsets[1]).toBeGreaterThan(offsets[0]);
    expect(offsets[2]).toBeGreaterThan(offsets[1]);

    // The same through the query parameter, which EventSource's constructor can carry.
    const again = await fetch(
      `${url}/users/_changes?after=${encodeURIComponent(lastSeen.id)}`,
    );
    expect((await readEvents(again.body!, 3)).map((event) => event.id)).toEqual(
      received.map((event) => event.id),
    );
  });

  it('answers 400 problem+json for a position that is not of this table, malformed, or an unknown parameter', async () => {
    for (const [path, headers] of [
      ['/users/_changes?after=clusterlite.products:0:1', {}],
      ['/users/_changes?after=yesterday', {}],
      ['/users/_changes', { 'Last-Event-ID': 'not-a-position' }],
      ['/users/_changes?since=clusterlite.users:0:1', {}],
    ] as const) {
      const response = await fetch(`${url}${path}`, { headers });
      expect(response.status, path).toBe(400);
      expect(response.headers.get('content-type')).toMatch(
        /^application\/problem\+json/,
      );
      expect((await response.json()).detail ?? '').not.toBe('');
    }
  });

  it('is described in the OpenAPI document', async () => {
    const document = await (await fetch(`${url}/docs-json`)).json();
    const feed = document.paths['/users/_changes'].get;
    expect(feed.responses['200'].content['text/event-stream']).toBeDefined();
    expect(feed.responses['400']).toBeDefined();
    expect(
      feed.parameters.map(
        (parameter: { name: string; in: string }) =>
          `${parameter.in}:${parameter.name}`,
      ),
    ).toEqual(expect.arrayContaining(['query:after', 'header:Last-Event-ID']));
  });
});
