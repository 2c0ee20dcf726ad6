import { ApiProperty } from '@nestjs/swagger';

/** One declared field of a table, as a form needs it. */
export class FieldDescriptionDto {
  @ApiProperty({ example: 'email' }) name: string;

  @ApiProperty({
    enum: ['string', 'integer', 'number', 'boolean', 'string[]'],
    example: 'string',
  })
  type: string;

  @ApiProperty({
    description: 'Must be present (and not null) on create and replace',
  })
  required: boolean;

  @ApiProperty({
    description: 'A write that repeats an existing value is rejected with 409',
  })
  unique: boolean;

  @ApiProperty({
    nullable: true,
    example: 200,
    description:
      'Longest string, or longest item of a list; null for other types',
  })
  maxLength: number | null;

  @ApiProperty({
    nullable: true,
    example: 'email',
    description: 'OpenAPI format, e.g. email or uri',
  })
  format: string | null;

  @ApiProperty({ nullable: true, example: 'Email address' }) description:
    string | null;

  @ApiProperty({
    nullable: true,
    example: 'john@example.com',
    description: 'A sample value',
  })
  example: unknown;
}

/** One registered table: where its routes are and what its rows hold. */
export class EntityDescriptionDto {
  @ApiProperty({ example: 'users' }) table: string;

  @ApiProperty({
    example: 'User',
    description: 'Name of the entity class; one row is one of these',
  })
  name: string;

  @ApiProperty({
    nullable: true,
    example: 'People, as in the original ClusterLite',
  })
  description: string | null;

  @ApiProperty({
    example: '/users',
    description: 'Collection route (list, create)',
  })
  path: string;

  @ApiProperty({
    example: '/users/_changes',
    description: 'Server-sent change feed of the table',
  })
  changes: string;

  @ApiProperty({
    type: [FieldDescriptionDto],
    description:
      'Declared fields, in declaration order; every row also has id, version, createdAt and updatedAt',
  })
  fields: FieldDescriptionDto[];
}
