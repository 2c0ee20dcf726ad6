import fc from 'fast-check';
import type { Test } from 'supertest';
import {
  startEmbeddedNode,
  type EmbeddedNode,
} from '../support/embedded-node.js';
import {
  invalidValues,
  operationsOf,
  urlOf,
  validRequests,
  type GeneratedOperation,
  type GeneratedRequest,
} from '../support/generated-requests.js';
import {
  HTTP_METHODS,
  OpenApiContract,
  label,
  type ObservedResponse,
  type OpenApiDocument,
} from '../support/openapi-contract.js';
import { arbitraryOf, type Schema } from '../support/schema-arbitrary.js';
import { productLifecycle } from '../support/product-lifecycle.js';

/**
 * Property-based contract test: requests generated from /docs-json (fast-check,
 * fixed seed), valid and invalid, against an embedded node; every answer must
 * be one the document gives for that operation (status, content type, headers
 * and their values, body schema). What the document calls valid is accepted (no
 * 400 or 422), what it calls invalid is a 400 problem, a method a path does not
 * have is a 405 with `Allow`, the document's links lead from a create to the
 * row's other operations, and random create → read → update → delete sequences
 * of products keep to the document and to a model of the table.
 */

const SEED = 20_261_130;
const VALID_RUNS = 12;
const INVALID_RUNS = 6;
const PROBLEM = 'application/problem+json';
const PREFER = { Prefer: 'return=representation' };

let node: EmbeddedNode;
/** The lifecycle's node: its Prefer writes wait as long as a real client's (READ_WAIT_TIMEOUT_MS default). */
let patient: EmbeddedNode;
let baseUrl: string;
let contract: OpenApiContract;
let components: Record<string, Schema>;
let operations: GeneratedOperation[];

beforeAll(async () => {
  // Generated position tokens name offsets never reached: a short wait keeps their 504s quick.
  node = await startEmbeddedNode({ READ_WAIT_TIMEOUT_MS: '100' });
  patient = await startEmbeddedNode();
  await node.app.listen(0, '127.0.0.1');
  baseUrl = await node.app.getUrl();
  const document = (await node.http.get('/docs-json').expect(200))
    .body as OpenApiDocument;
  contract = new OpenApiContract(document);
  components = document.components.schemas as Record<string, Schema>;
  operations = operationsOf(document as never);
});

afterAll(async () => {
  await node?.close();
  await patient?.close();
});

/** A change feed never ends: its status and headers are read, then the client hangs up. */
const isFeed = (path: string) => path.endsWith('/_changes');

async function send(request: GeneratedRequest): Promise<ObservedResponse> {
  const url = urlOf(request);
  if (isFeed(request.path)) {
    const controller = new AbortController();
    const response = await fetch(baseUrl + url, {
      headers: { Accept: 'text/event-stream', ...request.headers },
      signal: controller.signal,
    });
    const observed: ObservedResponse = {
      status: response.status,
      headers: Object.fromEntries(response.headers),
    };
    if (response.status === 200) controller.abort();
    else observed.text = await response.text();
    return observed;
  }
  let test: Test = node.http[request.method](url);
  for (const [name, value] of Object.entries(request.headers))
    test = test.set(name, value);
  // As JSON text, so that a string or null body is sent as JSON too.
  if (request.body !== undefined)
    test = test
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(request.body));
  return test;
}

const describeRequest = (
  request: GeneratedRequest,
  response: ObservedResponse,
) =>
  `${request.method.toUpperCase()} ${urlOf(request)} ${JSON.stringify(request.headers)} ${JSON.stringify(request.body) ?? ''} → ${response.status} ${response.text?.slice(0, 300) ?? ''}`;

const problemsOf = (request: GeneratedRequest, response: ObservedResponse) =>
  contract.problemsWith(request.method, request.path, response, {
    bodyless: isFeed(request.path) && response.status === 200,
  });

/**
 * Checks `numRuns` generated cases (fixed seed); returns the failure of the
 * first failing case, unshrunk so the message names the request as sent.
 */
async function counterexamples<T>(
  cases: fc.Arbitrary<T>,
  numRuns: number,
  check: (value: T) => Promise<string | null>,
): Promise<string[]> {
  const found: string[] = [];
  try {
    await fc.assert(
      fc.asyncProperty(cases, async (value) => {
        const failure = await check(value);
        if (failure) found.push(failure);
        return failure === null;
      }),
      { seed: SEED, numRuns, endOnFailure: true },
    );
  } catch (error) {
    // A failing case is reported by its message; anything else (a request that could not be sent) is the test's failure.
    if (found.length === 0) throw error;
  }
  return found;
}

/** Sends `request`; null when the answer fits the document and `expected`, else why not. */
async function verdict(
  request: GeneratedRequest,
  expected: (status: number) => string | null,
): Promise<string | null> {
  const response = await send(request);
  const problems = problemsOf(request, response);
  const unexpected = expected(response.status);
  if (unexpected) problems.push(unexpected);
  return problems.length === 0
    ? null
    : `${describeRequest(request, response)}\n  ${problems.join('\n  ')}`;
}

const badRequest = (status: number) =>
  status === 400 ? null : 'expected a 400 problem';

describe('requests generated from /docs-json', () => {
  it('cover every operation of the document', () => {
    const documented = Object.values(contract.document.paths).flatMap((item) =>
      Object.keys(item),
    );
    expect(operations).toHaveLength(documented.length);
    expect(operations.length).toBeGreaterThanOrEqual(20);
  });

  it('what the document calls valid is accepted, and every answer fits the document', async () => {
    const failures: string[] = [];
    // Not refused: 404, 409, 412 and 504 are answers to a valid request (no such row, a unique value taken, a stale If-Match, a position not reached).
    const accepted = (status: number) =>
      [400, 422].includes(status) || (status >= 500 && status !== 504)
        ? 'refused a request the document calls valid'
        : null;
    for (const operation of operations) {
      failures.push(
        ...(await counterexamples(
          validRequests(operation, components),
          VALID_RUNS,
          (request) => verdict(request, accepted),
        )),
      );
    }
    expect(failures).toEqual([]);
  });

  it('a value the document calls invalid, in any parameter, is a 400 problem that fits the document', async () => {
    const failures: string[] = [];
    for (const operation of operations) {
      const constrained = operation.parameters.filter(
        (parameter) =>
          parameter.schema.pattern ||
          parameter.schema.type !== 'string' ||
          parameter.schema.minLength,
      );
      for (const parameter of constrained) {
        // Only the parameter under test is off: the body stays valid, and no position makes the node wait.
        const requests = fc
          .tuple(validRequests(operation, components), invalidValues(parameter))
          .map(([request, value]): GeneratedRequest => {
            const only = (values: Record<string, unknown>, keep: string) =>
              Object.fromEntries(
                Object.entries(values).filter(([name]) => name === keep),
              );
            const off = <T extends Record<string, unknown>>(
              values: T,
              where: string,
            ): T =>
              where === parameter.in
                ? { ...values, [parameter.name]: value }
                : values;
            return {
              ...request,
              pathParameters: off(request.pathParameters, 'path'),
              query: off(only(request.query, 'limit'), 'query'),
              headers: off(
                only(request.headers, 'Idempotency-Key') as Record<
                  string,
                  string
                >,
                'header',
              ),
            };
          });
        failures.push(
          ...(await counterexamples(requests, INVALID_RUNS, (request) =>
            verdict(request, badRequest),
          )),
        );
      }
    }
    expect(failures).toEqual([]);
  });

  it('a body the document calls invalid is a 400 problem that fits the document', async () => {
    const failures: string[] = [];
    const bodies = fc.oneof(
      fc.dictionary(
        fc.string({ maxLength: 8 }),
        fc.jsonValue({ maxDepth: 2 }),
        { maxKeys: 4 },
      ),
      fc.jsonValue({ maxDepth: 2 }),
    );
    for (const operation of operations.filter((one) => one.body)) {
      const invalid = bodies.filter(
        (body) =>
          contract.requestBodyProblems(operation.method, operation.path, body)
            .length > 0,
      );
      const requests = fc
        .tuple(validRequests(operation, components), invalid)
        .map(([request, body]) => ({
          ...request,
          query: {},
          headers: {},
          body,
        }));
      failures.push(
        ...(await counterexamples(requests, VALID_RUNS, (request) =>
          verdict(request, badRequest),
        )),
      );
    }
    expect(failures).toEqual([]);
  });

  it('a method a path does not have is a 405 problem with Allow; an unknown path is a 404', async () => {
    const failures: string[] = [];
    const sample = (path: string) => path.replace(/\{(\w+)\}/g, 'x1');
    const templates = Object.keys(contract.document.paths);
    const matches = (template: string, url: string) =>
      new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`).test(url);
    for (const path of templates) {
      const url = sample(path);
      // A concrete URL may fit more than one template (/users/_changes fits /users/{id}).
      const answered = new Set(
        templates
          .filter((template) => matches(template, url))
          .flatMap((template) =>
            Object.keys(contract.document.paths[template]).map((method) =>
              method.toUpperCase(),
            ),
          ),
      );
      for (const method of HTTP_METHODS.filter(
        (one) => !['head', 'options'].includes(one),
      )) {
        if (answered.has(method.toUpperCase())) continue;
        const response = await node.http[method](url);
        const allow = String(response.headers.allow ?? '').split(', ');
        if (
          response.status !== 405 ||
          !String(response.headers['content-type']).startsWith(PROBLEM) ||
          response.body.type !== 'urn:clusterlite:problem:method-not-allowed' ||
          ![...answered].every((one) => allow.includes(one))
        )
          failures.push(
            `${label(method, url)} → ${response.status} Allow: ${response.headers.allow} ${response.text.slice(0, 200)}`,
          );
      }
    }
    for (const method of ['get', 'trace', 'patch'] as const) {
      const response = await node.http[method]('/no-such-table/x1/y');
      if (response.status !== 404 || response.headers.allow !== undefined)
        failures.push(
          `${method.toUpperCase()} /no-such-table/x1/y → ${response.status}`,
        );
    }
    expect(failures).toEqual([]);
  });
});

describe("following the document's links", () => {
  it('name operations of the document', () => {
    const ids = new Set(operations.map((operation) => operation.operationId));
    const named = operations.flatMap((operation) =>
      Object.values(
        contract.operation(operation.method, operation.path).responses,
      )
        .flatMap((response) => Object.values(response.links ?? {}))
        .map((link) => link.operationId),
    );
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((id) => !ids.has(id))).toEqual([]);
  });

  it.each(['users', 'products'])(
    'lead from a create of %s to reading, updating, replacing and deleting the row, each answer as documented',
    async (table) => {
      const create = operations.find(
        (one) => one.method === 'post' && one.path === `/${table}`,
      )!;
      const links = contract.operation('post', `/${table}`).responses['201']
        .links!;
      const byId = (id: string) =>
        operations.find((one) => one.operationId === id)!;
      const bodyOf = (operation: GeneratedOperation) =>
        arbitraryOf(
          operation.body!.oneOf?.[0] ?? operation.body!,
          components,
        ) as fc.Arbitrary<Record<string, unknown>>;
      let skus = 0;
      const fresh = (body: Record<string, unknown>) =>
        body.sku === undefined
          ? body
          : { ...body, sku: `${(body.sku as string).slice(0, 50)}-${++skus}` };
      // Each step: the link to follow, and the status the document gives for it on an existing (or, last, deleted) row.
      const steps: [string, number][] = [
        ['GetRow', 200],
        ['UpdateRow', 200],
        ['ReplaceRow', 200],
        ['GetRow', 200],
        ['DeleteRow', 204],
        ['GetRow', 404],
      ];
      const cases = fc.tuple(
        bodyOf(create),
        bodyOf(byId(links.UpdateRow.operationId)),
        bodyOf(byId(links.ReplaceRow.operationId)),
      );
      const failures = await counterexamples(
        cases,
        4,
        async ([created, patched, replaced]) => {
          const first = await patient.http
            .post(`/${table}`)
            .set(PREFER)
            .send(fresh(created));
          const trail = [
            `POST /${table} → ${first.status}`,
            ...contract.problemsWith('post', `/${table}`, first),
          ];
          if (first.status !== 201) return trail.join('\n  ');
          for (const [name, status] of steps) {
            const operation = byId(links[name].operationId);
            const pathParameters = Object.fromEntries(
              Object.entries(links[name].parameters).map(
                ([parameter, expression]) => [
                  parameter,
                  String(
                    first.body[expression.replace('$response.body#/', '')],
                  ),
                ],
              ),
            );
            const body =
              operation.method === 'patch'
                ? fresh(patched)
                : operation.method === 'put'
                  ? fresh(replaced)
                  : undefined;
            let test = patient.http[operation.method](
              urlOf({ ...operation, pathParameters, query: {}, headers: {} }),
            ).set(PREFER);
            if (body) test = test.send(body);
            const response = await test;
            const problems = contract.problemsWith(
              operation.method,
              operation.path,
              response,
            );
            trail.push(
              `${name}: ${operation.method.toUpperCase()} ${operation.path} → ${response.status}`,
              ...problems,
            );
            if (response.status !== status || problems.length > 0)
              return `${trail.join('\n  ')}\n  expected ${status}: ${response.text}`;
          }
          return null;
        },
      );
      expect(failures).toEqual([]);
    },
  );
});

describe('a product from create to delete, driven by a model of the table', () => {
  it('keeps every answer to the document and to the model', async () => {
    const answers = await productLifecycle(
      () => ({ node: patient, contract, components }),
      SEED,
    );
    expect(answers).toBeGreaterThan(80);
  });
});
