import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startKafkaBroker,
  type KafkaBroker,
} from '../../tools/kafka/broker.mjs';
import { NodeProcess, eventually } from '../support/node-process.js';

/**
 * Issue 17, faults 4 and 5: what a write's answer promises when the log does
 * not answer, and a bulk write larger than the broker takes.
 */
describe('Write outcomes against a stalled broker', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'clusterlite-kafka-stalled-'));
  let broker: KafkaBroker;
  let writer: NodeProcess;
  let reader: NodeProcess;
  let stopped = false;
  const headers = { 'Content-Type': 'application/json' };
  const put = (node: NodeProcess, id: string, name: string) =>
    fetch(`${node.url}/users/${id}`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ name, email: 'outcome@example.com' }),
    });
  const fate = (node: NodeProcess, eventId: string) =>
    fetch(`${node.url}/users/_events/${eventId}`);

  beforeAll(async () => {
    // A broker of its own: this test pauses it.
    broker = await startKafkaBroker({ dataDir });
    [writer, reader] = await Promise.all(
      ['outcome-a', 'outcome-b'].map((nodeId) =>
        NodeProcess.start({
          nodeId,
          brokers: broker.brokers,
          env: { WRITE_TIMEOUT_MS: '3000' },
        }),
      ),
    );
  });

  afterAll(async () => {
    if (stopped) process.kill(broker.pid, 'SIGCONT');
    await Promise.all([writer?.stop(), reader?.stop()]);
    await broker?.stop();
  });

  it('answers 504 with the eventId when the outcome is unknown, 503 only for writes never sent, and GET /{table}/_events/{eventId} tells what became of each', async () => {
    const id = 'outcome-row';
    const warm = await put(writer, id, 'Zero');
    expect(warm.status).toBe(202);

    // The producer is connected; the broker stops answering (SIGSTOP): the request leaves and hangs.
    process.kill(broker.pid, 'SIGSTOP');
    stopped = true;
    const first = put(writer, id, 'First');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = put(writer, id, 'Second');
    const [firstAnswer, secondAnswer] = await Promise.all([first, second]);
    const firstBody = await firstAnswer.json();
    const secondBody = await secondAnswer.json();

    expect(firstAnswer.status).toBe(504);
    expect(firstAnswer.headers.get('content-type')).toMatch(
      /^application\/problem\+json/,
    );
    expect(firstBody.type).toBe('urn:clusterlite:problem:outcome-unknown');
    expect(firstBody.eventId).toMatch(/^[0-9a-f-]{36}$/);
    // Queued behind a request with no answer: never sent, so certainly not written.
    expect(secondAnswer.status).toBe(503);
    expect(secondBody.type).toBe(
      'urn:clusterlite:problem:event-log-unavailable',
    );

    process.kill(broker.pid, 'SIGCONT');
    stopped = false;
    // Whatever the broker makes of the stalled request, it does so before later writes.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const third = await eventually(
      async () => {
        const answer = await put(writer, id, 'Third');
        expect(answer.status).toBe(202);
        return answer.json();
      },
      60_000,
      500,
    );

    for (const node of [writer, reader]) {
      const row = await eventually(async () => {
        const answer = await fetch(`${node.url}/users/${id}`, {
          headers: { 'ClusterLite-Position': third.position },
        });
        expect(answer.status).toBe(200);
        return answer.json();
      }, 30_000);
      // The last write answered 202 is the row's state: nothing answered earlier lands after it.
      expect(row.name).toBe('Third');

      const firstFate = await fate(node, firstBody.eventId);
      if (firstFate.status === 200) {
        const outcome = await firstFate.json();
        expect(outcome).toMatchObject({
          eventId: firstBody.eventId,
          status: 'applied',
          entityId: id,
        });
        const offset = (token: string) => BigInt(token.split(':').at(-1)!);
        expect(offset(outcome.position)).toBeLessThan(offset(third.position));
      } else {
        expect(firstFate.status).toBe(404);
      }
      // A write answered 503 is never applied anywhere.
      const history = await (
        await fetch(`${node.url}/users/${id}/history`)
      ).json();
      expect(
        history.map((entry: { data: { name: string } }) => entry.data.name),
      ).not.toContain('Second');
      const thirdFate = await fate(node, third.eventId);
      expect(thirdFate.status).toBe(200);
      expect(await thirdFate.json()).toMatchObject({
        status: 'applied',
        position: third.position,
      });
    }
    const unseen = await fate(writer, '0192f1d2-7c4f-7b11-8e52-3f0f7f6c2d90');
    expect(unseen.status).toBe(404);
    expect((await unseen.json()).type).toBe(
      'urn:clusterlite:problem:event-not-seen',
    );
    const [a, b] = await Promise.all([writer.status(), reader.status()]);
    expect(a.tables).toEqual(b.tables);
  });

  it('answers 413 naming the limit for a bulk create whose events exceed the broker message limit, and accepts nothing of it', async () => {
    const item = (index: number) => ({
      name: `${'n'.repeat(190)}${index}`,
      sku: `BIG-${index}-${Date.now().toString(36)}`,
      price: 1,
      tags: Array.from({ length: 8 }, (_, tag) => `${tag}${'t'.repeat(48)}`),
      available: true,
      url: `https://example.com/${'p'.repeat(100)}`,
    });
    const items = Array.from({ length: 1000 }, (_, index) => item(index));
    const body = JSON.stringify(items);
    // Under BODY_LIMIT (1mb), over Kafka's default message.max.bytes once encoded as events.
    expect(Buffer.byteLength(body)).toBeLessThan(1_048_576);
    const before = (await writer.status()).tables;

    const answer = await fetch(`${writer.url}/products`, {
      method: 'POST',
      headers,
      body,
    });
    const problem = await answer.json();
    expect(answer.status).toBe(413);
    expect(answer.headers.get('content-type')).toMatch(
      /^application\/problem\+json/,
    );
    expect(problem.type).toBe('urn:clusterlite:problem:write-too-large');
    expect(problem.limit).toBe(1_000_000);
    expect(problem.bytes).toBeGreaterThan(1_048_588);
    expect(problem.detail).toContain('KAFKA_MAX_MESSAGE_BYTES');

    // Half of it fits: accepted in one piece.
    const half = await fetch(`${writer.url}/products`, {
      method: 'POST',
      headers,
      body: JSON.stringify(items.slice(0, 500)),
    });
    expect(half.status).toBe(202);
    const receipts = await half.json();
    expect(receipts).toHaveLength(500);
    const last = receipts.at(-1).position;
    for (const node of [writer, reader]) {
      const page = await fetch(
        `${node.url}/products?sku=prefix.BIG-&count=true&limit=1`,
        { headers: { 'ClusterLite-Position': last } },
      );
      expect(page.status).toBe(200);
      expect(page.headers.get('x-total-count')).toBe('500');
    }
    const after = (await writer.status()).tables;
    const products = (tables: { table: string; rows: number }[]) =>
      tables.find((table) => table.table === 'products')!.rows;
    expect(products(after) - products(before)).toBe(500);
  });
});
