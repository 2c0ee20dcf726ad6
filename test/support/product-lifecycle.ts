import fc from 'fast-check';
import type { EmbeddedNode } from './embedded-node.js';
import type {
  HttpMethod,
  ObservedResponse,
  OpenApiContract,
} from './openapi-contract.js';
import { arbitraryOf, type Schema } from './schema-arbitrary.js';

type Row = Record<string, unknown> & { id: string; version: number };

/** What the table holds, as the test believes: the rows of this run, by id. */
interface Model {
  rows: Map<string, Row>;
  deleted: string[];
}

interface Real {
  node: EmbeddedNode;
  contract: OpenApiContract;
  /** Tag of this run's products, so a list shows only them. */
  tag: string;
}

const PREFER = { Prefer: 'return=representation' };
const FIELDS = ['name', 'sku', 'price', 'stock', 'tags', 'available', 'url'];
const OPTIONAL_NULLS = { stock: null, url: null };

let answersChecked = 0;

function fits(
  real: Real,
  method: HttpMethod,
  path: string,
  response: ObservedResponse,
  status: number,
): void {
  expect(response.status, `${method} ${path}: ${response.text}`).toBe(status);
  expect(real.contract.problemsWith(method, path, response)).toEqual([]);
  answersChecked++;
}

const fieldsOf = (row: Record<string, unknown>) =>
  Object.fromEntries(FIELDS.map((field) => [field, row[field]]));

const idAt = (model: Model, pick: number) =>
  [...model.rows.keys()][pick % model.rows.size];

let uniqueSkus = 0;
/** A product body of this run: its sku made unique (409 is not what this test is about), its tags this run's. */
const ofRun = (body: Record<string, unknown>, tag: string) => ({
  ...body,
  ...(body.sku !== undefined
    ? { sku: `${(body.sku as string).slice(0, 50)}-${++uniqueSkus}` }
    : {}),
  ...(body.tags !== undefined ? { tags: [tag] } : {}),
});

class Create implements fc.AsyncCommand<Model, Real> {
  constructor(readonly body: Record<string, unknown>) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const body = ofRun(this.body, real.tag);
    const response = await real.node.http
      .post('/products')
      .set(PREFER)
      .send(body);
    fits(real, 'post', '/products', response, 201);
    expect(fieldsOf(response.body)).toEqual(
      fieldsOf({ ...OPTIONAL_NULLS, ...body }),
    );
    expect(response.headers.etag).toBe(`"${response.body.version}"`);
    model.rows.set(response.body.id, response.body);
  }
  toString = () => `create ${JSON.stringify(this.body)}`;
}

class Read implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (model: Readonly<Model>) => model.rows.size > 0;
  async run(model: Model, real: Real) {
    const id = idAt(model, this.pick);
    const response = await real.node.http.get(`/products/${id}`);
    fits(real, 'get', '/products/{id}', response, 200);
    expect(response.body).toEqual(model.rows.get(id));
    const unchanged = await real.node.http
      .get(`/products/${id}`)
      .set('If-None-Match', `W/${response.headers.etag}`);
    fits(real, 'get', '/products/{id}', unchanged, 304);
  }
  toString = () => `read #${this.pick}`;
}

class Replace implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly pick: number,
    readonly body: Record<string, unknown>,
    readonly stale: boolean,
  ) {}
  check = (model: Readonly<Model>) => model.rows.size > 0;
  async run(model: Model, real: Real) {
    const id = idAt(model, this.pick);
    const before = model.rows.get(id)!;
    const body = ofRun(this.body, real.tag);
    const version = this.stale ? before.version + 1 : before.version;
    const response = await real.node.http
      .put(`/products/${id}`)
      .set(PREFER)
      .set('If-Match', `"${version}"`)
      .send(body);
    if (this.stale) return fits(real, 'put', '/products/{id}', response, 412);
    fits(real, 'put', '/products/{id}', response, 200);
    expect(fieldsOf(response.body)).toEqual(
      fieldsOf({ ...OPTIONAL_NULLS, ...body }),
    );
    expect(response.body.version).toBe(before.version + 1);
    model.rows.set(id, response.body);
  }
  toString = () =>
    `replace #${this.pick}${this.stale ? ' (stale If-Match)' : ''} ${JSON.stringify(this.body)}`;
}

class Patch implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly pick: number,
    readonly body: Record<string, unknown>,
  ) {}
  check = (model: Readonly<Model>) => model.rows.size > 0;
  async run(model: Model, real: Real) {
    const id = idAt(model, this.pick);
    const before = model.rows.get(id)!;
    const body = ofRun(this.body, real.tag);
    const response = await real.node.http
      .patch(`/products/${id}`)
      .set(PREFER)
      .send(body);
    fits(real, 'patch', '/products/{id}', response, 200);
    expect(fieldsOf(response.body)).toEqual(fieldsOf({ ...before, ...body }));
    expect(response.body.version).toBe(before.version + 1);
    model.rows.set(id, response.body);
  }
  toString = () => `patch #${this.pick} ${JSON.stringify(this.body)}`;
}

class Delete implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (model: Readonly<Model>) => model.rows.size > 0;
  async run(model: Model, real: Real) {
    const id = idAt(model, this.pick);
    const response = await real.node.http.delete(`/products/${id}`).set(PREFER);
    fits(real, 'delete', '/products/{id}', response, 204);
    model.rows.delete(id);
    model.deleted.push(id);
    const gone = await real.node.http.get(`/products/${id}`);
    fits(real, 'get', '/products/{id}', gone, 404);
  }
  toString = () => `delete #${this.pick}`;
}

/** Lists this run's products a page at a time, following each `Link: rel="next"`. */
class ListAll implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly limit: number,
    readonly sort: string,
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    let url: string | undefined =
      `/products?tags=contains.${real.tag}&limit=${this.limit}&sort=${this.sort}`;
    const seen: string[] = [];
    for (let page = 0; url && page < 50; page++) {
      const response = await real.node.http.get(url);
      fits(real, 'get', '/products', response, 200);
      seen.push(...(response.body as Row[]).map((row) => row.id));
      url = /^<([^>]+)>; rel="next"$/.exec(response.headers.link ?? '')?.[1];
    }
    expect(seen.toSorted()).toEqual([...model.rows.keys()].toSorted());
  }
  toString = () => `list by ${this.limit}, sort=${this.sort}`;
}

/**
 * A stateful property: random sequences of create, read, replace (with a
 * current or a stale If-Match), patch, delete and paged lists of products,
 * each answer checked against the document and against the model.
 * Resolves to the number of answers checked.
 */
export async function productLifecycle(
  started: () => {
    node: EmbeddedNode;
    contract: OpenApiContract;
    components: Record<string, Schema>;
  },
  seed: number,
): Promise<number> {
  const { node, contract, components } = started();
  const bodySchema = (method: 'put' | 'patch') =>
    (contract.operation(method, '/products/{id}').requestBody?.content[
      'application/json'
    ].schema ?? {}) as Schema;
  const full = arbitraryOf(bodySchema('put'), components) as fc.Arbitrary<
    Record<string, unknown>
  >;
  const partial = arbitraryOf(bodySchema('patch'), components) as fc.Arbitrary<
    Record<string, unknown>
  >;
  const commands = fc.commands(
    [
      // Twice: a sequence needs rows before the other commands apply.
      full.map((body) => new Create(body)),
      full.map((body) => new Create(body)),
      fc.nat().map((pick) => new Read(pick)),
      fc
        .tuple(fc.nat(), full, fc.boolean())
        .map(([pick, body, stale]) => new Replace(pick, body, stale)),
      fc.tuple(fc.nat(), partial).map(([pick, body]) => new Patch(pick, body)),
      fc.nat().map((pick) => new Delete(pick)),
      fc
        .tuple(
          fc.integer({ min: 1, max: 3 }),
          fc.constantFrom('id', '-price', 'name,-id', 'available,stock'),
        )
        .map(([limit, sort]) => new ListAll(limit, sort)),
    ],
    { maxCommands: 15, size: 'max' },
  );
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(commands, async (sequence) => {
      const run = ++runs;
      await fc.asyncModelRun(
        () => ({
          model: { rows: new Map(), deleted: [] },
          real: { node, contract, tag: `lifecycle-${seed}-${run}` },
        }),
        sequence,
      );
    }),
    { seed, numRuns: 20 },
  );
  return answersChecked;
}
