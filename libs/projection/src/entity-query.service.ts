import { Injectable } from '@nestjs/common';
import { InvalidPositionError, LogPosition, NodeConfig, type EventOutcome } from '@clusterlite/core';
import {
  EntityQueries,
  EntityRegistry,
  type EntityChange,
  type EntityDefinition,
  type EntityRow,
  type ListOptions,
} from '@clusterlite/registry';
import { concatMap, filter, type Observable } from 'rxjs';
import { DataSource } from 'typeorm';
import { AppliedPositions } from './applied-positions.js';
import { ProjectionService } from './projection.service.js';

/**
 * Reads of this node's SQLite tables. Identifiers come from the registry's
 * definitions; every value is a bound parameter.
 */
@Injectable()
export class EntityQueryService extends EntityQueries {
  constructor(
    private readonly dataSource: DataSource,
    private readonly positions: AppliedPositions,
    private readonly registry: EntityRegistry,
    private readonly config: NodeConfig,
    private readonly projection: ProjectionService,
  ) {
    super();
  }

  changes(definition: EntityDefinition): Observable<EntityChange> {
    return this.projection.outcomes$.pipe(
      filter((outcome) => outcome.table === definition.table && outcome.status === 'applied'),
      concatMap(async (outcome) => ({
        type: outcome.type,
        id: outcome.entityId,
        eventId: outcome.eventId,
        position: outcome.position,
        version: outcome.version,
        row: outcome.type === 'deleted' ? null : await this.findOne(definition, outcome.entityId),
      })),
    );
  }

  async findOne(definition: EntityDefinition, id: string): Promise<EntityRow | null> {
    const [record] = await this.dataSource.query(`SELECT * FROM ${definition.quotedTable} WHERE "id" = ?`, [id]);
    return record ? definition.toRow(record) : null;
  }

  async list(definition: EntityDefinition, options: ListOptions): Promise<EntityRow[]> {
    const records: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT * FROM ${definition.quotedTable} WHERE "id" > ? ORDER BY "id" LIMIT ?`,
      [options.after ?? '', options.limit],
    );
    return records.map((record) => definition.toRow(record));
  }

  async waitForPosition(position: LogPosition, timeoutMs: number): Promise<void> {
    const known = this.registry.all().some((definition) => this.config.topicFor(definition.table) === position.topic);
    if (!known) throw new InvalidPositionError(position.token);
    await this.positions.waitFor(position, timeoutMs);
  }

  async outcomeOf(eventId: string): Promise<EventOutcome | null> {
    const [record] = await this.dataSource.query(
      'SELECT "eventId", "topic", "partition", "offset", "tableName", "entityId", "type", "status", "rejection", "reason", "version" ' +
        'FROM "_clusterlite_outcomes" WHERE "eventId" = ?',
      [eventId],
    );
    if (!record) return null;
    return {
      eventId: record.eventId,
      table: record.tableName,
      entityId: record.entityId,
      type: record.type,
      status: record.status,
      rejection: record.rejection,
      reason: record.reason,
      version: record.version,
      position: `${record.topic}:${record.partition}:${record.offset}`,
    };
  }
}
