import { useEmbeddedNode } from '../support/embedded-node.js';
import { followPages } from '../support/pages.js';

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

describe('List pages serialized in the SQLite worker thread, bounded by MAX_PAGE_CHARS', () => {
  const node = useEmbeddedNode({ MAX_PAGE_CHARS: '1024' });
  const longName = (i: number) => `${'n'.repeat(150)}-${i}`;
  /** What MAX_PAGE_CHARS counts of rows: names, and values as stored (8 for a number). */
  const stored = (rows: Record<string, unknown>[]) =>
    rows
      .flatMap((row) => Object.entries(row))
      .reduce(
        (sum, [name, value]) =>
          sum +
          name.length +
          (typeof value === 'string'
            ? value.length
            : Array.isArray(value)
              ? JSON.stringify(value).length
              : 8),
        0,
      );

  beforeAll(async () => {
    for (const { id, ...product } of products) {
      await node.http.put(`/products/${id}`).send(product).expect(202);
    }
    for (let i = 0; i < 20; i++) {
      await node.http
        .put(`/products/q${String(i).padStart(2, '0')}`)
        .send({
          name: longName(i),
          sku: `Q${i}`,
          price: i + 0.1,
          tags: ['a "quoted" tag', 'é😀\\'],
          available: i % 2 === 0,
        })
        .expect(202);
    }
  });

  it('answers each row of a page exactly as GET by id answers it', async () => {
    const page = await node.http.get('/products?limit=5').expect(200);
    expect(page.headers['content-type']).toBe(
      'application/json; charset=utf-8',
    );
    const rows: string[] = JSON.parse(page.text).map((row: object) =>
      JSON.stringify(row),
    );
    expect(rows).toHaveLength(5);
    for (const row of rows) {
      const { id } = JSON.parse(row) as { id: string };
      const one = await node.http.get(`/products/${id}`).expect(200);
      expect(row).toBe(one.text);
    }
  });

  it('ends a page after the row that passes MAX_PAGE_CHARS, and the Link leads through every row once', async () => {
    const pages = await followPages<{ id: string }>(
      node.http,
      '/products?limit=1000&name=prefix.nnn',
    );
    for (const [index, { body }] of pages.entries()) {
      // Less its last row, a page stays within the 1,024 characters; with it, it passes them.
      expect(body.length).toBeGreaterThan(0);
      expect(stored(body) - stored(body.slice(-1))).toBeLessThan(1024);
      if (index < pages.length - 1)
        expect(stored(body)).toBeGreaterThanOrEqual(1024);
    }
    expect(pages.flatMap(({ body }) => body.map((row) => row.id))).toEqual(
      Array.from({ length: 20 }, (_, i) => `q${String(i).padStart(2, '0')}`),
    );
    expect(pages.length).toBeGreaterThan(3);
  });

  it('ends a history page at MAX_PAGE_CHARS too, its Link leading through every event once', async () => {
    for (let i = 0; i < 8; i++) {
      await node.http
        .patch('/products/q05')
        .set('Prefer', 'return=representation')
        .send({ name: longName(100 + i) })
        .expect(200);
    }
    const pages = await followPages<{ position: string }>(
      node.http,
      '/products/q05/history?limit=1000',
    );
    const offsets = pages.flatMap(({ body }) =>
      body.map((entry) => Number(entry.position.split(':')[2])),
    );
    expect(offsets).toHaveLength(9);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(new Set(offsets).size).toBe(9);
    expect(pages.length).toBeGreaterThan(1);
  });

  it('keeps only the fields asked for, in the order asked', async () => {
    const response = await node.http
      .get('/products')
      .query({ fields: 'available,id', sort: '-price', limit: '3' })
      .expect(200);
    expect(response.text).toBe(
      '[{"available":true,"id":"p4"},{"available":false,"id":"q19"},{"available":true,"id":"q18"}]',
    );
    expect(response.headers.link).toMatch(/rel="next"/);
  });
});
