import type { Type } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { IsEmail } from 'class-validator';
import { validate } from 'class-validator';
import { Field } from './field.decorator.js';
import { EntityDefinition } from './entity-definition.js';
import { ReplicatedEntity } from './replicated-entity.decorator.js';

@ReplicatedEntity('gadgets', { description: 'Test gadgets' })
class Gadget {
  @Field({ example: 'Widget' })
  name: string;

  @Field({ format: 'email', unique: true })
  @IsEmail()
  owner: string;

  @Field()
  price: number;

  @Field({ type: 'integer', optional: true })
  stock?: number;

  @Field({ type: 'string[]' })
  tags: string[];

  @Field()
  active: boolean;
}

const valid = {
  name: 'Widget',
  owner: 'a@b.co',
  price: 2.5,
  tags: ['x'],
  active: true,
};

async function errorsOf(dto: Type<unknown>, body: object, options = {}) {
  const errors = await validate(plainToInstance(dto as Type<object>, body), {
    whitelist: true,
    forbidNonWhitelisted: true,
    ...options,
  });
  return errors.map((error) => error.property).sort();
}

describe(EntityDefinition.name, () => {
  const definition = new EntityDefinition(Gadget);

  it('reads the table name and the declared fields in order', () => {
    expect(definition.table).toBe('gadgets');
    expect(
      definition.fields.map((field) => [
        field.name,
        field.type,
        field.optional,
      ]),
    ).toEqual([
      ['name', 'string', false],
      ['owner', 'string', false],
      ['price', 'number', false],
      ['stock', 'integer', true],
      ['tags', 'string[]', false],
      ['active', 'boolean', false],
    ]);
  });

  it('derives a create DTO that requires every non-optional field', async () => {
    expect(await errorsOf(definition.createDto, valid)).toEqual([]);
    expect(await errorsOf(definition.createDto, { name: 'Widget' })).toEqual([
      'active',
      'owner',
      'price',
      'tags',
    ]);
  });

  it('keeps the class-validator rules written on the entity', async () => {
    expect(
      await errorsOf(definition.createDto, { ...valid, owner: 'not-an-email' }),
    ).toEqual(['owner']);
  });

  it('checks types strictly, without coercion', async () => {
    expect(
      await errorsOf(definition.createDto, {
        ...valid,
        price: '2.5',
        stock: 1.5,
        tags: [1],
        active: 'yes',
      }),
    ).toEqual(['active', 'price', 'stock', 'tags']);
  });

  it('rejects fields the entity does not declare', async () => {
    expect(
      await errorsOf(definition.createDto, { ...valid, id: 'x', version: 3 }),
    ).toEqual(['id', 'version']);
  });

  it('derives a patch DTO where every field is optional but none may be null unless declared optional', async () => {
    expect(await errorsOf(definition.patchDto, { price: 3 })).toEqual([]);
    expect(await errorsOf(definition.patchDto, { name: null })).toEqual([
      'name',
    ]);
    expect(await errorsOf(definition.patchDto, { stock: null })).toEqual([]);
  });

  it('names the DTOs after the entity for the OpenAPI document', () => {
    expect([
      definition.createDto.name,
      definition.replaceDto.name,
      definition.patchDto.name,
      definition.rowDto.name,
    ]).toEqual([
      'CreateGadgetDto',
      'ReplaceGadgetDto',
      'PatchGadgetDto',
      'Gadget',
    ]);
  });

  it('derives a TypeORM schema with system columns, column types and the unique index', () => {
    const options = definition.schema.options;
    expect(options.tableName).toBe('gadgets');
    expect(Object.keys(options.columns)).toEqual([
      'id',
      'name',
      'owner',
      'price',
      'stock',
      'tags',
      'active',
      'version',
      'createdAt',
      'updatedAt',
    ]);
    expect(options.columns.price?.type).toBe('real');
    expect(options.columns.stock).toMatchObject({
      type: 'integer',
      nullable: true,
    });
    expect(options.columns.tags?.type).toBe('simple-json');
    expect(options.indices).toEqual([
      { name: 'IDX_gadgets_owner', columns: ['owner'], unique: true },
    ]);
  });

  it('checks event data structurally: unknown, missing, null and mistyped fields', () => {
    expect(definition.problemWithData('created', valid)).toBeNull();
    expect(definition.problemWithData('created', { ...valid, rogue: 1 })).toBe(
      'unknown field "rogue"',
    );
    expect(definition.problemWithData('created', { name: 'x' })).toBe(
      'missing field "owner"',
    );
    expect(definition.problemWithData('patched', { name: 'x' })).toBeNull();
    expect(definition.problemWithData('patched', { name: null })).toBe(
      '"name" may not be null',
    );
    expect(
      definition.problemWithData('replaced', { ...valid, price: 'cheap' }),
    ).toBe('"price" must be a number');
    expect(definition.problemWithData('deleted', null)).toBeNull();
  });

  it('stores booleans and lists the way TypeORM does, and reads them back', () => {
    const active = definition.field('active')!;
    const tags = definition.field('tags')!;
    expect(active.toColumn(true)).toBe(1);
    expect(active.fromColumn(0)).toBe(false);
    expect(tags.toColumn(['a', 'b'])).toBe('["a","b"]');
    expect(tags.fromColumn('["a","b"]')).toEqual(['a', 'b']);
  });

  it('refuses table names that are not plain identifiers', () => {
    expect(() => ReplicatedEntity('Users; DROP TABLE x')).toThrow(/table name/);
    expect(() => ReplicatedEntity('_internal')).toThrow(/table name/);
  });

  it('refuses an entity that declares a system column', () => {
    @ReplicatedEntity('clashes')
    class Clash {
      @Field()
      version: number;
    }
    expect(() => new EntityDefinition(Clash)).toThrow(/system column/);
  });

  it('lets a field with a default be omitted but not null, and stores the default for it', async () => {
    @ReplicatedEntity('shaded', { schemaVersion: 2 })
    class Shaded {
      @Field() name: string;
      @Field({ default: 'grey' }) shade: string;
    }
    const shaded = new EntityDefinition(Shaded);
    expect(shaded.schemaVersion).toBe(2);
    expect(await errorsOf(shaded.createDto, { name: 'a' })).toEqual([]);
    expect(
      await errorsOf(shaded.createDto, { name: 'a', shade: null }),
    ).toEqual(['shade']);
    expect(shaded.problemWithData('created', { name: 'a' })).toBeNull();
    expect(shaded.field('shade')!.toColumn(undefined)).toBe('grey');
    expect(shaded.schema.options.columns.shade).toMatchObject({
      nullable: false,
      default: 'grey',
    });
  });
});
