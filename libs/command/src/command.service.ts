import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import {
  EVENT_SCHEMA_VERSION,
  EventLogUnavailableError,
  LogPosition,
  NodeConfig,
  encodeEvent,
  type ReplicationEvent,
} from '@clusterlite/core';
import {
  EntityCommands,
  type EntityDefinition,
  type WriteCommand,
  type WriteReceipt,
} from '@clusterlite/registry';
import type { RecordMetadata } from 'kafkajs';
import { lastValueFrom, timeout, type Observable } from 'rxjs';
import { v7 as uuidv7 } from 'uuid';

/** Injection token of the transport the command side emits events through. */
export const EVENT_LOG_CLIENT = Symbol('EVENT_LOG_CLIENT');

const RETRY_AFTER_SECONDS = 5;

/** `ClientKafka.emitBatch` and its embedded twin: several messages, one produce request. */
interface BatchEmitter {
  emitBatch<T>(pattern: string, data: { messages: { key: string; value: Buffer }[] }): Observable<T>;
}

/**
 * Turns a validated write into an event and emits it on the table's topic,
 * keyed by the entity id. It answers only once the log acknowledged the
 * event (acks=all in cluster mode); otherwise nothing was accepted.
 */
@Injectable()
export class CommandService extends EntityCommands {
  private readonly logger = new Logger(CommandService.name);

  constructor(
    @Inject(EVENT_LOG_CLIENT) private readonly client: ClientProxy,
    private readonly config: NodeConfig,
  ) {
    super();
  }

  async submit(definition: EntityDefinition, command: WriteCommand): Promise<WriteReceipt> {
    const [receipt] = await this.publish(definition, [command]);
    return receipt;
  }

  async submitMany(definition: EntityDefinition, commands: WriteCommand[]): Promise<WriteReceipt[]> {
    return this.publish(definition, commands);
  }

  /**
   * One produce request for all the commands: a single partition takes them
   * contiguously, so the i-th event is at the batch's base offset + i.
   */
  private async publish(definition: EntityDefinition, commands: WriteCommand[]): Promise<WriteReceipt[]> {
    const events = commands.map((command) => this.eventFor(definition, command));
    const topic = this.config.topicFor(definition.table);
    const messages = events.map((event) => ({ key: event.entityId, value: encodeEvent(event) }));
    let acknowledged: RecordMetadata[];
    try {
      const emitted =
        messages.length === 1
          ? this.client.emit<RecordMetadata[]>(topic, messages[0])
          : (this.client as ClientProxy & BatchEmitter).emitBatch<RecordMetadata[]>(topic, { messages });
      acknowledged = await lastValueFrom(emitted.pipe(timeout(this.config.writeTimeoutMs)));
    } catch (error) {
      throw new EventLogUnavailableError(RETRY_AFTER_SECONDS, error);
    }
    const [record] = acknowledged;
    const base = BigInt(record.baseOffset ?? '0');
    return events.map((event, index) => {
      const position = new LogPosition(record.topicName, record.partition, base + BigInt(index));
      this.logger.debug(`${event.type} ${definition.table}/${event.entityId} at ${position.token}`);
      return { id: event.entityId, eventId: event.eventId, position };
    });
  }

  private eventFor(definition: EntityDefinition, command: WriteCommand): ReplicationEvent {
    return {
      eventId: command.idempotency?.eventId ?? uuidv7(),
      type: command.type,
      table: definition.table,
      entityId: command.entityId,
      data: command.data,
      expectedVersion: command.expectedVersion,
      occurredAt: new Date().toISOString(),
      origin: this.config.nodeId,
      schemaVersion: EVENT_SCHEMA_VERSION,
      ...(command.idempotency
        ? { idempotency: { key: command.idempotency.key, fingerprint: command.idempotency.fingerprint } }
        : {}),
    };
  }
}
