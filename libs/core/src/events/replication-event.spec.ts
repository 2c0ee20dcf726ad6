import {
  decodeEvent,
  encodeEvent,
  UndecodableEventError,
  type ReplicationEvent,
} from './replication-event.js';

const event: ReplicationEvent = {
  eventId: '0192f1d2-7c4f-7b11-8e52-3f0f7f6c2d90',
  type: 'created',
  table: 'users',
  entityId: 'u1',
  data: { name: 'Ada' },
  expectedVersion: null,
  occurredAt: '2026-11-24T10:00:00.000Z',
  origin: 'node-1',
  schemaVersion: 1,
};

describe('decodeEvent', () => {
  it('round-trips an encoded event', () => {
    expect(decodeEvent(encodeEvent(event))).toEqual(event);
  });

  it('keeps the schema version of the table, which the projection checks', () => {
    const newer = { ...event, schemaVersion: 2 };
    expect(decodeEvent(encodeEvent(newer)).schemaVersion).toBe(2);
  });

  it.each([
    ['empty', ''],
    ['not JSON', '{'],
    ['an array', '[]'],
    ['schema version 0', JSON.stringify({ ...event, schemaVersion: 0 })],
    ['a text schema version', JSON.stringify({ ...event, schemaVersion: '2' })],
    ['an unknown type', JSON.stringify({ ...event, type: 'upserted' })],
    ['a bad entity id', JSON.stringify({ ...event, entityId: '../etc' })],
    ['a delete with data', JSON.stringify({ ...event, type: 'deleted' })],
    [
      'a negative expected version',
      JSON.stringify({ ...event, expectedVersion: -1 }),
    ],
    [
      'a local timestamp',
      JSON.stringify({ ...event, occurredAt: '2026-11-24 10:00' }),
    ],
  ])('refuses %s', (_, value) => {
    expect(() => decodeEvent(value)).toThrow(UndecodableEventError);
  });
});
