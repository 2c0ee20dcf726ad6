import { Logger } from '@nestjs/common';
import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import type { LogConsumer, ResumePolicy } from '../event-log.ports.js';
import type { EmbeddedEventLog } from './embedded-event-log.js';

const READ_BATCH = 2_000;
const IDLE_POLL_MS = 1_000;

/**
 * The projection's transport in embedded mode: a custom Nest transport that
 * reads the node's own log table and hands batches to the same
 * ProjectionService the Kafka transport uses.
 */
export class EmbeddedLogServer
  extends Server
  implements CustomTransportStrategy
{
  protected override readonly logger = new Logger(EmbeddedLogServer.name);
  private running = false;
  private readonly loops: Promise<void>[] = [];
  private readonly wakers = new Map<string, () => void>();
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly projection: LogConsumer,
    private readonly log: EmbeddedEventLog,
    private readonly guard: ResumePolicy,
  ) {
    super();
  }

  listen(callback: (error?: unknown) => void): void {
    // A file of a Kafka cluster: project nothing (LogIdentity says why).
    this.guard.claim('embedded').then(
      (mine) => (mine ? this.start(callback) : callback()),
      (error: unknown) => callback(error),
    );
  }

  private start(callback: (error?: unknown) => void): void {
    this.running = true;
    this.unsubscribe = this.log.onAppend((topic) => this.wakers.get(topic)?.());
    for (const topic of this.projection.topics())
      this.loops.push(this.consume(topic));
    this.projection.setConsuming(true);
    callback();
  }

  async close(): Promise<void> {
    this.running = false;
    this.projection.setConsuming(false);
    this.unsubscribe?.();
    for (const wake of this.wakers.values()) wake();
    await Promise.allSettled(this.loops);
  }

  on(): never {
    throw new Error('The embedded log transport has no events to listen to');
  }

  unwrap<T>(): T {
    return this.log as T;
  }

  private async consume(topic: string): Promise<void> {
    while (this.running) {
      try {
        const next = this.projection.nextOffset(topic, 0);
        const entries = await this.log.readAfter(
          topic,
          next === null ? null : Number(next - 1n),
          READ_BATCH,
        );
        if (entries.length > 0) {
          const result = await this.projection.applyBatch(
            topic,
            0,
            entries.map((entry) => ({
              offset: String(entry.offset),
              value: entry.value,
            })),
            { keepGoing: () => this.running },
          );
          if (result.stopped !== undefined) {
            this.logger.warn(`Stopped reading ${topic}: ${result.stopped}`);
            return;
          }
          continue;
        }
      } catch (error) {
        this.logger.error(
          `Projecting ${topic} failed, retrying: ${String(error)}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, IDLE_POLL_MS);
        this.wakers.set(topic, () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
