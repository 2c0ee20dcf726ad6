import {
  ClientProxy,
  type ReadPacket,
  type WritePacket,
} from '@nestjs/microservices';
import type { EmbeddedEventLog } from './embedded-event-log.js';
import type { RecordMetadata } from 'kafkajs';
import type { Observable } from 'rxjs';

interface OutgoingMessage {
  key: string;
  value: Buffer | string;
}

/**
 * The command side's transport in embedded mode: `emit(topic, message)`
 * appends to the log table in the node's SQLite file and answers with the
 * same record metadata a Kafka producer would.
 */
export class EmbeddedLogClient extends ClientProxy {
  constructor(private readonly log: EmbeddedEventLog) {
    super();
  }

  async connect(): Promise<void> {}

  async close(): Promise<void> {}

  /** Several messages in one append, like `ClientKafka.emitBatch`. */
  emitBatch<T>(
    pattern: string,
    data: { messages: OutgoingMessage[] },
  ): Observable<T> {
    return this.emit<T>(pattern, data.messages);
  }

  unwrap<T>(): T {
    return this.log as T;
  }

  protected publish(
    _packet: ReadPacket,
    callback: (packet: WritePacket) => void,
  ): () => void {
    callback({
      err: new Error(
        'The embedded log carries events only; request-response is not supported',
      ),
    });
    return () => undefined;
  }

  protected async dispatchEvent<T = RecordMetadata[]>(
    packet: ReadPacket<OutgoingMessage | OutgoingMessage[]>,
  ): Promise<T> {
    const topic = String(packet.pattern);
    const messages = Array.isArray(packet.data) ? packet.data : [packet.data];
    const baseOffset = await this.log.append(
      topic,
      messages.map((message) => ({
        key: message.key,
        value: message.value.toString(),
      })),
    );
    const acknowledged: RecordMetadata[] = [
      {
        topicName: topic,
        partition: 0,
        errorCode: 0,
        baseOffset: String(baseOffset),
      },
    ];
    return acknowledged as T;
  }
}
