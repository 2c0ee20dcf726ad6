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

  // OpenAPI 3.0: a nullable property names its type, or the document says `type: object`.
  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: 200,
    description:
      'Longest string, or longest item of a list; null for other types',
  })
  maxLength: number | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'email',
    description: 'OpenAPI format, e.g. email or uri',
  })
  format: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Email address' })
  description: string | null;

  // A value of the field's type, or null: each branch but the first refuses null, so null matches once.
  @ApiProperty({
    oneOf: [
      { type: 'string', nullable: true },
      { type: 'number' },
      { type: 'boolean' },
      { type: 'array', items: { type: 'string' } },
    ],
    example: 'john@example.com',
    description: 'A sample value of the field, or null',
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
    type: String,
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
