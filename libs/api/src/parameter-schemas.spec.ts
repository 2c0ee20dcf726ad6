import { EntityRegistry, Field, ReplicatedEntity } from '@clusterlite/registry';
import type { SchemaObject } from '@nestjs/swagger';
import fc from 'fast-check';
import { parseListQuery } from './list-query.parser.js';
import { fieldsSchema, filterSchema, sortSchema } from './parameter-schemas.js';

@ReplicatedEntity('gadgets')
class Gadget {
  @Field() name: string;
  @Field({ type: 'integer', optional: true }) stock?: number;
  @Field({ type: 'number' }) weight: number;
  @Field({ type: 'boolean' }) active: boolean;
  @Field({ type: 'string[]' }) labels: string[];
}

const definition = new EntityRegistry([Gadget]).resolve('gadgets')!;

const accepts = (query: Record<string, string>) => {
  try {
    parseListQuery(definition, query);
    return true;
  } catch {
    return false;
  }
};

/** Filter expressions near the valid ones: an operator, a dot, and values of every kind. */
const expressions = fc
  .tuple(
    fc.constantFrom(
      'eq.',
      'ne.',
      'gt.',
      'lte.',
      'in.',
      'prefix.',
      'contains.',
      'is.',
      'like.',
      'eq',
    ),
    fc.oneof(
      fc.constantFrom('', 'null', 'notnull', 'true', 'false', '(1,2)', '()'),
      fc.constantFrom('0x10', 'Infinity', '1e5', '-2.50', '1.', '.5', ' 1'),
      fc.integer().map(String),
      fc.double({ noNaN: true }).map(String),
      fc.string({ maxLength: 6 }),
      fc.string({ maxLength: 6 }).map((inner) => `(${inner})`),
    ),
  )
  .map(([operator, value]) => operator + value);

describe('parameter schemas', () => {
  it.each(definition.columns.map((column) => [column.name, column] as const))(
    'the filter pattern of %s accepts exactly what the list parser accepts',
    (name, column) => {
      const items = filterSchema(column).items as SchemaObject;
      const pattern = new RegExp(items.pattern!);
      fc.assert(
        fc.property(
          expressions,
          (expression) =>
            pattern.test(expression) === accepts({ [name]: expression }),
        ),
        { seed: 20_261_130, numRuns: 500 },
      );
    },
  );

  it('the sort and fields patterns accept exactly what the list parser accepts', () => {
    const sort = new RegExp(sortSchema(definition).pattern!);
    const fields = new RegExp(fieldsSchema(definition).pattern!);
    const names = fc.constantFrom(
      ...definition.columns.map((column) => column.name),
      '-name',
      '-stock',
      'nope',
      '',
    );
    const lists = fc
      .uniqueArray(names, {
        minLength: 1,
        maxLength: 3,
        selector: (one) => one.replace(/^-/, ''),
      })
      .map((list) => list.join(','));
    fc.assert(
      fc.property(lists, (list) => {
        expect(sort.test(list)).toBe(accepts({ sort: list }));
        expect(fields.test(list)).toBe(accepts({ fields: list }));
      }),
      { seed: 20_261_130, numRuns: 300 },
    );
  });
});
