import { ApiProperty } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';
import type { FieldDefinition } from './entity-definition.js';

/** Longest URL class-validator's IsUrl accepts. */
const URL_MAX_LENGTH = 2083;

type Schema = Record<string, unknown>;

/**
 * Copies the class-validator rules written on an entity's fields into their
 * OpenAPI properties (minimum, lengths, list sizes, formats, enums), so that
 * the document refuses what the node refuses. Runs once all decorators of the
 * class are in place, before the DTOs are derived.
 */
export function documentValidationRules(
  target: Function,
  fields: readonly FieldDefinition[],
): void {
  const rules = getMetadataStorage().getTargetValidationMetadatas(
    target,
    '',
    true,
    false,
  );
  for (const field of fields) {
    const own: Schema = {};
    const items: Schema = {};
    for (const rule of rules.filter(
      (candidate) => candidate.propertyName === field.name,
    )) {
      const into = rule.each && field.type === 'string[]' ? items : own;
      const [first, second] = (rule.constraints ?? []) as unknown[];
      // Several rules can bound one value (the field's own and the user's): the tightest wins.
      const raise = (key: string, value: unknown) => {
        if (typeof value === 'number')
          into[key] = Math.max(value, (into[key] as number) ?? -Infinity);
      };
      const lower = (key: string, value: unknown) => {
        if (typeof value === 'number')
          into[key] = Math.min(value, (into[key] as number) ?? Infinity);
      };
      switch (rule.name) {
        case 'min':
          raise('minimum', first);
          break;
        case 'max':
          lower('maximum', first);
          break;
        case 'isLength':
          raise('minLength', first);
          lower('maxLength', second);
          break;
        case 'minLength':
          raise('minLength', first);
          break;
        case 'maxLength':
          lower('maxLength', first);
          break;
        case 'arrayMinSize':
          own.minItems = first;
          break;
        case 'arrayMaxSize':
          own.maxItems = first;
          break;
        case 'isEmail':
          into.format = 'email';
          break;
        case 'isUrl':
          into.format = 'uri';
          lower('maxLength', URL_MAX_LENGTH);
          break;
        case 'isIn':
          into.enum = first;
          break;
        case 'matches':
          if (first instanceof RegExp) into.pattern = first.source;
          break;
      }
    }
    if (field.type === 'string[]') {
      ApiProperty({
        ...own,
        type: 'array',
        items: { type: 'string', ...items },
      } as never)(target.prototype, field.name);
    } else if (Object.keys(own).length > 0) {
      ApiProperty(own as never)(target.prototype, field.name);
    }
  }
}

/**
 * Marks the request bodies of every entity as closed (`additionalProperties:
 * false`): the node refuses fields it does not declare, and the document says so.
 */
export function closeRequestSchemas(
  schemas: Record<string, object> | undefined,
  definitions: readonly {
    createDto: Function;
    replaceDto: Function;
    patchDto: Function;
  }[],
): void {
  for (const definition of definitions) {
    for (const dto of [
      definition.createDto,
      definition.replaceDto,
      definition.patchDto,
    ]) {
      const schema = schemas?.[dto.name];
      if (schema) Object.assign(schema, { additionalProperties: false });
    }
  }
}
