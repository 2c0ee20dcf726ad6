import { BadRequestException } from '@nestjs/common';
import {
  AccessDeniedError,
  EventRejectedError,
  InvalidPreconditionError,
  LogPosition,
  type EventOutcome,
  type NodeConfig,
  type ResourceLimits,
} from '@clusterlite/core';
import {
  EntityDefinition,
  Field,
  ReplicatedEntity,
  type EntityCommands,
  type EntityQueries,
  type EntityRow,
  type WriteCommand,
} from '@clusterlite/registry';
import { headersOfError, type EndpointRequest } from './endpoint-result.js';
import { EntityReadEndpoints } from './entity-read-endpoints.js';
import { EntityWriteEndpoints } from './entity-write-endpoints.js';

@ReplicatedEntity('widgets')
class Widget {
  @Field()
  name: string;
}

const definition = new EntityDefinition(Widget);
const ID = '0190f0a0-0000-7000-8000-000000000001';
const POSITION = new LogPosition('clusterlite.widgets', 0, 7n);
const row: EntityRow = {
  id: ID,
  version: 3,
  name: 'a',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-02T00:00:00.000Z',
};
const config = {
  readWaitTimeoutMs: 100,
  maxCount: 1000,
  topicFor: (table: string) => `clusterlite.${table}`,
} as unknown as NodeConfig;
const limits = { refuse: (error: Error) => error } as unknown as ResourceLimits;

/** A request as the controllers pass it: no Express anywhere. */
function request(
  headers: Record<string, string> = {},
  more: Partial<EndpointRequest> = {},
): EndpointRequest {
  return {
    method: 'PUT',
    url: `/widgets/${ID}`,
    role: 'admin',
    headers,
    ...more,
  };
}

function outcome(status: EventOutcome['status']): EventOutcome {
  return {
    eventId: 'e1',
    table: 'widgets',
    entityId: ID,
    type: 'replaced',
    status,
    rejection: status === 'rejected' ? 'version-mismatch' : null,
    reason: status === 'rejected' ? 'version 3 expected, found 4' : null,
    version: status === 'applied' ? 3 : null,
    position: POSITION.token,
  };
}

function setup(found: EntityRow | null = row, fate = outcome('applied')) {
  const submitted: WriteCommand[] = [];
  const queries = {
    findOne: () => Promise.resolve(found),
    list: () =>
      Promise.resolve({
        json: JSON.stringify([row, { ...row, id: ID }]),
        count: 2,
        last: { ...row, id: ID },
        cut: false,
        total: 5,
      }),
    waitForPosition: () => Promise.resolve(),
    outcomeOf: () => Promise.resolve(fate),
    idempotentRequest: () => Promise.resolve(null),
    history: () =>
      Promise.resolve({ json: '[]', count: 0, last: null, cut: false }),
  } as unknown as EntityQueries;
  const commands = {
    submit: (_: EntityDefinition, command: WriteCommand) => {
      submitted.push(command);
      return Promise.resolve({
        id: command.entityId,
        eventId: 'e1',
        position: POSITION,
      });
    },
  } as unknown as EntityCommands;
  return {
    submitted,
    queries,
    reads: new EntityReadEndpoints(queries, config, limits),
    writes: new EntityWriteEndpoints(commands, queries, config),
  };
}

describe('entity endpoints without HTTP', () => {
  it('answers a row with its ETag, and 304 when If-None-Match names it', async () => {
    const { reads } = setup();
    await expect(reads.findOne(definition, ID, {}, request())).resolves.toEqual(
      {
        headers: { ETag: '"3"' },
        body: row,
      },
    );
    await expect(
      reads.findOne(definition, ID, {}, request({ 'if-none-match': 'W/"3"' })),
    ).resolves.toEqual({
      status: 304,
      headers: { ETag: '"3"' },
      body: undefined,
    });
  });

  it('refuses a malformed If-None-Match before a malformed position', async () => {
    const { reads } = setup();
    await expect(
      reads.findOne(
        definition,
        ID,
        { position: 'nonsense' },
        request({ 'if-none-match': 'nope' }),
      ),
    ).rejects.toBeInstanceOf(InvalidPreconditionError);
  });

  it('gives a full page its count and the link to the next, keeping the parameters', async () => {
    const { reads } = setup();
    const result = await reads.list(
      definition,
      { limit: '2', count: 'true' },
      request({}, { method: 'GET', url: '/widgets?limit=2&count=true' }),
    );
    expect(result.status).toBeUndefined();
    expect(result.headers['X-Total-Count']).toBe('5');
    expect(result.headers.Link).toMatch(
      /^<\/widgets\?limit=2&count=true&cursor=[^>]+>; rel="next"$/,
    );
    expect(JSON.parse(result.body.text)).toEqual([row, { ...row, id: ID }]);
  });

  it('keeps the history of a deleted row for admins', async () => {
    const { reads, queries } = setup(null);
    const entry = { position: POSITION.token };
    queries.history = () =>
      Promise.resolve({
        json: JSON.stringify([entry]),
        count: 1,
        last: entry,
        cut: false,
      } as never);
    await expect(
      reads.history(definition, ID, {}, request({}, { role: 'reader' })),
    ).rejects.toBeInstanceOf(AccessDeniedError);
    const result = await reads.history(definition, ID, {}, request());
    expect(result.headers).toEqual({});
    expect(JSON.parse(result.body.text)).toEqual([entry]);
  });

  it('accepts a write with 202, its Location and its position', async () => {
    const { writes, submitted } = setup();
    const result = await writes.replace(
      definition,
      ID,
      { name: 'b' },
      request({ 'if-match': '"3"' }),
    );
    expect(result).toEqual({
      status: 202,
      headers: {
        'ClusterLite-Position': POSITION.token,
        Location: `/widgets/${ID}`,
      },
      body: { id: ID, eventId: 'e1', position: POSITION.token },
    });
    expect(submitted[0]).toMatchObject({
      type: 'replaced',
      expectedVersion: 3,
    });
  });

  it('answers the row once applied when the client prefers it', async () => {
    const { writes } = setup();
    const result = await writes.replace(
      definition,
      ID,
      { name: 'b' },
      request({ prefer: 'return=representation' }),
    );
    expect(result).toEqual({
      status: 200,
      headers: {
        'ClusterLite-Position': POSITION.token,
        'Preference-Applied': 'return=representation',
        ETag: '"3"',
        'Content-Location': `/widgets/${ID}`,
      },
      body: row,
    });
    const removed = await writes.remove(
      definition,
      ID,
      request({ prefer: 'return=representation' }, { method: 'DELETE' }),
    );
    expect(removed.status).toBe(204);
  });

  it('keeps the position on the error of a rejected write', async () => {
    const { writes } = setup(row, outcome('rejected'));
    const error: unknown = await writes
      .replace(
        definition,
        ID,
        { name: 'b' },
        request({ prefer: 'return=representation' }),
      )
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(EventRejectedError);
    expect(headersOfError(error)).toEqual({
      'ClusterLite-Position': POSITION.token,
    });
  });

  it('replays a keyed write without emitting it again', async () => {
    const { writes, submitted, queries } = setup();
    const first = await writes.replace(
      definition,
      ID,
      { name: 'b' },
      request({ 'idempotency-key': 'k1' }),
    );
    const fingerprint = submitted[0].idempotency!.fingerprint;
    queries.idempotentRequest = () =>
      Promise.resolve({
        key: 'k1',
        fingerprint,
        eventId: 'e1',
        entityId: ID,
        position: POSITION.token,
      });
    const again = await writes.replace(
      definition,
      ID,
      { name: 'b' },
      request({ 'idempotency-key': 'k1' }),
    );
    expect(submitted).toHaveLength(1);
    expect(again.headers['Idempotent-Replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
  });

  it('refuses an Idempotency-Key on a bulk create', async () => {
    const { writes } = setup();
    await expect(
      writes.create(
        definition,
        [{ name: 'a' }],
        request(
          { 'idempotency-key': 'k1' },
          { method: 'POST', url: '/widgets' },
        ),
      ),
    ).rejects.toBeInstanceOf(BadRequestException);
  });
});
