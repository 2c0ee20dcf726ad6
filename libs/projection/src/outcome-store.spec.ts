import {
  SqliteWriter,
  sqliteDataSourceOptions,
  type EventOutcome,
  type ReplicationEvent,
} from '@clusterlite/core';
import { EntityRegistry, Field, ReplicatedEntity } from '@clusterlite/registry';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { OutcomeStore, type OutcomeRow } from './outcome-store.js';

@ReplicatedEntity('notes', { history: true })
class Note {
  @Field() text: string;
}

@ReplicatedEntity('tags')
class Tag {
  @Field() text: string;
}

const registry = new EntityRegistry([Note, Tag]);

async function newStore() {
  const dataSource = new DataSource(
    sqliteDataSourceOptions(
      ':memory:',
      registry.all().map((d) => d.schema),
    ),
  );
  await dataSource.initialize();
  const writer = new SqliteWriter(dataSource);
  writer.onModuleInit();
  return { store: new OutcomeStore(), writer, dataSource };
}

function aRow(
  table: 'notes' | 'tags',
  offset: number,
  overrides: Partial<ReplicationEvent> = {},
): OutcomeRow {
  const event: ReplicationEvent = {
    eventId: uuidv7(),
    type: 'created',
    table,
    entityId: `e${offset}`,
    data: { text: 'hello' },
    expectedVersion: null,
    occurredAt: '2026-01-01T00:00:00.000Z',
    origin: 'node-x',
    schemaVersion: 1,
    ...overrides,
  };
  const position = `clusterlite.${table}:0:${offset}`;
  const outcome: EventOutcome = {
    eventId: event.eventId,
    table,
    entityId: event.entityId,
    type: event.type,
    status: 'applied',
    rejection: null,
    reason: null,
    version: 1,
    position,
  };
  return {
    outcome,
    event,
    definition: registry.resolve(table)!,
    topic: `clusterlite.${table}`,
    partition: 0,
    offset: String(offset),
  };
}

describe(OutcomeStore.name, () => {
  it('records each outcome with its position and status', async () => {
    const { store, writer, dataSource } = await newStore();
    const rows = [aRow('tags', 0), aRow('tags', 1)];
    await writer.transaction((tx) => store.recordOutcomes(tx, rows));
    expect(
      await dataSource.query(
        'SELECT "eventId", "offset", "status", "version" FROM "_clusterlite_outcomes" ORDER BY "offset"',
      ),
    ).toEqual(
      rows.map((row) => ({
        eventId: row.event.eventId,
        offset: Number(row.offset),
        status: 'applied',
        version: 1,
      })),
    );
  });

  it('keeps the data only of tables that keep history', async () => {
    const { store, writer, dataSource } = await newStore();
    await writer.transaction((tx) =>
      store.recordOutcomes(tx, [aRow('notes', 0), aRow('tags', 1)]),
    );
    expect(
      await dataSource.query(
        'SELECT "tableName", "data" FROM "_clusterlite_outcomes" ORDER BY "offset"',
      ),
    ).toEqual([
      { tableName: 'notes', data: '{"text":"hello"}' },
      { tableName: 'tags', data: null },
    ]);
  });

  it('records the first use of an idempotency key and keeps it on a repeat', async () => {
    const { store, writer, dataSource } = await newStore();
    const idempotency = { key: 'k1', fingerprint: 'f1' };
    const first = aRow('tags', 0, { idempotency });
    const repeat = aRow('tags', 1, { idempotency });
    await writer.transaction((tx) => store.recordOutcomes(tx, [first]));
    await writer.transaction((tx) => store.recordOutcomes(tx, [repeat]));
    expect(
      await dataSource.query(
        'SELECT "key", "eventId", "position" FROM "_clusterlite_idempotency"',
      ),
    ).toEqual([
      {
        key: 'k1',
        eventId: first.event.eventId,
        position: 'clusterlite.tags:0:0',
      },
    ]);
  });

  it('stores a dead letter once per position, with its payload in base64', async () => {
    const { store, writer, dataSource } = await newStore();
    const message = { offset: '7', value: Buffer.from('junk') };
    const letter = await writer.transaction((tx) =>
      store.deadLetter(tx, 'clusterlite.tags', 0, message, 'not an event'),
    );
    await writer.transaction((tx) =>
      store.deadLetter(tx, 'clusterlite.tags', 0, message, 'again'),
    );
    expect(letter).toMatchObject({ offset: '7', reason: 'not an event' });
    expect(
      await dataSource.query(
        'SELECT "offset", "reason", "payload" FROM "_clusterlite_dead_letters"',
      ),
    ).toEqual([
      {
        offset: 7,
        reason: 'not an event',
        payload: Buffer.from('junk').toString('base64'),
      },
    ]);
  });
});
