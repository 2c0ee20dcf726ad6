import { EntityRegistry, Field, ReplicatedEntity } from '@clusterlite/registry';
import { plainToInstance } from 'class-transformer';
import {
  ArrayMaxSize,
  IsEmail,
  IsUrl,
  Length,
  Min,
  validate,
} from 'class-validator';
import { quickValidity } from './valid-body-check.js';

@ReplicatedEntity('quick_items')
class QuickItem {
  @Field({ maxLength: 20 })
  @Length(1, 20)
  name: string;

  @Field()
  @IsEmail()
  email: string;

  @Field()
  @Min(0)
  price: number;

  @Field({ type: 'integer', optional: true })
  @Min(0)
  stock?: number;

  @Field({ type: 'string[]', maxLength: 5 })
  @ArrayMaxSize(3)
  tags: string[];

  @Field()
  available: boolean;

  @Field({ optional: true })
  @IsUrl({ require_protocol: true })
  url?: string;

  @Field({ default: 'x' })
  note: string;
}

const dto = new EntityRegistry([QuickItem]).all()[0]
  .createDto as new () => object;

const VALUES: Record<string, unknown[]> = {
  name: ['ok', '', 'a'.repeat(21), 3, null, undefined, '\uD800'],
  email: ['a@example.com', 'nope', '', 1, null, undefined],
  price: [0, 4.5, -1, Number.NaN, '4', null, undefined],
  stock: [1, 0, -2, 1.5, null, undefined, '3'],
  tags: [
    [],
    ['a'],
    ['a', 'b', 'c', 'd'],
    ['toolong'],
    [1],
    'a',
    null,
    undefined,
  ],
  available: [true, false, 'true', 0, null, undefined],
  url: ['https://example.com', 'example.com', 5, null, undefined],
  note: ['n', 7, null, undefined],
};

describe(quickValidity.name, () => {
  it('says valid only for bodies class-validator accepts, and for the plainly valid ones', async () => {
    let seed = 11;
    const pick = <T>(values: T[]) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return values[seed % values.length];
    };
    let quick = 0;
    for (let round = 0; round < 600; round++) {
      const body: Record<string, unknown> = {};
      for (const [key, values] of Object.entries(VALUES)) {
        // Mostly the first (valid) value, so that valid bodies are frequent.
        const value = round % 3 === 0 ? values[0] : pick(values);
        if (value !== undefined) body[key] = value;
      }
      if (round % 50 === 7 && round % 3 !== 0) body.extra = 1;
      const instance = plainToInstance(dto, body);
      const errors = await validate(instance, {
        whitelist: true,
        forbidNonWhitelisted: true,
      });
      const verdict = quickValidity(dto, instance);
      if (verdict === 'valid') {
        quick++;
        expect(errors).toEqual([]);
      }
      if (round % 3 === 0) {
        expect(errors).toEqual([]);
        expect(verdict).toBe('valid');
      }
    }
    expect(quick).toBeGreaterThanOrEqual(200);
  });
});
