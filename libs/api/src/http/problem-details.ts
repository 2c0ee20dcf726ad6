import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export class FieldErrorDto {
  @ApiProperty({
    example: 'email',
    description: 'Path of the field in the request body or query',
  })
  field: string;

  @ApiProperty({ example: ['email must be an email'], type: [String] })
  messages: string[];
}

/** RFC 9457 problem details, the body of every error ClusterLite answers. */
export class ProblemDetailsDto {
  @ApiProperty({ example: 'urn:clusterlite:problem:validation-failed' })
  type: string;

  @ApiProperty({ example: 'Request validation failed' })
  title: string;

  @ApiProperty({ example: 400 })
  status: number;

  @ApiPropertyOptional({ example: 'email must be an email' })
  detail?: string;

  @ApiPropertyOptional({ example: '/users' })
  instance?: string;

  @ApiPropertyOptional({
    type: [FieldErrorDto],
    description: 'One entry per invalid field',
  })
  errors?: FieldErrorDto[];
}
