import { IsEmail } from 'class-validator';
import {
  LogStops,
  NodeConfig,
  SqliteReader,
  SqliteWriter,
  encodeEvent,
  sqliteDataSourceOptions,
  type ReplicationEvent,
} from '@clusterlite/core';
import { EntityRegistry, Field, ReplicatedEntity } from '@clusterlite/registry';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { AppliedPositions } from './applied-positions.js';
import type { LogEndOffsets, LogMessage } from '@clusterlite/event-log';
import { ProjectionService } from './projection.service.js';
import { ReplicaStatusService } from './replica-status.service.js';
import { StorageRetry } from './storage-retry.js';
import { TableChecksums } from './table-checksums.js';
import { SchemaVersionGate } from './schema-versions.js';

@ReplicatedEntity('members')
class Member {
  @Field()
  name: string;

  @Field({ unique: true })
  @IsEmail()
  email: string;

  @Field({ type: 'integer', optional: true })
  age?: number;
}

const TOPIC = 'clusterlite.members';

/** A projection over a real in-memory SQLite database. */
async function newProjection() {
  const config = NodeConfig.fromEnvironment({
    NODE_ID: 'test',
    DB_PATH: ':memory:',
  });
  const registry = new EntityRegistry([Member]);
  const dataSource = new DataSource(
    sqliteDataSourceOptions(
      ':memory:',
      registry.all().map((d) => d.schema),
    ),
  );
  await dataSource.initialize();
  const writer = new SqliteWriter(dataSource);
  writer.onModuleInit();
  const positions = new AppliedPositions();
  const projection = new ProjectionService(
    writer,
    dataSource,
    registry,
    positions,
    config,
    new StorageRetry(),
    new SchemaVersionGate(),
  );
  await projection.onModuleInit();
  const checksums = new TableChecksums(
    writer,
    new SqliteReader(dataSource),
    registry,
  );
  await checksums.onModuleInit();
  const noEnds: LogEndOffsets = { endOffsets: async () => new Map() };
  const status = new ReplicaStatusService(
    new SqliteReader(dataSource),
    registry,
    positions,
    config,
    noEnds,
    new LogStops(),
    checksums,
  );
  const rows = (): Promise<Record<string, unknown>[]> =>
    dataSource.query(
      'SELECT "id", "name", "email", "age", "version" FROM "members" ORDER BY "id"',
    );
  return { projection, positions, status, checksums, rows, dataSource, writer };
}

function anEvent(overrides: Partial<ReplicationEvent> = {}): ReplicationEvent {
  return {
    eventId: uuidv7(),
    type: 'created',
    table: 'members',
    entityId: 'm1',
    data: { name: 'Ada', email: 'ada@example.com' },
    expectedVersion: null,
    occurredAt: '2026-01-01T00:00:00.000Z',
    origin: 'node-x',
    schemaVersion: 1,
    ...overrides,
  };
}

/** Log messages at consecutive offsets from `from`. */
function log(events: (ReplicationEvent | string)[], from = 0): LogMessage[] {
  return events.map((event, index) => ({
    offset: String(from + index),
    value: typeof event === 'string' ? event : encodeEvent(event),
  }));
}

describe(ProjectionService.name, () => {
  it('applies a create with every value taken from the event', async () => {
    const { projection, dataSource } = await newProjection();
    const result = await projection.applyBatch(TOPIC, 0, log([anEvent()]));
    expect(result.outcomes).toMatchObject([
      { status: 'applied', version: 1, position: `${TOPIC}:0:0` },
    ]);
    expect(await dataSource.query('SELECT * FROM "members"')).toEqual([
      {
        id: 'm1',
        name: 'Ada',
        email: 'ada@example.com',
        age: null,
        version: 1,
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
      },
    ]);
  });

  it('stores the position in the same transaction and skips redelivered events', async () => {
    const { projection, positions, rows } = await newProjection();
    const events = log([
      anEvent(),
      anEvent({ type: 'patched', data: { age: 36 } }),
    ]);
    await projection.applyBatch(TOPIC, 0, events);
    const again = await projection.applyBatch(TOPIC, 0, events);
    expect(again).toMatchObject({ applied: 0, skipped: 2 });
    expect(await rows()).toEqual([
      { id: 'm1', name: 'Ada', email: 'ada@example.com', age: 36, version: 2 },
    ]);
    expect(positions.get(TOPIC, 0)).toBe(1n);
  });

  it('applies an event that appears twice on the log only once', async () => {
    const { projection, rows } = await newProjection();
    const patch = anEvent({ type: 'patched', data: { age: 1 } });
    await projection.applyBatch(TOPIC, 0, log([anEvent(), patch, patch]));
    expect((await rows())[0]).toMatchObject({ age: 1, version: 2 });
  });

  it('replaces a row, creating it when missing, and bumps the version', async () => {
    const { projection, rows } = await newProjection();
    await projection.applyBatch(
      TOPIC,
      0,
      log([
        anEvent({
          type: 'replaced',
          data: { name: 'Ada', email: 'ada@example.com', age: 3 },
        }),
        anEvent({
          type: 'replaced',
          data: { name: 'Ada L.', email: 'ada@example.com' },
        }),
      ]),
    );
    expect(await rows()).toEqual([
      {
        id: 'm1',
        name: 'Ada L.',
        email: 'ada@example.com',
        age: null,
        version: 2,
      },
    ]);
  });

  it('rejects a create of an existing row and records why', async () => {
    const { projection } = await newProjection();
    const result = await projection.applyBatch(
      TOPIC,
      0,
      log([anEvent(), anEvent()]),
    );
    expect(result.outcomes[1]).toMatchObject({
      status: 'rejected',
      rejection: 'already-exists',
    });
  });

  it('rejects a patch of a missing row', async () => {
    const { projection, rows } = await newProjection();
    const result = await projection.applyBatch(
      TOPIC,
      0,
      log([anEvent({ type: 'patched', data: { age: 1 } })]),
    );
    expect(result.outcomes[0]).toMatchObject({
      status: 'rejected',
      rejection: 'not-found',
    });
    expect(await rows()).toEqual([]);
  });

  it('emits each applied outcome with the row as its event left it, though a later event of the batch changed it', async () => {
    const { projection } = await newProjection();
    const emitted: { type: string; row: Record<string, unknown> | null }[] = [];
    const subscription = projection.outcomes$.subscribe((outcome) =>
      emitted.push({ type: outcome.type, row: outcome.row }),
    );
    await projection.applyBatch(
      TOPIC,
      0,
      log([
        anEvent(),
        anEvent({ type: 'patched', data: { age: 10 } }),
        anEvent({ type: 'deleted', data: null }),
        anEvent({
          entityId: 'm2',
          data: { name: 'Bo', email: 'bo@example.com' },
        }),
        anEvent({
          entityId: 'm3',
          data: { name: 'Cy', email: 'cy@example.com' },
        }),
      ]),
    );
    subscription.unsubscribe();
    expect(emitted).toMatchObject([
      { type: 'created', row: { id: 'm1', age: null, version: 1 } },
      { type: 'patched', row: { id: 'm1', age: 10, version: 2 } },
      { type: 'deleted', row: null },
      { type: 'created', row: { id: 'm2', name: 'Bo', version: 1 } },
      { type: 'created', row: { id: 'm3', name: 'Cy', version: 1 } },
    ]);
  });

  it('decides If-Match by log order: the first write at a version wins, the second is rejected', async () => {
    const { projection, rows } = await newProjection();
    const result = await projection.applyBatch(
      TOPIC,
      0,
      log([
        anEvent(),
        anEvent({ type: 'patched', data: { age: 10 }, expectedVersion: 1 }),
        anEvent({ type: 'patched', data: { age: 20 }, expectedVersion: 1 }),
      ]),
    );
    expect(result.outcomes.map((outcome) => outcome.status)).toEqual([
      'applied',
      'applied',
      'rejected',
    ]);
    expect(result.outcomes[2]).toMatchObject({ rejection: 'version-mismatch' });
    expect((await rows())[0]).toMatchObject({ age: 10, version: 2 });
  });

  it('rejects a write that breaks a unique field, and keeps applying later events', async () => {
    const { projection, rows } = await newProjection();
    const result = await projection.applyBatch(
      TOPIC,
      0,
      log([
        anEvent(),
        anEvent({ entityId: 'm2' }),
        anEvent({
          entityId: 'm3',
          data: { name: 'Bo', email: 'bo@example.com' },
        }),
      ]),
    );
    expect(result.outcomes[1]).toMatchObject({
      status: 'rejected',
      rejection: 'constraint-violation',
    });
    expect((await rows()).map((row) => row.id)).toEqual(['m1', 'm3']);
  });

  it('deletes a row; deleting a missing row is not an error, but a failed If-Match is', async () => {
    const { projection, rows } = await newProjection();
    const result = await projection.applyBatch(
      TOPIC,
      0,
      log([
        anEvent(),
        anEvent({ type: 'deleted', data: null, expectedVersion: 7 }),
        anEvent({ type: 'deleted', data: null }),
        anEvent({ type: 'deleted', data: null }),
      ]),
    );
    expect(result.outcomes.map((outcome) => outcome.status)).toEqual([
      'applied',
      'rejected',
      'applied',
      'applied',
    ]);
    expect(await rows()).toEqual([]);
  });

  it('dead-letters messages that are not valid events, advances past them and applies what follows', async () => {
    const { projection, positions, rows, status } = await newProjection();
    const result = await projection.applyBatch(
      TOPIC,
      0,
      log([
        '\u0000garbage',
        JSON.stringify(anEvent({ table: 'nope' })),
        JSON.stringify(
          anEvent({ data: { name: 'Ada', email: 'a@b.co', shoeSize: 44 } }),
        ),
        anEvent(),
      ]),
    );
    expect(result.deadLetters.map((letter) => letter.reason)).toEqual([
      'message is not JSON',
      'unknown table "nope"',
      'unknown field "shoeSize"',
    ]);
    expect(positions.get(TOPIC, 0)).toBe(3n);
    expect(await rows()).toHaveLength(1);
    expect(await status.deadLetterCount()).toBe(3);
  });

  it('inserts a run of creates at once, rejecting ids that exist, as one by one', async () => {
    const { projection, rows } = await newProjection();
    await projection.applyBatch(
      TOPIC,
      0,
      log([
        anEvent({
          entityId: 'm2',
          data: { name: 'Old', email: 'old@example.com' },
        }),
      ]),
    );
    const result = await projection.applyBatch(
      TOPIC,
      0,
      log(
        ['m1', 'm2', 'm3'].map((id) =>
          anEvent({
            entityId: id,
            data: { name: id, email: `${id}@example.com` },
          }),
        ),
        1,
      ),
    );
    expect(
      result.outcomes.map((outcome) => [
        outcome.entityId,
        outcome.status,
        outcome.rejection,
      ]),
    ).toEqual([
      ['m1', 'applied', null],
      ['m2', 'rejected', 'already-exists'],
      ['m3', 'applied', null],
    ]);
    expect((await rows()).map((row) => row.name)).toEqual(['m1', 'Old', 'm3']);
  });

  it('falls back to one by one when a run of creates breaks a unique field', async () => {
    const { projection, rows } = await newProjection();
    const result = await projection.applyBatch(
      TOPIC,
      0,
      log([
        anEvent({
          entityId: 'm1',
          data: { name: 'A', email: 'same@example.com' },
        }),
        anEvent({
          entityId: 'm2',
          data: { name: 'B', email: 'same@example.com' },
        }),
        anEvent({
          entityId: 'm3',
          data: { name: 'C', email: 'c@example.com' },
        }),
      ]),
    );
    expect(result.outcomes.map((outcome) => outcome.rejection)).toEqual([
      null,
      'constraint-violation',
      null,
    ]);
    expect((await rows()).map((row) => row.id)).toEqual(['m1', 'm3']);
  });

  it('gives identical checksums on two replicas that applied the same log, in different batch sizes', async () => {
    const events = log([
      anEvent({
        entityId: 'c1',
        data: { name: 'C1', email: 'c1@example.com' },
      }),
      anEvent({
        entityId: 'c2',
        data: { name: 'C2', email: 'taken@example.com' },
      }),
      anEvent({
        entityId: 'c3',
        data: { name: 'C3', email: 'taken@example.com' },
      }),
      anEvent({
        entityId: 'c1',
        data: { name: 'C1 again', email: 'c1b@example.com' },
      }),
      anEvent(),
      anEvent({
        entityId: 'm2',
        data: { name: 'Bo', email: 'bo@example.com' },
      }),
      anEvent({ type: 'patched', data: { age: 5 } }),
      anEvent({ type: 'deleted', entityId: 'm2', data: null }),
      anEvent({
        type: 'replaced',
        entityId: 'm3',
        data: { name: 'Cy', email: 'cy@example.com' },
      }),
    ]);
    const first = await newProjection();
    await first.projection.applyBatch(TOPIC, 0, events);
    const second = await newProjection();
    for (const message of events)
      await second.projection.applyBatch(TOPIC, 0, [message]);
    expect(await second.status.checksums()).toEqual(
      await first.status.checksums(),
    );
  });

  it('continues versions across a delete and re-create, alone or in a run of creates', async () => {
    const { projection, rows } = await newProjection();
    const deleted = anEvent({ type: 'deleted', data: null });
    const result = await projection.applyBatch(
      TOPIC,
      0,
      log([
        anEvent(),
        anEvent({ type: 'patched', data: { age: 1 } }),
        deleted,
        anEvent({ data: { name: 'Ada again', email: 'ada@example.com' } }),
        { ...deleted, eventId: uuidv7() },
        anEvent({ type: 'replaced', data: { name: 'Ada 3', email: 'a@x.io' } }),
        { ...deleted, eventId: uuidv7() },
        anEvent({ data: { name: 'Ada 4', email: 'ada@example.com' } }),
        anEvent({ entityId: 'm2', data: { name: 'Bo', email: 'bo@x.io' } }),
      ]),
    );
    expect(result.outcomes.map((outcome) => outcome.version)).toEqual([
      1,
      2,
      null,
      3,
      null,
      4,
      null,
      5,
      1,
    ]);
    expect(await rows()).toMatchObject([
      { id: 'm1', name: 'Ada 4', version: 5 },
      { id: 'm2', version: 1 },
    ]);
  });

  it('continues the versions of re-created rows inside a long run of creates, as one by one', async () => {
    const ids = Array.from({ length: 40 }, (_, index) => `r${index}`);
    const create = (id: string, name: string): ReplicationEvent =>
      anEvent({ entityId: id, data: { name, email: `${id}@example.com` } });
    // Every third row created, deleted, created and deleted again: tombstone at version 2.
    const gone = ids.filter((_, index) => index % 3 === 0);
    const history = gone.flatMap((id) => [
      create(id, 'first'),
      anEvent({ type: 'deleted', entityId: id, data: null }),
      create(id, 'second'),
      anEvent({ type: 'deleted', entityId: id, data: null }),
    ]);
    const run = ids.map((id) => create(id, 'now'));
    const inOneBatch = await newProjection();
    await inOneBatch.projection.applyBatch(TOPIC, 0, log(history));
    const result = await inOneBatch.projection.applyBatch(
      TOPIC,
      0,
      log(run, history.length),
    );
    expect(result.outcomes.map((outcome) => outcome.version)).toEqual(
      ids.map((_, index) => (index % 3 === 0 ? 3 : 1)),
    );
    const oneByOne = await newProjection();
    for (const message of log([...history, ...run]))
      await oneByOne.projection.applyBatch(TOPIC, 0, [message]);
    expect(await inOneBatch.rows()).toEqual(await oneByOne.rows());
    expect(await inOneBatch.status.checksums()).toEqual(
      await oneByOne.status.checksums(),
    );
  });

  it('records a repeated event id as a skipped duplicate in its table, and applies the same id in another table', async () => {
    const { projection, status, dataSource } = await newProjection();
    const created = anEvent();
    await projection.applyBatch(TOPIC, 0, log([created, created]));
    expect(await status.skippedDuplicateCount()).toBe(1);
    // An event of another table already has this id.
    const sharedId = uuidv7();
    await dataSource.query(
      `INSERT INTO "_clusterlite_outcomes" ("tableName", "eventId", "topic", "partition", "offset", "entityId", "type", "status", "occurredAt", "origin") ` +
        `VALUES ('other', ?, 'clusterlite.other', 0, 0, 'x', 'created', 'applied', '', '')`,
      [sharedId],
    );
    const sameIdElsewhere = anEvent({
      eventId: sharedId,
      entityId: 'm2',
      data: { name: 'Bo', email: 'bo@example.com' },
    });
    const result = await projection.applyBatch(
      TOPIC,
      0,
      log([sameIdElsewhere], 2),
    );
    expect(result.outcomes).toMatchObject([{ status: 'applied', version: 1 }]);
    expect(await status.skippedDuplicateCount()).toBe(1);
  });
});
