import type { CustomTransportStrategy } from '@nestjs/microservices';
import type { LogConsumer, ResumePolicy } from './event-log.ports.js';

/**
 * The log as the node's application sees it, Kafka or embedded, chosen once by
 * `EventLogModule.forRoot`: the Nest server that feeds the projection and when to
 * start it.
 */
export abstract class EventLogTransport {
  /** The Nest transport strategy that feeds `consumer` from the log, resuming as `policy` says. */
  abstract server(
    consumer: LogConsumer,
    policy: ResumePolicy,
  ): CustomTransportStrategy;

  /**
   * Runs `start` (which starts the server) once the log can be consumed. Does
   * not wait for Kafka: meanwhile the node serves reads from its own file.
   */
  abstract consumeWhenReady(start: () => Promise<unknown>): Promise<void>;
}
