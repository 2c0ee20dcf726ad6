import { useEmbeddedNode } from '../support/embedded-node.js';

const products = [
  {
    id: 'p1',
    name: 'Cup',
    sku: 'CUP',
    price: 4.5,
    stock: 10,
    tags: ['kitchen', 'ceramic'],
    available: true,
  },
  {
    id: 'p2',
    name: 'Mug',
    sku: 'MUG',
    price: 7,
    stock: null,
    tags: ['kitchen'],
    available: true,
  },
  {
    id: 'p3',
    name: 'Plate',
    sku: 'PLT',
    price: 12,
    stock: 3,
    tags: ['ceramic'],
    available: false,
  },
  {
    id: 'p4',
    name: 'Cutlery set',
    sku: 'CUT',
    price: 25,
    stock: null,
    tags: [],
    available: true,
  },
  {
    id: 'p5',
    name: 'Bowl',
    sku: 'BWL',
    price: 7,
    stock: 0,
    tags: ['kitchen'],
    available: false,
  },
];

describe('Listing: sort, filter, fields, pages', () => {
  const node = useEmbeddedNode();
  const ids = async (query: Record<string, string | string[]>) =>
    (await node.http.get('/products').query(query).expect(200)).body.map(
      (row: { id: string }) => row.id,
    );

  beforeAll(async () => {
    for (const { id, ...product } of products) {
      await node.http
        .put(`/products/${id}`)
        .set('Prefer', 'return=representation')
        .send(product)
        .expect(201);
    }
  });

  it('sorts by several fields, ties broken by id', async () => {
    expect(await ids({ sort: '-price,name' })).toEqual([
      'p4',
      'p3',
      'p5',
      'p2',
      'p1',
    ]);
    expect(await ids({ sort: 'available,-price' })).toEqual([
      'p3',
      'p5',
      'p4',
      'p2',
      'p1',
    ]);
  });

  it('filters with typed operators', async () => {
    expect(await ids({ price: 'gte.7' })).toEqual(['p2', 'p3', 'p4', 'p5']);
    expect(await ids({ price: ['gt.4', 'lt.12'] })).toEqual(['p1', 'p2', 'p5']);
    expect(await ids({ sku: 'in.(CUP,PLT,NOPE)' })).toEqual(['p1', 'p3']);
    expect(await ids({ name: 'prefix.Cu' })).toEqual(['p1', 'p4']);
    expect(await ids({ name: 'contains.ow' })).toEqual(['p5']);
    expect(await ids({ tags: 'contains.ceramic' })).toEqual(['p1', 'p3']);
    expect(await ids({ stock: 'is.null' })).toEqual(['p2', 'p4']);
    expect(await ids({ stock: 'is.notnull', available: 'eq.false' })).toEqual([
      'p3',
      'p5',
    ]);
    expect(await ids({ price: 'ne.7' })).toEqual(['p1', 'p3', 'p4']);
  });

  it('treats filter values as data, never as SQL', async () => {
    expect(await ids({ name: "eq.x' OR '1'='1" })).toEqual([]);
    expect(await ids({ name: 'prefix.%' })).toEqual([]);
  });

  it('returns only the fields asked for', async () => {
    const response = await node.http
      .get('/products')
      .query({ fields: 'id,price', sort: 'price', limit: '2' })
      .expect(200);
    expect(response.body).toEqual([
      { id: 'p1', price: 4.5 },
      { id: 'p2', price: 7 },
    ]);
  });

  it('counts the matching rows in a header when asked', async () => {
    const response = await node.http
      .get('/products')
      .query({ available: 'eq.true', limit: '1', count: 'true' })
      .expect(200);
    expect(response.headers['x-total-count']).toBe('3');
    expect(response.body).toHaveLength(1);
  });

  it('walks every page of a sorted, filtered list through the Link header, nulls included', async () => {
    const seen: string[] = [];
    let url: string | undefined =
      '/products?sort=-stock,name&limit=2&price=lt.100';
    while (url) {
      const response: {
        body: { id: string }[];
        headers: Record<string, string>;
      } = await node.http.get(url).expect(200);
      seen.push(...response.body.map((row) => row.id));
      url = /<([^>]+)>; rel="next"/.exec(response.headers.link ?? '')?.[1];
      expect(seen.length).toBeLessThanOrEqual(products.length);
    }
    expect(seen).toEqual(['p1', 'p3', 'p5', 'p4', 'p2']);
  });

  it.each([
    [{ sort: 'colour' }, 'sort'],
    [{ colour: 'eq.red' }, 'colour'],
    [{ price: 'near.5' }, 'price'],
    [{ price: 'gt.cheap' }, 'price'],
    [{ available: 'gt.true' }, 'available'],
    [{ fields: 'id,secret' }, 'fields'],
    [{ limit: '0' }, 'limit'],
    [{ cursor: 'garbage' }, 'cursor'],
    [{ sort: 'tags' }, 'sort'],
  ])('answers 400 naming the parameter for %j', async (query, field) => {
    const response = await node.http.get('/products').query(query).expect(400);
    expect(response.headers['content-type']).toMatch(
      /^application\/problem\+json/,
    );
    expect(
      response.body.errors.map((error: { field: string }) => error.field),
    ).toEqual([field]);
  });

  it('describes sort, fields and each filter in the OpenAPI document', async () => {
    const document = (await node.http.get('/docs-json').expect(200)).body;
    const parameters = document.paths['/products'].get.parameters.map(
      (parameter: { name: string }) => parameter.name,
    );
    expect(parameters).toEqual(
      expect.arrayContaining([
        'limit',
        'sort',
        'fields',
        'cursor',
        'count',
        'price',
        'tags',
        'available',
        'id',
      ]),
    );
  });
});
