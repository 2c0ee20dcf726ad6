import { EntityRegistry } from '@clusterlite/registry';
import { Product } from '../entities/product.entity.js';
import { User } from '../entities/user.entity.js';
import { EntityCatalogController } from './entity-catalog.controller.js';

describe(EntityCatalogController.name, () => {
  const catalog = new EntityCatalogController(
    new EntityRegistry([User, Product]),
  ).list();

  it('lists every registered table with its routes', () => {
    expect(
      catalog.map(({ table, name, path, changes }) => ({
        table,
        name,
        path,
        changes,
      })),
    ).toEqual([
      {
        table: 'users',
        name: 'User',
        path: '/users',
        changes: '/users/_changes',
      },
      {
        table: 'products',
        name: 'Product',
        path: '/products',
        changes: '/products/_changes',
      },
    ]);
    expect(catalog[0].description).toBe(
      'People, as in the original ClusterLite',
    );
  });

  it('describes each field as a form needs it: type, required, unique, limits, format, description, example', () => {
    const products = catalog.find((entity) => entity.table === 'products')!;
    const field = (name: string) =>
      products.fields.find((candidate) => candidate.name === name);
    expect(products.fields.map((candidate) => candidate.name)).toEqual([
      'name',
      'sku',
      'price',
      'stock',
      'tags',
      'available',
      'url',
    ]);
    expect(field('sku')).toEqual({
      name: 'sku',
      type: 'string',
      required: true,
      unique: true,
      maxLength: 64,
      format: null,
      description: 'Unique stock-keeping unit',
      example: 'CUP-001',
    });
    expect(field('stock')).toMatchObject({
      type: 'integer',
      required: false,
      maxLength: null,
    });
    expect(field('tags')).toMatchObject({
      type: 'string[]',
      required: true,
      maxLength: 50,
    });
    expect(field('available')).toMatchObject({
      type: 'boolean',
      required: true,
    });
    expect(field('url')).toMatchObject({
      type: 'string',
      required: false,
      format: 'uri',
    });
  });
});
