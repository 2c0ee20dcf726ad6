import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
export const POSITION_HEADER = 'ClusterLite-Position';

/** Body of a `202 Accepted` write. */
export class WriteAcceptedDto {
  @ApiProperty({
    example: '0192f1d2-7c4e-7a53-9c1b-4a7be3d0e8a1',
    description: 'Id of the row written',
  })
  id: string;

  @ApiProperty({
    example: '0192f1d2-7c4f-7b11-8e52-3f0f7f6c2d90',
    description: 'Id of the event (UUIDv7)',
  })
  eventId: string;

  @ApiProperty({
    example: 'clusterlite.users:0:42',
    description: `Log position of the event. Send it back as the \`${POSITION_HEADER}\` header or the \`position\` query parameter of a read to get read-your-writes through any node.`,
  })
  position: string;
}

/** One event of a table's change feed (`GET /{table}/_changes`). */
export class EntityChangeDto {
  @ApiProperty({ enum: ['created', 'replaced', 'patched', 'deleted'] })
  type: string;

  @ApiProperty({ description: 'Row id' })
  id: string;

  @ApiProperty()
  eventId: string;

  @ApiProperty({ example: 'clusterlite.users:0:42' })
  position: string;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: 'Row version after the change; null once deleted',
  })
  version: number | null;

  @ApiProperty({
    nullable: true,
    type: Object,
    description: 'The row after the change; null once deleted',
  })
  row: Record<string, unknown> | null;
}

/** One event in a row's history (`GET /{table}/{id}/history`). */
export class HistoryEntryDto {
  @ApiProperty() eventId: string;
  @ApiProperty({ enum: ['created', 'replaced', 'patched', 'deleted'] })
  type: string;
  @ApiProperty({ example: 'clusterlite.users:0:42' }) position: string;
  @ApiProperty({ enum: ['applied', 'rejected'] }) status: string;
  // OpenAPI 3.0.3: a nullable enum lists null among its values.
  @ApiProperty({
    nullable: true,
    enum: [
      'already-exists',
      'not-found',
      'version-mismatch',
      'constraint-violation',
      null,
    ],
  })
  rejection: string | null;
  @ApiProperty({ type: String, nullable: true }) reason: string | null;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: 'Row version after the event',
  })
  version: number | null;
  @ApiProperty({ format: 'date-time' }) occurredAt: string;
  @ApiProperty({ description: 'Node that accepted the write' }) origin: string;
  @ApiProperty({
    nullable: true,
    type: Object,
    description: 'Fields the event carried',
  })
  data: Record<string, unknown> | null;
}

/** One item of a bulk create answered with `Prefer: return=representation`. */
export class BulkItemResultDto {
  @ApiProperty({
    type: 'integer',
    enum: [201, 409, 500],
    description:
      '201 created, 409 if the projection rejected this item, or 500 if this node set it aside (a dead letter)',
  })
  status: number;

  @ApiProperty({ description: 'Row id' })
  id: string;

  @ApiProperty({ example: 'clusterlite.users:0:42' })
  position: string;

  @ApiPropertyOptional({
    nullable: true,
    type: Object,
    description: 'The row as created (status 201)',
  })
  row?: Record<string, unknown> | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'Why the item was rejected (409) or not applied (500)',
  })
  error?: string | null;
}
