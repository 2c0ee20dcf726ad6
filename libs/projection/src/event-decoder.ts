import {
  NodeConfig,
  UndecodableEventError,
  decodeEvent,
  type ReplicationEvent,
} from '@clusterlite/core';
import type { LogMessage } from '@clusterlite/event-log';
import { EntityRegistry, type EntityDefinition } from '@clusterlite/registry';
import { SchemaVersionGate } from './schema-versions.js';

/** What a log message is to this node: an event to apply, an event of a newer schema, or undecodable. */
export type DecodedMessage =
  | {
      kind: 'event' | 'newer-schema';
      event: ReplicationEvent;
      definition: EntityDefinition;
    }
  | { kind: 'undecodable'; reason: string };

/**
 * Turns log messages into events this node can apply: parses the envelope,
 * finds the table, checks the topic and the data, and classifies an event of
 * a schema version this build does not know (the SchemaVersionGate decides).
 */
export class EventDecoder {
  constructor(
    private readonly registry: EntityRegistry,
    private readonly config: NodeConfig,
    private readonly schemaVersions: SchemaVersionGate,
  ) {}

  /** Parses a message and checks it against the registry; an event this node cannot apply anywhere is undecodable. */
  decode(topic: string, message: LogMessage): DecodedMessage {
    try {
      const event = decodeEvent(message.value);
      const definition = this.registry.resolve(event.table);
      if (!definition)
        throw new UndecodableEventError(`unknown table "${event.table}"`);
      if (this.config.topicFor(definition.table) !== topic) {
        throw new UndecodableEventError(
          `event of table "${event.table}" on topic ${topic}`,
        );
      }
      if (!this.schemaVersions.canApply(event, definition))
        return { kind: 'newer-schema', event, definition };
      const problem = definition.problemWithData(event.type, event.data);
      if (problem) throw new UndecodableEventError(problem);
      return { kind: 'event', event, definition };
    } catch (error) {
      if (!(error instanceof UndecodableEventError)) throw error;
      return { kind: 'undecodable', reason: error.message };
    }
  }
}
