import { ApiProperty } from '@nestjs/swagger';

/** What became of one event on the node that answers (`GET /{table}/_events/{eventId}`). */
export class EventFateDto {
  @ApiProperty({ example: '0192f1d2-7c4f-7b11-8e52-3f0f7f6c2d90' })
  eventId: string;

  @ApiProperty({ example: 'users' })
  table: string;

  @ApiProperty({ description: 'Row id the event names' })
  entityId: string;

  @ApiProperty({ enum: ['created', 'replaced', 'patched', 'deleted'] })
  type: string;

  @ApiProperty({
    enum: ['applied', 'rejected'],
    description:
      'applied: the row changed; rejected: the event is on the log but the projection refused it, the same on every node (see `reason`)',
  })
  status: string;

  @ApiProperty({
    nullable: true,
    type: String,
    description:
      'When rejected: already-exists, not-found, version-mismatch or constraint-violation',
  })
  rejection: string | null;

  @ApiProperty({ nullable: true, type: String })
  reason: string | null;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: 'Row version after the event; null when rejected or deleted',
  })
  version: number | null;

  @ApiProperty({
    example: 'clusterlite.users:0:42',
    description: 'Log position of the event',
  })
  position: string;
}
