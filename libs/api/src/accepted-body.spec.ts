import type { Type } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import fc from 'fast-check';
import { EntityDefinition } from '@clusterlite/registry';
import { User } from '../../../apps/node/src/entities/user.entity.js';
import { Product } from '../../../apps/node/src/entities/product.entity.js';
import { acceptedBody } from './accepted-body.js';

const definitions = [new EntityDefinition(User), new EntityDefinition(Product)];
const dtos = definitions.flatMap((definition) => [
  definition.createDto,
  definition.replaceDto,
  definition.patchDto,
]);

async function fullPath(dto: Type<unknown>, body: object) {
  const instance = plainToInstance(dto as Type<object>, body);
  const errors = await validate(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
  });
  return { instance, errors };
}

const value = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    'a@x.io',
    'https://example.com/cup',
    'not a url',
    '',
    '\uD800',
    'x'.repeat(201),
  ),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.string({ maxLength: 5 }), fc.integer()), {
    maxLength: 22,
  }),
  fc.array(fc.string({ maxLength: 60 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
);
const keys = fc.constantFrom(
  'name',
  'email',
  'sku',
  'price',
  'stock',
  'tags',
  'available',
  'url',
  'other',
  'constructor',
);

describe('acceptedBody', () => {
  it('accepts only what the full path accepts, with the same instance', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...dtos),
        fc.dictionary(keys, value, { maxKeys: 8 }),
        async (dto, body) => {
          let fast: object | null;
          try {
            fast = acceptedBody(dto, structuredClone(body));
          } catch {
            fast = null; // a constraint that throws: the full path meets it too
          }
          const full = await fullPath(dto, structuredClone(body)).catch(
            () => null,
          );
          if (fast === null) return;
          if (full === null) throw new Error('the full path threw');
          accepted++;
          expect(full.errors).toEqual([]);
          expect(Object.getPrototypeOf(fast)).toBe(dto.prototype);
          expect({ ...fast }).toEqual({ ...full.instance });
        },
      ),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(0);
  });

  it('accepts valid bodies of the sample entities', async () => {
    const [users, products] = definitions;
    const user = { name: 'A', email: 'a@x.io' };
    const product = {
      name: 'Cup',
      sku: 'CUP-1',
      price: 4.5,
      tags: ['a'],
      available: true,
      url: null,
    };
    for (const [dto, body] of [
      [users.createDto, user],
      [users.replaceDto, user],
      [users.patchDto, { email: 'b@x.io' }],
      [products.createDto, product],
      [products.patchDto, { stock: null }],
    ] as const) {
      expect((await fullPath(dto, body)).errors).toEqual([]);
      expect(acceptedBody(dto, body)).toEqual(body);
    }
  });

  it('leaves unknown keys, nested objects and invalid values to the full path', () => {
    const dto = definitions[0].createDto;
    expect(acceptedBody(dto, { name: 'A', email: 'a@x.io', x: 1 })).toBeNull();
    expect(acceptedBody(dto, { name: 'A', email: { a: 1 } })).toBeNull();
    expect(acceptedBody(dto, { name: 'A', email: 'nope' })).toBeNull();
    expect(acceptedBody(dto, { name: 'A' })).toBeNull();
    expect(
      acceptedBody(dto, JSON.parse('{"__proto__":{"name":"A"}}')),
    ).toBeNull();
    expect(acceptedBody(dto, [])).toBeNull();
  });
});
