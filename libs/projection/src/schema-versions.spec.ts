import {
  NodeConfig,
  SqliteWriter,
  encodeEvent,
  sqliteDataSourceOptions,
  type ReplicationEvent,
} from '@clusterlite/core';
import { EntityRegistry, Field, ReplicatedEntity } from '@clusterlite/registry';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { AppliedPositions } from './applied-positions.js';
import { ProjectionService } from './projection.service.js';
import { StorageRetry } from './storage-retry.js';
import { SchemaVersionGate } from './schema-versions.js';

@ReplicatedEntity('gadgets', { schemaVersion: 2 })
class Gadget {
  @Field() name: string;
  @Field({ optional: true }) color?: string;
  @Field({ default: 'grey' }) shade: string;
}

@ReplicatedEntity('widgets')
class Widget {
  @Field() name: string;
}

const GADGETS = 'clusterlite.gadgets';
const WIDGETS = 'clusterlite.widgets';

async function newProjection() {
  const config = NodeConfig.fromEnvironment({
    NODE_ID: 'test',
    DB_PATH: ':memory:',
  });
  const registry = new EntityRegistry([Gadget, Widget]);
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
  const gate = new SchemaVersionGate();
  const projection = new ProjectionService(
    writer,
    dataSource,
    registry,
    positions,
    config,
    new StorageRetry(),
    gate,
  );
  await projection.onModuleInit();
  return { projection, positions, gate, dataSource };
}

function gadget(
  entityId: string,
  schemaVersion: number,
  data: Record<string, unknown>,
): ReplicationEvent {
  return {
    eventId: uuidv7(),
    type: 'created',
    table: 'gadgets',
    entityId,
    data,
    expectedVersion: null,
    occurredAt: '2026-01-01T00:00:00.000Z',
    origin: 'node-x',
    schemaVersion,
  };
}

const at = (offset: number, event: ReplicationEvent) => ({
  offset: String(offset),
  value: encodeEvent(event),
});

describe(SchemaVersionGate.name, () => {
  it('applies an event of an older schema: missing optional fields stored as null, others take their default', async () => {
    const { projection, dataSource } = await newProjection();
    const result = await projection.applyBatch(GADGETS, 0, [
      at(0, gadget('g1', 1, { name: 'old' })),
    ]);
    expect(result.stopped).toBeUndefined();
    expect(
      await dataSource.query('SELECT "id", "color", "shade" FROM "gadgets"'),
    ).toEqual([{ id: 'g1', color: null, shade: 'grey' }]);
  });

  it('stops the topic before an event of a newer schema: applies what came before, dead-letters nothing, keeps the position', async () => {
    const { projection, positions, gate, dataSource } = await newProjection();
    const result = await projection.applyBatch(GADGETS, 0, [
      at(0, gadget('g1', 2, { name: 'a', color: 'red' })),
      at(1, gadget('g2', 3, { name: 'b', size: 'XL' })),
      at(2, gadget('g3', 1, { name: 'c' })),
    ]);
    expect(result.stopped).toBe('needs schema 3 of gadgets');
    expect(result.deadLetters).toEqual([]);
    expect(positions.get(GADGETS, 0)).toBe(0n);
    expect(
      await dataSource.query('SELECT "id" FROM "gadgets" ORDER BY "id"'),
    ).toEqual([{ id: 'g1' }]);
    expect(gate.all()).toEqual([
      {
        table: 'gadgets',
        topic: GADGETS,
        needs: 3,
        offset: '1',
        reason: 'needs schema 3 of gadgets',
      },
    ]);

    const again = await projection.applyBatch(GADGETS, 0, [
      at(2, gadget('g3', 1, { name: 'c' })),
    ]);
    expect(again).toMatchObject({
      applied: 0,
      stopped: 'needs schema 3 of gadgets',
    });
    expect(
      await dataSource.query(
        'SELECT COUNT(*) AS n FROM "_clusterlite_dead_letters"',
      ),
    ).toEqual([{ n: 0 }]);
  });

  it('keeps applying the other tables', async () => {
    const { projection, dataSource } = await newProjection();
    await projection.applyBatch(GADGETS, 0, [
      at(0, gadget('g1', 9, { name: 'a' })),
    ]);
    const widget: ReplicationEvent = {
      ...gadget('w1', 1, { name: 'w' }),
      table: 'widgets',
    };
    const result = await projection.applyBatch(WIDGETS, 0, [at(0, widget)]);
    expect(result).toMatchObject({ applied: 1 });
    expect(await dataSource.query('SELECT "id" FROM "widgets"')).toEqual([
      { id: 'w1' },
    ]);
  });
});
