import { Controller, Get, Query } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiQuery,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import {
  PROBLEM_CONTENT_TYPE,
  ProblemDetailsDto,
  RequestValidationError,
} from '@clusterlite/api';
import { NodeConfig } from '@clusterlite/core';
import {
  ReplicaStatusService,
  SchemaVersionGate,
  StorageRetry,
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
  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description:
      'Why this node stopped projecting the topic (its position is below the log start or beyond its end, the topic was re-created, or the file belongs to another log); null while it projects it',
  })
  stopped: string | null;
}

class TableChecksumDto {
  @ApiProperty({ example: 'users' }) table: string;
  @ApiProperty({ example: 3 }) rows: number;
  @ApiProperty({
    example: '9f2c4e1a0b7d3c55',
    description:
      'Sum (mod 2^64, hex) of a 64-bit hash of every row, kept up to date as events are applied; equal on replicas that applied the same log',
  })
  checksum: string;
  @ApiPropertyOptional({
    description: 'With verify=true: the checksum summed again from every row',
  })
  recomputed?: string;
  @ApiPropertyOptional({
    description:
      'With verify=true: whether the kept checksum and row count match the recomputed ones',
  })
  matches?: boolean;
}

class StorageStateDto {
  @ApiProperty({
    description:
      'False while a fault of the SQLite file (busy, locked, full, read-only, I/O) holds the projection; it retries until the fault clears',
  })
  ok: boolean;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'SQLITE_BUSY: database is locked',
  })
  reason: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  since: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'clusterlite.users:0',
    description: 'The log partition waiting for the fault to clear',
  })
  waiting: string | null;
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
  @ApiProperty({
    description:
      'Messages skipped because they repeated an event already applied in their table (a producer retry)',
  })
  skippedDuplicates: number;
  @ApiProperty({ type: StorageStateDto }) storage: StorageStateDto;
  @ApiPropertyOptional({
    description:
      'With verify=true: whether every table matched its full recomputation',
  })
  checksumsVerified?: boolean;
}

/** Replica state of this node, under a prefix no table name can take. */
@ApiTags('cluster')
@Controller('_cluster')
export class StatusController {
  constructor(
    private readonly status: ReplicaStatusService,
    private readonly config: NodeConfig,
    private readonly storage: StorageRetry,
    private readonly schemaVersions: SchemaVersionGate,
  ) {}

  @Get('status')
  @ApiOperation({
    summary:
      'This node: id, mode, applied positions, lag and per-table checksums',
    description:
      'Costs the same at any table size: the checksums are kept as events are applied. `verify=true` recomputes them.',
  })
  @ApiQuery({
    name: 'verify',
    required: false,
    schema: { type: 'boolean' },
    description:
      'true: also sum every row of every table again and say whether the kept checksums match (costs a full read)',
  })
  @ApiOkResponse({ type: NodeStatusDto })
  @ApiResponse({
    status: 400,
    description: 'verify is not true or false',
    content: {
      [PROBLEM_CONTENT_TYPE]: {
        schema: { $ref: getSchemaPath(ProblemDetailsDto) },
      },
    },
  })
  async get(@Query('verify') verify?: string): Promise<NodeStatusDto> {
    if (verify !== undefined && verify !== 'true' && verify !== 'false') {
      throw new RequestValidationError([
        { field: 'verify', messages: ['verify must be true or false'] },
      ]);
    }
    const verifying = verify === 'true';
    const [topics, tables, deadLetters, rejectedEvents, skippedDuplicates] =
      await Promise.all([
        this.status.progress(),
        verifying ? this.status.verifyChecksums() : this.status.checksums(),
        this.status.deadLetterCount(),
        this.status.rejectedCount(),
        this.status.skippedDuplicateCount(),
      ]);
    const fault = this.storage.fault;
    return {
      nodeId: this.config.nodeId,
      mode: this.config.mode,
      replicating: this.config.mode === 'cluster',
      topics,
      tables,
      stoppedTables: this.schemaVersions.all(),
      deadLetters,
      rejectedEvents,
      skippedDuplicates,
      storage: {
        ok: fault === null,
        reason: fault?.reason ?? null,
        since: fault?.since.toISOString() ?? null,
        waiting: fault?.work ?? null,
      },
      ...(verifying
        ? {
            checksumsVerified: tables.every(
              (table) => 'matches' in table && table.matches,
            ),
          }
        : {}),
    };
  }
}
