import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  EntityRegistry,
  FIELDS_METADATA,
  type EntityDefinition,
  type FieldMetadata,
} from '@clusterlite/registry';
import {
  EntityDescriptionDto,
  type FieldDescriptionDto,
} from './entity-catalog.dto.js';

/** The registered tables and their fields, so a client (the console) can build its forms. */
@ApiTags('cluster')
@Controller('_cluster')
export class EntityCatalogController {
  constructor(private readonly registry: EntityRegistry) {}

  @Get('entities')
  @ApiOperation({
    summary:
      'Every registered table: its routes and its fields (type, required, unique, limits)',
  })
  @ApiOkResponse({ type: [EntityDescriptionDto] })
  list(): EntityDescriptionDto[] {
    return this.registry.all().map(describe);
  }
}

function describe(definition: EntityDefinition): EntityDescriptionDto {
  // Description, format and example live only on the @Field() options.
  const declared: FieldMetadata[] =
    Reflect.getMetadata(FIELDS_METADATA, definition.target) ?? [];
  const options = new Map(declared.map((field) => [field.name, field.options]));
  return {
    table: definition.table,
    name: definition.target.name,
    description: definition.description ?? null,
    path: `/${definition.table}`,
    changes: `/${definition.table}/_changes`,
    fields: definition.fields.map((field): FieldDescriptionDto => {
      const option = options.get(field.name) ?? {};
      return {
        name: field.name,
        type: field.type,
        required: !field.optional && field.default === undefined,
        unique: field.unique,
        maxLength:
          field.type === 'string' || field.type === 'string[]'
            ? field.maxLength
            : null,
        format: option.format ?? null,
        description: option.description ?? null,
        example: option.example ?? null,
      };
    }),
  };
}
