import { Injectable, Logger } from '@nestjs/common';
import type { ReplicationEvent } from '@clusterlite/core';
import type { EntityDefinition } from '@clusterlite/registry';

/** A table topic this node stopped applying: its log holds an event of a newer schema. */
export interface StoppedTable {
  table: string;
  topic: string;
  /** The schema version the event needs; this node's code has a lower one. */
  needs: number;
  /** Offset of that event: the next one to apply once the node runs newer code. */
  offset: string;
  reason: string;
}

/**
 * Schema versions in the log. Every event carries its table's schema version
 * (`@ReplicatedEntity({ schemaVersion })`). An event of a newer schema than this
 * node's code is neither applied nor dead-lettered: the node stops that table's
 * topic just before it, keeps applying the other tables, and reports not ready
 * with "needs schema N of <table>". Its stored position does not advance, so the
 * node resumes at that event once it is restarted with newer code. An event of an
 * older schema is applied as it is (missing optional fields are stored as null).
 */
@Injectable()
export class SchemaVersionGate {
  private readonly logger = new Logger(SchemaVersionGate.name);
  private readonly stopped = new Map<string, StoppedTable>();

  /** Whether this node's code can apply the event; a newer schema cannot be. */
  canApply(event: ReplicationEvent, definition: EntityDefinition): boolean {
    return event.schemaVersion <= definition.schemaVersion;
  }

  stop(
    topic: string,
    offset: string,
    event: ReplicationEvent,
    definition: EntityDefinition,
  ): StoppedTable {
    const existing = this.stopped.get(topic);
    if (existing) return existing;
    const stopped: StoppedTable = {
      table: definition.table,
      topic,
      needs: event.schemaVersion,
      offset,
      reason: `needs schema ${event.schemaVersion} of ${definition.table}`,
    };
    this.stopped.set(topic, stopped);
    this.logger.warn(
      `Stopped applying ${topic} at offset ${offset}: event ${event.eventId} ${stopped.reason} ` +
        `(this node has schema ${definition.schemaVersion}); restart it with newer code to go on`,
    );
    return stopped;
  }

  /** The stop of a topic, or undefined while it is applied. */
  stoppedAt(topic: string): StoppedTable | undefined {
    return this.stopped.get(topic);
  }

  /** Every stopped table topic: each makes the node not ready. */
  all(): StoppedTable[] {
    return [...this.stopped.values()];
  }
}
