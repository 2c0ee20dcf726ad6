import { Field, ReplicatedEntity } from '@clusterlite/registry';
import { ArrayMaxSize, IsUrl, Length, Min } from 'class-validator';

/**
 * TEST ONLY (`CLUSTERLITE_TEST_ENTITIES=upgrade`, test/cluster/rolling-upgrade.cluster-spec.ts):
 * the sample `Product` as a user would change it, with a new optional field `color` and
 * schema version 2, to run a rolling upgrade from one build.
 */
@ReplicatedEntity('products', {
  description: 'Things for sale',
  history: true,
  schemaVersion: 2,
})
export class Product {
  @Field({
    description: 'Product name',
    example: 'Espresso cup',
    maxLength: 200,
  })
  @Length(1, 200)
  name: string;

  @Field({
    description: 'Unique stock-keeping unit',
    example: 'CUP-001',
    unique: true,
    maxLength: 64,
  })
  @Length(1, 64)
  sku: string;

  @Field({ description: 'Price in euros', example: 4.5 })
  @Min(0)
  price: number;

  @Field({
    type: 'integer',
    description: 'Units in stock',
    example: 12,
    optional: true,
  })
  @Min(0)
  stock?: number;

  @Field({
    type: 'string[]',
    description: 'Free-form labels',
    example: ['kitchen', 'ceramic'],
    maxLength: 50,
  })
  @ArrayMaxSize(20)
  tags: string[];

  @Field({ description: 'Shown in the shop', example: true })
  available: boolean;

  @Field({
    description: 'Product page',
    format: 'uri',
    example: 'https://example.com/cup',
    optional: true,
    maxLength: 2083,
  })
  @IsUrl({ require_protocol: true })
  url?: string;

  @Field({
    description: 'Colour, added in schema version 2',
    example: 'red',
    optional: true,
    maxLength: 30,
  })
  @Length(1, 30)
  color?: string;
}
