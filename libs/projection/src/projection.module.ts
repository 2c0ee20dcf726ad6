import { Global, Module } from '@nestjs/common';
import {
  EmbeddedEventLog,
  NodeConfig,
  kafkaConsumerOptions,
} from '@clusterlite/core';
import { EntityQueries } from '@clusterlite/registry';
import type { CustomTransportStrategy } from '@nestjs/microservices';
import { AppliedPositions } from './applied-positions.js';
import { EmbeddedLogServer } from './embedded/embedded-log.server.js';
import { EntityQueryService } from './entity-query.service.js';
import { KafkaProjectionServer } from './kafka/kafka-projection.server.js';
import {
  EmbeddedLogEndOffsets,
  KafkaLogEndOffsets,
} from './log-end-offsets.js';
import { ProjectionService } from './projection.service.js';
import { TableChecksums } from './table-checksums.js';
import {
  LogEndOffsets,
  ReplicaStatusService,
} from './replica-status.service.js';

/**
 * The read side: consumes the log into this node's SQLite tables and serves
 * reads from them.
 */
@Global()
@Module({
  providers: [
    AppliedPositions,
    ProjectionService,
    EntityQueryService,
    { provide: EntityQueries, useExisting: EntityQueryService },
    ReplicaStatusService,
    TableChecksums,
    {
      provide: LogEndOffsets,
      inject: [NodeConfig, EmbeddedEventLog],
      useFactory: (config: NodeConfig, log: EmbeddedEventLog) =>
        config.mode === 'cluster'
          ? new KafkaLogEndOffsets(config)
          : new EmbeddedLogEndOffsets(log),
    },
  ],
  exports: [
    EntityQueries,
    ProjectionService,
    ReplicaStatusService,
    AppliedPositions,
    LogEndOffsets,
  ],
})
export class ProjectionModule {
  /** The Nest transport that feeds the projection: Kafka in cluster mode, the log table otherwise. */
  static transport(
    config: NodeConfig,
    projection: ProjectionService,
    log: EmbeddedEventLog,
  ): CustomTransportStrategy {
    return config.mode === 'cluster'
      ? new KafkaProjectionServer(
          projection,
          config.deadLetterTopic,
          kafkaConsumerOptions(config),
        )
      : new EmbeddedLogServer(projection, log);
  }
}
