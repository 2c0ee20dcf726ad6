import {
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
import type { LogMessage } from '@clusterlite/event-log';
import { ProjectionService } from './projection.service.js';
import { SchemaVersionGate } from './schema-versions.js';
import { StorageRetry } from './storage-retry.js';
import { TableChecksums, checksumHex } from './table-checksums.js';

@ReplicatedEntity('notes')
class Note {
  @Field()
  text: string;

  @Field({ type: 'integer', optional: true })
  stars?: number;
}

const TOPIC = 'clusterlite.notes';

/** A projection and its table checksums over a real in-memory SQLite database. */
async function newReplica() {
  const config = NodeConfig.fromEnvironment({
    NODE_ID: 'test',
    DB_PATH: ':memory:',
  });
  const registry = new EntityRegistry([Note]);
  const dataSource = new DataSource(
    sqliteDataSourceOptions(
      ':memory:',
      registry.all().map((d) => d.schema),
    ),
  );
  await dataSource.initialize();
  const writer = new SqliteWriter(dataSource);
  writer.onModuleInit();
  const projection = new ProjectionService(
    writer,
    dataSource,
    registry,
    new AppliedPositions(),
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
  return { projection, checksums, dataSource, writer, registry };
}

function aNote(overrides: Partial<ReplicationEvent> = {}): ReplicationEvent {
  return {
    eventId: uuidv7(),
    type: 'created',
    table: 'notes',
    entityId: 'n1',
    data: { text: 'hello' },
    expectedVersion: null,
    occurredAt: '2026-01-01T00:00:00.000Z',
    origin: 'node-x',
    schemaVersion: 1,
    ...overrides,
  };
}

function log(events: ReplicationEvent[], from = 0): LogMessage[] {
  return events.map((event, index) => ({
    offset: String(from + index),
    value: encodeEvent(event),
  }));
}

/** Creates, a rejected duplicate, replace, patch, delete, a patch of a missing row. */
const MIXED = () => [
  aNote({ entityId: 'a', data: { text: 'A' } }),
  aNote({ entityId: 'b', data: { text: 'B', stars: 2 } }),
  aNote({ entityId: 'c', data: { text: 'C' } }),
  aNote({ entityId: 'a', data: { text: 'A again' } }),
  aNote({ type: 'replaced', entityId: 'd', data: { text: 'D' } }),
  aNote({ type: 'patched', entityId: 'b', data: { stars: 5 } }),
  aNote({ type: 'deleted', entityId: 'c', data: null }),
  aNote({ type: 'patched', entityId: 'zz', data: { stars: 1 } }),
];

describe(TableChecksums.name, () => {
  it('keeps, event by event, the checksum a full recomputation finds', async () => {
    const { projection, checksums } = await newReplica();
    await projection.applyBatch(TOPIC, 0, log(MIXED()));
    const [notes] = await checksums.verify();
    expect(notes).toMatchObject({ table: 'notes', rows: 3, matches: true });
    expect(notes.checksum).toBe(notes.recomputed);
  });

  it('is the same on replicas whatever their batch boundaries', async () => {
    const events = log(MIXED());
    const whole = await newReplica();
    await whole.projection.applyBatch(TOPIC, 0, events);
    const oneByOne = await newReplica();
    for (const message of events)
      await oneByOne.projection.applyBatch(TOPIC, 0, [message]);
    expect(await oneByOne.checksums.current()).toEqual(
      await whole.checksums.current(),
    );
  });

  it('does not depend on the order rows arrived in', async () => {
    const first = await newReplica();
    const second = await newReplica();
    const x = aNote({ entityId: 'x', data: { text: 'X' } });
    const y = aNote({ entityId: 'y', data: { text: 'Y' } });
    await first.projection.applyBatch(TOPIC, 0, log([x, y]));
    await second.projection.applyBatch(TOPIC, 0, log([y, x]));
    expect(await second.checksums.current()).toEqual(
      await first.checksums.current(),
    );
  });

  it('changes with any change of a row, and is zero for an empty table', async () => {
    const { projection, checksums } = await newReplica();
    expect(await checksums.current()).toEqual([
      { table: 'notes', rows: 0, checksum: checksumHex(0n) },
    ]);
    await projection.applyBatch(TOPIC, 0, log([aNote()]));
    const [created] = await checksums.current();
    await projection.applyBatch(
      TOPIC,
      0,
      log([aNote({ type: 'patched', data: { stars: 1 } })], 1),
    );
    const [patched] = await checksums.current();
    expect(created.rows).toBe(1);
    expect(patched.checksum).not.toBe(created.checksum);
    await projection.applyBatch(
      TOPIC,
      0,
      log([aNote({ type: 'deleted', data: null })], 2),
    );
    expect((await checksums.current())[0]).toEqual({
      table: 'notes',
      rows: 0,
      checksum: checksumHex(0n),
    });
  });

  it('is computed in full at start for a table that has none yet', async () => {
    const { projection, dataSource, writer, registry } = await newReplica();
    await projection.applyBatch(TOPIC, 0, log(MIXED()));
    await dataSource.query('DELETE FROM "_clusterlite_table_checksums"');
    const restarted = new TableChecksums(
      writer,
      new SqliteReader(dataSource),
      registry,
    );
    await restarted.onModuleInit();
    const [notes] = await restarted.verify();
    expect(notes).toMatchObject({ rows: 3, matches: true });
  });

  it('matches a full recomputation after random histories of few rows, whatever the batch boundaries', async () => {
    // Creates, re-creates, replaces (upserts and If-Match), patches and deletes of the same
    // few rows in one batch: the checksum follows the rows written, never reads them after.
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const types = [
      'created',
      'created',
      'replaced',
      'patched',
      'deleted',
    ] as const;
    for (let round = 0; round < 6; round++) {
      const events = Array.from({ length: 60 }, (_, index) => {
        const type = types[next(types.length)];
        const expectedVersion = next(4) === 0 ? 1 + next(3) : null;
        return aNote({
          type,
          entityId: `r${next(5)}`,
          expectedVersion: type === 'created' ? null : expectedVersion,
          data:
            type === 'deleted'
              ? null
              : type === 'patched'
                ? { stars: index }
                : {
                    text: `t${index}`,
                    stars: next(2) === 0 ? index : undefined,
                  },
        });
      });
      const messages = log(events);
      const whole = await newReplica();
      await whole.projection.applyBatch(TOPIC, 0, messages);
      const [verified] = await whole.checksums.verify();
      expect(verified.matches).toBe(true);
      const split = await newReplica();
      for (let start = 0; start < messages.length;) {
        const length = 1 + next(9);
        await split.projection.applyBatch(
          TOPIC,
          0,
          messages.slice(start, start + length),
        );
        start += length;
      }
      expect(await split.checksums.current()).toEqual(
        await whole.checksums.current(),
      );
    }
  });

  it('verify reports a row changed behind the projection', async () => {
    const { projection, checksums, dataSource } = await newReplica();
    await projection.applyBatch(TOPIC, 0, log(MIXED()));
    await dataSource.query(
      `UPDATE "notes" SET "text" = 'tampered' WHERE "id" = 'a'`,
    );
    const [notes] = await checksums.verify();
    expect(notes.matches).toBe(false);
    expect(notes.recomputed).not.toBe(notes.checksum);
  });
});

describe(checksumHex.name, () => {
  it('writes a sum mod 2^64 as 16 hex digits, negative ones wrapped', () => {
    expect(checksumHex(1n)).toBe('0000000000000001');
    expect(checksumHex(-1n)).toBe('ffffffffffffffff');
    expect(checksumHex((1n << 64n) + 2n)).toBe('0000000000000002');
  });
});
