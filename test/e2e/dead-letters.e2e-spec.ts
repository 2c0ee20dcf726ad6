import { NodeConfig, encodeEvent } from '@clusterlite/core';
import { EmbeddedEventLog } from '@clusterlite/event-log';
import { v7 as uuidv7 } from 'uuid';
import { eventually, useEmbeddedNode } from '../support/embedded-node.js';
import { followPages } from '../support/pages.js';

const PROBLEM = /^application\/problem\+json/;

describe('Dead letters re-driven through the log, embedded mode', () => {
  const node = useEmbeddedNode();
  let misplaced: string;
  let notAnEvent: string;
  const original = {
    eventId: uuidv7(),
    type: 'replaced' as const,
    table: 'users',
    entityId: 'misplaced',
    data: { name: 'Mis Placed', email: 'mis@example.com' },
    expectedVersion: null,
    occurredAt: '2026-11-30T12:00:00.000Z',
    origin: 'elsewhere',
    schemaVersion: 1,
  };

  beforeAll(async () => {
    const config = node.app.get(NodeConfig);
    const log = node.app.get(EmbeddedEventLog);
    // An event of "users" on the products topic, and a message that is no event at all.
    const products = config.topicFor('products');
    const users = config.topicFor('users');
    const at = await log.append(products, [
      { key: 'misplaced', value: encodeEvent(original).toString() },
    ]);
    const bad = await log.append(users, [{ key: 'x', value: 'not json' }]);
    misplaced = `${products}:0:${at}`;
    notAnEvent = `${users}:0:${bad}`;
  });

  it('lists the dead letters with their reason and content', async () => {
    const list = await eventually(async () => {
      const response = await node.http
        .get('/_cluster/dead-letters')
        .expect(200);
      expect(response.body).toHaveLength(2);
      return response.body;
    });
    expect(list).toEqual(
      expect.arrayContaining([
        {
          id: misplaced,
          reason: expect.stringContaining('event of table "users" on topic'),
          payload: encodeEvent(original).toString(),
          redrivenBy: null,
        },
        {
          id: notAnEvent,
          reason: 'message is not JSON',
          payload: 'not json',
          redrivenBy: null,
        },
      ]),
    );
  });

  it('pages the list in log order through its Link, and refuses a malformed page request', async () => {
    const pages = await followPages<{ id: string }>(
      node.http,
      '/_cluster/dead-letters?limit=1',
    );
    expect(
      pages.flatMap(({ body }) => body.map((letter) => letter.id)),
    ).toEqual([misplaced, notAnEvent].sort());
    expect(pages.map(({ body }) => body.length)).toEqual([1, 1, 0]);
    for (const [query, field] of [
      ['after=nope', 'after'],
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['colour=red', 'colour'],
    ]) {
      const refused = await node.http
        .get(`/_cluster/dead-letters?${query}`)
        .expect(400);
      expect(refused.headers['content-type']).toMatch(PROBLEM);
      expect(
        refused.body.errors.map((error: { field: string }) => error.field),
      ).toEqual([field]);
    }
  });

  it('re-drives one as a new event with a redriveOf reference, applied in log order', async () => {
    const retry = await node.http
      .post(`/_cluster/dead-letters/${misplaced}/retry`)
      .expect(202);
    expect(retry.body).toEqual({
      deadLetter: misplaced,
      eventId: expect.any(String),
      position: expect.stringMatching(/users:0:\d+$/),
    });
    expect(retry.body.eventId).not.toBe(original.eventId);
    const row = await node.http
      .get('/users/misplaced')
      .set('ClusterLite-Position', retry.body.position)
      .expect(200);
    expect(row.body).toMatchObject({
      id: 'misplaced',
      name: 'Mis Placed',
      createdAt: original.occurredAt,
    });
    const list = await node.http.get('/_cluster/dead-letters').expect(200);
    expect(
      list.body.find((letter: { id: string }) => letter.id === misplaced),
    ).toMatchObject({ redrivenBy: retry.body.eventId });

    const again = await node.http
      .post(`/_cluster/dead-letters/${misplaced}/retry`)
      .expect(409);
    expect(again.headers['content-type']).toMatch(PROBLEM);
    expect(again.body).toMatchObject({
      type: 'urn:clusterlite:problem:dead-letter-already-redriven',
      status: 409,
    });
  });

  it('answers 400 for an id that is no position, 404 for an unknown one and 409 for a message that is not an event', async () => {
    const malformed = await node.http
      .post('/_cluster/dead-letters/nothing-like-an-id/retry')
      .expect(400);
    expect(malformed.headers['content-type']).toMatch(PROBLEM);
    expect(malformed.body.errors).toEqual([
      { field: 'id', messages: ['id must be topic:partition:offset'] },
    ]);
    const unknown = await node.http
      .post('/_cluster/dead-letters/clusterlite.users:0:99999/retry')
      .expect(404);
    expect(unknown.headers['content-type']).toMatch(PROBLEM);
    expect(unknown.body.type).toBe(
      'urn:clusterlite:problem:dead-letter-not-found',
    );
    const bad = await node.http
      .post(`/_cluster/dead-letters/${notAnEvent}/retry`)
      .expect(409);
    expect(bad.body).toMatchObject({
      type: 'urn:clusterlite:problem:dead-letter-not-an-event',
      detail: expect.stringContaining('message is not JSON'),
    });
  });
});
