import { Controller, Get } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import { NodeConfig } from '@clusterlite/core';
import {
  ReplicaStatusService,
  SchemaVersionGate,
} from '@clusterlite/projection';

class TopicProgressDto {
  @ApiProperty({ example: 'clusterlite.users' }) topic: string;
  @ApiProperty({ example: 0 }) partition: number;
  @ApiProperty({
    type: String,
    nullable: true,
    example: '41',
    description: 'Offset of the last event applied',
  })
  appliedOffset: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: '42',
    description: 'Offset the next event will get on the log',
  })
  endOffset: string | null;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: 0,
    description: 'Events on the log not applied yet',
  })
  lag: number | null;
}

class TableChecksumDto {
  @ApiProperty({ example: 'users' }) table: string;
  @ApiProperty({ example: 3 }) rows: number;
  @ApiProperty({
    description:
      'SHA-256 over every row in id order; equal on replicas that applied the same log',
  })
  checksum: string;
}

class StoppedTableDto {
  @ApiProperty({ example: 'products' }) table: string;
  @ApiProperty({ example: 'clusterlite.products' }) topic: string;
  @ApiProperty({
    example: 2,
    description:
      "Schema version of the table the next event needs; this node's code has a lower one",
  })
  needs: number;
  @ApiProperty({
    example: '41',
    description: 'Offset of that event, applied once the node runs newer code',
  })
  offset: string;
  @ApiProperty({ example: 'needs schema 2 of products' }) reason: string;
}

class NodeStatusDto {
  @ApiProperty({ example: 'node-1' }) nodeId: string;
  @ApiProperty({ enum: ['cluster', 'embedded'] }) mode: string;
  @ApiProperty({
    description:
      'False in embedded mode: the node keeps a log of its own and replicates nothing',
  })
  replicating: boolean;
  @ApiProperty({ type: [TopicProgressDto] }) topics: TopicProgressDto[];
  @ApiProperty({ type: [TableChecksumDto] }) tables: TableChecksumDto[];
  @ApiProperty({
    type: [StoppedTableDto],
    description:
      'Tables whose topic this node stopped applying at an event of a newer schema (not ready until upgraded)',
  })
  stoppedTables: StoppedTableDto[];
  @ApiProperty({
    description:
      'Messages that were not valid events, set aside on the dead-letter topic',
  })
  deadLetters: number;
  @ApiProperty({
    description:
      'Events the projection rejected (conflict, failed If-Match, missing row)',
  })
  rejectedEvents: number;
}

/** Replica state of this node, under a prefix no table name can take. */
@ApiTags('cluster')
@Controller('_cluster')
export class StatusController {
  constructor(
    private readonly status: ReplicaStatusService,
    private readonly config: NodeConfig,
    private readonly schemaVersions: SchemaVersionGate,
  ) {}

  @Get('status')
  @ApiOperation({
    summary:
      'This node: id, mode, applied positions, lag and per-table checksums',
  })
  @ApiOkResponse({ type: NodeStatusDto })
  async get(): Promise<NodeStatusDto> {
    const [topics, tables, deadLetters, rejectedEvents] = await Promise.all([
      this.status.progress(),
      this.status.checksums(),
      this.status.deadLetterCount(),
      this.status.rejectedCount(),
    ]);
    return {
      nodeId: this.config.nodeId,
      mode: this.config.mode,
      replicating: this.config.mode === 'cluster',
      topics,
      tables,
      stoppedTables: this.schemaVersions.all(),
      deadLetters,
      rejectedEvents,
    };
  }
}
