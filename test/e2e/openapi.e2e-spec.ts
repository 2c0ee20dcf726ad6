import { useEmbeddedNode } from '../support/embedded-node.js';

describe('OpenAPI document and Swagger UI', () => {
  const node = useEmbeddedNode();
  let document: any;

  beforeAll(async () => {
    document = (await node.http.get('/docs-json').expect(200)).body;
  });

  it('serves Swagger UI at /docs', async () => {
    const response = await node.http.get('/docs').redirects(1).expect(200);
    expect(response.text).toMatch(/swagger-ui/i);
  });

  it('is an OpenAPI 3 document with every route of every entity', () => {
    expect(document.openapi).toMatch(/^3\./);
    for (const table of ['users', 'products']) {
      expect(Object.keys(document.paths[`/${table}`]).sort()).toEqual([
        'get',
        'post',
      ]);
      expect(Object.keys(document.paths[`/${table}/{id}`]).sort()).toEqual([
        'delete',
        'get',
        'patch',
        'put',
      ]);
    }
  });

  it('describes request bodies with required fields and formats', () => {
    const post = document.paths['/users'].post;
    expect(post.requestBody.content['application/json'].schema.oneOf).toEqual([
      { $ref: '#/components/schemas/CreateUserDto' },
      expect.objectContaining({
        type: 'array',
        items: { $ref: '#/components/schemas/CreateUserDto' },
      }),
    ]);
    expect(
      document.paths['/users/{id}'].put.requestBody.content['application/json']
        .schema.$ref,
    ).toBe('#/components/schemas/ReplaceUserDto');
    const create = document.components.schemas.CreateUserDto;
    expect(create.required.sort()).toEqual(['email', 'name']);
    expect(create.properties.email).toMatchObject({
      type: 'string',
      format: 'email',
    });
    expect(document.components.schemas.PatchUserDto.required ?? []).toEqual([]);
  });

  it('describes the column types of the second sample entity', () => {
    const product = document.components.schemas.CreateProductDto;
    expect(product.properties.price.type).toBe('number');
    expect(product.properties.stock.type).toBe('integer');
    expect(product.properties.tags).toMatchObject({
      type: 'array',
      items: { type: 'string' },
    });
    expect(product.properties.available.type).toBe('boolean');
    expect(product.required.sort()).toEqual([
      'available',
      'name',
      'price',
      'sku',
      'tags',
    ]);
  });

  it('describes responses, including errors as problem+json', () => {
    const post = document.paths['/users'].post.responses;
    // One receipt, or an array of them for a bulk create.
    expect(post['202'].content['application/json'].schema.oneOf).toEqual([
      { $ref: '#/components/schemas/WriteAcceptedDto' },
      {
        type: 'array',
        items: { $ref: '#/components/schemas/WriteAcceptedDto' },
      },
    ]);
    for (const status of ['400', '503']) {
      expect(post[status].content['application/problem+json'].schema.$ref).toBe(
        '#/components/schemas/ProblemDetailsDto',
      );
    }
    const get = document.paths['/users/{id}'].get;
    expect(get.responses['200'].content['application/json'].schema.$ref).toBe(
      '#/components/schemas/User',
    );
    expect(
      get.responses['404'].content['application/problem+json'],
    ).toBeDefined();
    expect(
      document.paths['/users'].get.responses['200'].content['application/json']
        .schema,
    ).toMatchObject({ type: 'array' });
  });

  it('documents the path id and the read-your-writes position as header and query parameter', () => {
    const parameters = document.paths['/users/{id}'].get.parameters;
    expect(parameters).toContainEqual(
      expect.objectContaining({ name: 'id', in: 'path', required: true }),
    );
    expect(parameters).toContainEqual(
      expect.objectContaining({ name: 'position', in: 'query' }),
    );
    expect(parameters).toContainEqual(
      expect.objectContaining({ name: 'ClusterLite-Position', in: 'header' }),
    );
  });

  it('declares the bearer scheme and, on every operation, its role and security requirement', () => {
    expect(document.components.securitySchemes.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    const roleOf = (path: string, method: string) => {
      const operation = document.paths[path][method];
      return [operation['x-required-role'], operation.security];
    };
    const bearer = [{ bearer: [] }];
    expect(roleOf('/users', 'get')).toEqual(['read', bearer]);
    expect(roleOf('/users/{id}/history', 'get')).toEqual(['read', bearer]);
    expect(roleOf('/users/_changes', 'get')).toEqual(['read', bearer]);
    expect(roleOf('/users', 'post')).toEqual(['write', bearer]);
    expect(roleOf('/users/{id}', 'delete')).toEqual(['write', bearer]);
    expect(roleOf('/_cluster/status', 'get')).toEqual(['admin', bearer]);
    expect(roleOf('/_cluster/health/live', 'get')).toEqual(['none', []]);
    expect(roleOf('/_cluster/health/ready', 'get')).toEqual(['none', []]);
    expect(document.paths['/users'].post.description).toMatch(
      /Requires the `write` role/,
    );
    expect(document.paths['/users'].post.responses).toHaveProperty('401');
    expect(document.paths['/users'].post.responses).toHaveProperty('403');
    for (const [path, item] of Object.entries<any>(document.paths))
      for (const [method, operation] of Object.entries<any>(item))
        expect([path, method, operation['x-required-role']]).toEqual([
          path,
          method,
          expect.stringMatching(/^(none|read|write|admin)$/),
        ]);
  });

  it("keeps the token typed into Swagger UI's Authorize across reloads", async () => {
    const init = await node.http.get('/docs/swagger-ui-init.js').expect(200);
    expect(init.text).toMatch(/"persistAuthorization":\s*true/);
  });
});
