import {
  NodeConfig,
  encodeEvent,
  type ReplicationEvent,
} from '@clusterlite/core';
import { EntityRegistry, Field, ReplicatedEntity } from '@clusterlite/registry';
import { v7 as uuidv7 } from 'uuid';
import { EventDecoder } from './event-decoder.js';
import { SchemaVersionGate } from './schema-versions.js';

@ReplicatedEntity('parcels', { schemaVersion: 2 })
class Parcel {
  @Field() label: string;
}

@ReplicatedEntity('crates')
class Crate {
  @Field() label: string;
}

const PARCELS = 'clusterlite.parcels';

function newDecoder(): EventDecoder {
  const config = NodeConfig.fromEnvironment({
    NODE_ID: 'test',
    DB_PATH: ':memory:',
  });
  return new EventDecoder(
    new EntityRegistry([Parcel, Crate]),
    config,
    new SchemaVersionGate(),
  );
}

function anEvent(overrides: Partial<ReplicationEvent> = {}): ReplicationEvent {
  return {
    eventId: uuidv7(),
    type: 'created',
    table: 'parcels',
    entityId: 'p1',
    data: { label: 'fragile' },
    expectedVersion: null,
    occurredAt: '2026-01-01T00:00:00.000Z',
    origin: 'node-x',
    schemaVersion: 2,
    ...overrides,
  };
}

const at = (value: Buffer | string | null) => ({ offset: '0', value });

describe(EventDecoder.name, () => {
  it('decodes a valid event with the definition of its table', () => {
    const event = anEvent();
    const decoded = newDecoder().decode(PARCELS, at(encodeEvent(event)));
    expect(decoded).toMatchObject({ kind: 'event', event });
    expect(decoded.kind === 'event' && decoded.definition.table).toBe(
      'parcels',
    );
  });

  it('classifies an event of a schema version above the table as newer-schema', () => {
    const decoded = newDecoder().decode(
      PARCELS,
      at(encodeEvent(anEvent({ schemaVersion: 3 }))),
    );
    expect(decoded.kind).toBe('newer-schema');
  });

  it('calls a message that is not an event undecodable', () => {
    expect(newDecoder().decode(PARCELS, at('not json')).kind).toBe(
      'undecodable',
    );
  });

  it('calls an event of an unknown table undecodable, naming the table', () => {
    expect(
      newDecoder().decode(
        PARCELS,
        at(encodeEvent(anEvent({ table: 'ghosts' }))),
      ),
    ).toEqual({ kind: 'undecodable', reason: 'unknown table "ghosts"' });
  });

  it('calls an event on the topic of another table undecodable', () => {
    const decoded = newDecoder().decode(
      PARCELS,
      at(encodeEvent(anEvent({ table: 'crates', schemaVersion: 1 }))),
    );
    expect(decoded).toEqual({
      kind: 'undecodable',
      reason: `event of table "crates" on topic ${PARCELS}`,
    });
  });

  it('calls an event whose data the table cannot take undecodable', () => {
    const decoded = newDecoder().decode(
      PARCELS,
      at(encodeEvent(anEvent({ data: {} }))),
    );
    expect(decoded.kind).toBe('undecodable');
  });
});
