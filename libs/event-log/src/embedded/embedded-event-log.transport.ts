import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type {
  ClientProxy,
  CustomTransportStrategy,
} from '@nestjs/microservices';
import { NodeConfig } from '@clusterlite/core';
import {
  EVENT_LOG_CLIENT,
  type LogConsumer,
  type ResumePolicy,
} from '../event-log.ports.js';
import { EventLogTransport } from '../event-log.transport.js';
import { EmbeddedEventLog } from './embedded-event-log.js';
import { EmbeddedLogServer } from './embedded-log.server.js';

/** Embedded mode: the log is a table of the node's own SQLite file; nothing replicates. */
@Injectable()
export class EmbeddedEventLogTransport
  extends EventLogTransport
  implements OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger('ClusterLite');

  constructor(
    private readonly config: NodeConfig,
    private readonly log: EmbeddedEventLog,
    @Inject(EVENT_LOG_CLIENT) private readonly client: ClientProxy,
  ) {
    super();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.client.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }

  server(consumer: LogConsumer, policy: ResumePolicy): CustomTransportStrategy {
    return new EmbeddedLogServer(consumer, this.log, policy);
  }

  async consumeWhenReady(start: () => Promise<unknown>): Promise<void> {
    await start();
  }
}
