import fc from 'fast-check';

/** A JSON schema of the OpenAPI 3.0 document (the subset the node's document uses). */
export interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  pattern?: string;
  enum?: unknown[];
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  oneOf?: Schema[];
  anyOf?: Schema[];
}

/** Bounds that keep generated values small: the test is about shapes, not sizes. */
const MAX_ARRAY = 3;
const MAX_FREE_TEXT = 12;
const SMALL_NUMBER = 1e6;

/** Text a header can carry: visible ASCII and inner spaces (HTTP trims the ends). */
export const headerText = (maxLength = MAX_FREE_TEXT) =>
  fc
    .string({
      unit: fc
        .integer({ min: 0x20, max: 0x7e })
        .map((code) => String.fromCharCode(code)),
      maxLength,
    })
    .map((text) => text.trim());

/**
 * A fast-check arbitrary of the values `schema` calls valid: `$ref`s into
 * `components.schemas`, oneOf/anyOf, enum, nullable, the string formats
 * the node's document uses, patterns (fast-check's stringMatching), numeric
 * and length bounds. Strings with a pattern may be long; free text is short.
 */
export function arbitraryOf(
  schema: Schema,
  components: Record<string, Schema>,
): fc.Arbitrary<unknown> {
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    return arbitraryOf(components[name], components);
  }
  const variants = schema.oneOf ?? schema.anyOf;
  if (variants)
    return fc.oneof(...variants.map((one) => arbitraryOf(one, components)));
  const value = nonNullArbitrary(schema, components);
  return schema.nullable ? fc.option(value, { nil: null }) : value;
}

function nonNullArbitrary(
  schema: Schema,
  components: Record<string, Schema>,
): fc.Arbitrary<unknown> {
  if (schema.enum)
    return fc.constantFrom(...schema.enum.filter((value) => value !== null));
  switch (schema.type) {
    case 'integer':
      return fc.integer({
        min: Math.max(schema.minimum ?? -SMALL_NUMBER, -SMALL_NUMBER),
        max: Math.min(schema.maximum ?? SMALL_NUMBER, SMALL_NUMBER),
      });
    case 'number':
      return fc
        .integer({
          min: Math.max(schema.minimum ?? -SMALL_NUMBER, -SMALL_NUMBER) * 100,
          max: Math.min(schema.maximum ?? SMALL_NUMBER, SMALL_NUMBER) * 100,
        })
        .map((hundredths) => hundredths / 100);
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(arbitraryOf(schema.items ?? {}, components), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.min(schema.maxItems ?? MAX_ARRAY, MAX_ARRAY),
      });
    case 'object': {
      const properties = schema.properties ?? {};
      return fc.record(
        Object.fromEntries(
          Object.entries(properties).map(([name, property]) => [
            name,
            arbitraryOf(property, components),
          ]),
        ),
        { requiredKeys: schema.required ?? [] },
      );
    }
    default:
      return stringArbitrary(schema);
  }
}

function stringArbitrary(schema: Schema): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0;
  const maxLength = schema.maxLength ?? Number.MAX_SAFE_INTEGER;
  // JSON Schema lengths count code points.
  const fits = (text: string) =>
    Array.from(text).length >= minLength &&
    Array.from(text).length <= maxLength;
  switch (schema.format) {
    case 'email':
      return fc
        .tuple(
          fc.stringMatching(/^[a-z0-9]{1,10}(\.[a-z0-9]{1,10})?$/),
          fc.stringMatching(/^[a-z0-9]{1,10}\.(com|org|example)$/),
        )
        .map(([local, domain]) => `${local}@${domain}`)
        .filter(fits);
    case 'uri':
      return fc
        .webUrl({ validSchemes: ['http', 'https'], withQueryParameters: true })
        .filter(fits);
    case 'date-time':
      return fc
        .date({
          min: new Date('2000-01-01T00:00:00Z'),
          max: new Date('2100-01-01T00:00:00Z'),
          noInvalidDate: true,
        })
        .map((date) => date.toISOString());
    case 'uuid':
      return fc.uuid();
  }
  if (schema.pattern)
    return fc.stringMatching(new RegExp(schema.pattern)).filter(fits);
  return fc.string({
    minLength,
    maxLength: Math.max(minLength, Math.min(maxLength, MAX_FREE_TEXT)),
  });
}
