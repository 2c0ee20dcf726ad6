import { Validator } from '@seriousme/openapi-schema-validator';
import { NodeConfig, type ReplicationEvent } from '@clusterlite/core';
import { EmbeddedEventLog } from '@clusterlite/event-log';
import { randomUUID } from 'node:crypto';
import type { Response, Test } from 'supertest';
import {
  startEmbeddedNode,
  type EmbeddedNode,
} from '../support/embedded-node.js';
import { eventually } from '../support/eventually.js';
import {
  OpenApiContract,
  label,
  type HttpMethod,
  type ObservedResponse,
  type OpenApiDocument,
} from '../support/openapi-contract.js';
import {
  SAMPLE_TABLES,
  invalidBody,
  patchBody,
  uniqueId,
  validBody,
  type SampleTable,
} from '../support/sample-bodies.js';

/**
 * Every response the API gives, success and error, matches /docs-json: the
 * status is documented for the operation, the content type is a documented
 * one, the body validates against the documented schema and the headers the
 * document marks as required are there.
 */

const PREFER = { Prefer: 'return=representation' };
const BODY_LIMIT_BYTES = 16 * 1024;
const TOO_LARGE = {
  name: 'x'.repeat(BODY_LIMIT_BYTES + 1),
  email: 'big@example.com',
};

/** Statuses documented for an operation that embedded mode cannot produce, and why. */
const NOT_PRODUCIBLE_IN_EMBEDDED_MODE: {
  operation: RegExp;
  status: number;
  why: string;
}[] = [
  {
    operation: /^(POST|PUT|PATCH|DELETE) /,
    status: 503,
    why: 'needs an unreachable Kafka: covered by test/cluster/broker-down',
  },
  {
    operation: /^(POST|PUT|PATCH) \/users/,
    status: 409,
    why: 'users has no unique field, and ids the node picks never collide',
  },
];

/** The operations this contract test must cover: every generated route of the sample entities, and the status route. */
const isCoveredPath = (path: string) =>
  /^\/(users|products)(\/|$)/.test(path) || path === '/_cluster/status';

interface ContractCase {
  operation: string;
  method: HttpMethod;
  path: string;
  status: number;
  does: string;
  /** Check status and content type only (a never-ending event stream). */
  bodyless?: boolean;
  send: () => PromiseLike<ObservedResponse>;
}

let node: EmbeddedNode;
/** A node with API keys: the 401 and 403 answers. */
let guarded: EmbeddedNode;
const READ_KEY = 'contract-read-0123456789';
const WRITE_KEY = 'contract-write-0123456789';
const ADMIN_KEY = 'contract-admin-0123456789';
let guardedUrl: string;

/**
 * Sends `request` while `keys` each hold a change feed of the guarded node open,
 * then hangs those up. Opening is retried: the slots of earlier cases' feeds
 * are freed once the node sees them close.
 */
async function whileFeedsOpen(
  table: SampleTable,
  keys: string[],
  request: () => Test,
): Promise<Response> {
  const held: AbortController[] = [];
  try {
    for (const key of keys) {
      await eventually(async () => {
        const controller = new AbortController();
        const response = await fetch(`${guardedUrl}/${table}/_changes`, {
          headers: {
            Accept: 'text/event-stream',
            Authorization: `Bearer ${key}`,
          },
          signal: controller.signal,
        });
        if (response.status === 200) held.push(controller);
        else controller.abort();
        expect(response.status).toBe(200);
      });
    }
    return await request();
  } finally {
    for (const controller of held) controller.abort();
  }
}
/** A node that never waits for a position: every read-your-writes wait and every Prefer write answers 504. */
let impatient: EmbeddedNode;
let baseUrl: string;

const contractCase = (
  method: HttpMethod,
  path: string,
  status: number,
  does: string,
  send: () => PromiseLike<ObservedResponse>,
  options: { bodyless?: boolean } = {},
): ContractCase => ({
  operation: label(method, path),
  method,
  path,
  status,
  does,
  send,
  ...options,
});

/** A row written and applied, with its ETag. */
async function seed(
  table: SampleTable,
  body = validBody(table),
): Promise<{ id: string; etag: string; body: Record<string, unknown> }> {
  const id = uniqueId(table);
  const response = await node.http
    .put(`/${table}/${id}`)
    .set(PREFER)
    .send(body);
  if (response.status !== 201)
    throw new Error(
      `seeding ${table}/${id} answered ${response.status}: ${response.text}`,
    );
  return { id, etag: response.headers.etag, body };
}

/**
 * Holds up the impatient node's projection of `table` for good: an event of a schema newer
 * than the node's own stops it there (as on a node running older code in the middle of an
 * upgrade), so a Prefer write after it is never applied in time. Without it the embedded
 * projection applies a write within the request, before even a zero wait begins.
 */
async function holdUpProjection(table: SampleTable): Promise<void> {
  const topic = impatient.app.get(NodeConfig).topicFor(table);
  const event: ReplicationEvent = {
    eventId: randomUUID(),
    type: 'created',
    table,
    entityId: `${table}-from-the-future`,
    data: {},
    expectedVersion: null,
    occurredAt: new Date().toISOString(),
    origin: 'a-newer-node',
    schemaVersion: 1_000,
  };
  await impatient.app
    .get(EmbeddedEventLog)
    .append(topic, [{ key: event.entityId, value: JSON.stringify(event) }]);
}

/** Opens the change feed, takes its status and headers, and hangs up. */
async function openChangeFeed(table: SampleTable): Promise<ObservedResponse> {
  const controller = new AbortController();
  const response = await fetch(`${baseUrl}/${table}/_changes`, {
    headers: { Accept: 'text/event-stream' },
    signal: controller.signal,
  });
  const observed = {
    status: response.status,
    headers: Object.fromEntries(response.headers),
  };
  controller.abort();
  return observed;
}

/** Uses a fresh Idempotency-Key for one request, then the same key for a different one. */
async function reuseIdempotencyKey(
  first: () => Test,
  second: () => Test,
): Promise<Response> {
  const key = randomUUID();
  const applied = await first().set('Idempotency-Key', key).set(PREFER);
  if (applied.status >= 300)
    throw new Error(
      `first use of the key answered ${applied.status}: ${applied.text}`,
    );
  return second().set('Idempotency-Key', key);
}

function casesFor(table: SampleTable): ContractCase[] {
  const list = `/${table}`;
  const item = `/${table}/{id}`;
  const history = `/${table}/{id}/history`;
  const events = `/${table}/_events/{eventId}`;
  const farPosition = `clusterlite.${table}:0:999999999`;
  const otherProduct = async () => (await seed('products')).body.sku;
  const cases = [
    // POST /{table}
    contractCase('post', list, 202, 'create one', () =>
      node.http.post(list).send(validBody(table)),
    ),
    contractCase('post', list, 202, 'bulk create', () =>
      node.http.post(list).send([validBody(table), validBody(table)]),
    ),
    contractCase('post', list, 201, 'create with Prefer', () =>
      node.http.post(list).set(PREFER).send(validBody(table)),
    ),
    contractCase('post', list, 200, 'bulk create with Prefer', () =>
      node.http
        .post(list)
        .set(PREFER)
        .send([validBody(table), validBody(table)]),
    ),
    contractCase('post', list, 400, 'missing required field', () =>
      node.http.post(list).send(invalidBody(table)),
    ),
    contractCase('post', list, 413, 'body over BODY_LIMIT', () =>
      node.http.post(list).send(TOO_LARGE),
    ),
    contractCase('post', list, 415, 'text/plain body', () =>
      node.http.post(list).set('Content-Type', 'text/plain').send('name=Ada'),
    ),
    contractCase('post', list, 422, 'Idempotency-Key reused', () =>
      reuseIdempotencyKey(
        () => node.http.post(list).send(validBody(table)),
        () => node.http.post(list).send(validBody(table)),
      ),
    ),
    contractCase('post', list, 504, 'Prefer, not applied in time', () =>
      impatient.http.post(list).set(PREFER).send(validBody(table)),
    ),

    // GET /{table}
    contractCase('get', list, 200, 'a page with a next link', async () => {
      await seed(table);
      await seed(table);
      return node.http.get(list).query({ limit: 1 });
    }),
    contractCase('get', list, 200, 'selected fields and a count', () =>
      node.http
        .get(list)
        .query({ fields: 'id,name', count: true, sort: '-name' }),
    ),
    contractCase('get', list, 400, 'limit out of range', () =>
      node.http.get(list).query({ limit: 0 }),
    ),
    contractCase('get', list, 504, 'position not reached in time', () =>
      impatient.http.get(list).set('ClusterLite-Position', farPosition),
    ),

    // GET /{table}/_changes
    contractCase(
      'get',
      `/${table}/_changes`,
      200,
      'change feed',
      () => openChangeFeed(table),
      { bodyless: true },
    ),
    contractCase(
      'get',
      `/${table}/_changes`,
      400,
      "resuming after another table's position",
      () =>
        node.http
          .get(`/${table}/_changes`)
          .set(
            'Last-Event-ID',
            `clusterlite.${table === 'users' ? 'products' : 'users'}:0:1`,
          ),
    ),

    // GET /{table}/{id}
    contractCase('get', item, 200, 'a row', async () =>
      node.http.get(`${list}/${(await seed(table)).id}`),
    ),
    contractCase('get', item, 304, 'If-None-Match its ETag', async () => {
      const row = await seed(table);
      return node.http.get(`${list}/${row.id}`).set('If-None-Match', row.etag);
    }),
    contractCase('get', item, 400, 'id that is not an identifier', () =>
      node.http.get(`${list}/-dash-first`),
    ),
    contractCase('get', item, 404, 'missing row', () =>
      node.http.get(`${list}/${uniqueId('missing')}`),
    ),
    contractCase('get', item, 504, 'position not reached in time', () =>
      impatient.http.get(`${list}/any`).query({ position: farPosition }),
    ),

    // PUT /{table}/{id}
    contractCase('put', item, 202, 'replace', () =>
      node.http.put(`${list}/${uniqueId(table)}`).send(validBody(table)),
    ),
    contractCase('put', item, 201, 'create with Prefer', () =>
      node.http
        .put(`${list}/${uniqueId(table)}`)
        .set(PREFER)
        .send(validBody(table)),
    ),
    contractCase('put', item, 200, 'replace with Prefer', async () =>
      node.http
        .put(`${list}/${(await seed(table)).id}`)
        .set(PREFER)
        .send(validBody(table)),
    ),
    contractCase('put', item, 400, 'missing required field', () =>
      node.http.put(`${list}/${uniqueId(table)}`).send(invalidBody(table)),
    ),
    contractCase(
      'put',
      item,
      412,
      'If-Match of another version, with Prefer',
      async () =>
        node.http
          .put(`${list}/${(await seed(table)).id}`)
          .set(PREFER)
          .set('If-Match', '"7"')
          .send(validBody(table)),
    ),
    contractCase('put', item, 413, 'body over BODY_LIMIT', () =>
      node.http.put(`${list}/${uniqueId(table)}`).send(TOO_LARGE),
    ),
    contractCase('put', item, 415, 'form body', () =>
      node.http
        .put(`${list}/${uniqueId(table)}`)
        .type('form')
        .send({ name: 'Ada' }),
    ),
    contractCase('put', item, 422, 'Idempotency-Key reused', () => {
      const id = uniqueId(table);
      return reuseIdempotencyKey(
        () => node.http.put(`${list}/${id}`).send(validBody(table)),
        () => node.http.put(`${list}/${id}`).send(validBody(table)),
      );
    }),
    contractCase('put', item, 504, 'Prefer, not applied in time', () =>
      impatient.http
        .put(`${list}/${uniqueId(table)}`)
        .set(PREFER)
        .send(validBody(table)),
    ),

    // PATCH /{table}/{id}
    contractCase('patch', item, 202, 'update', () =>
      node.http.patch(`${list}/${uniqueId(table)}`).send(patchBody(table)),
    ),
    contractCase('patch', item, 200, 'update with Prefer', async () =>
      node.http
        .patch(`${list}/${(await seed(table)).id}`)
        .set(PREFER)
        .send(patchBody(table)),
    ),
    contractCase('patch', item, 400, 'field of the wrong type', () =>
      node.http.patch(`${list}/${uniqueId(table)}`).send({ name: 42 }),
    ),
    contractCase('patch', item, 404, 'missing row, with Prefer', () =>
      node.http
        .patch(`${list}/${uniqueId('missing')}`)
        .set(PREFER)
        .send(patchBody(table)),
    ),
    contractCase(
      'patch',
      item,
      412,
      'If-Match of another version, with Prefer',
      async () =>
        node.http
          .patch(`${list}/${(await seed(table)).id}`)
          .set(PREFER)
          .set('If-Match', '"7"')
          .send(patchBody(table)),
    ),
    contractCase('patch', item, 413, 'body over BODY_LIMIT', () =>
      node.http.patch(`${list}/${uniqueId(table)}`).send(TOO_LARGE),
    ),
    contractCase('patch', item, 415, 'multipart body', () =>
      node.http.patch(`${list}/${uniqueId(table)}`).field('name', 'Ada'),
    ),
    contractCase('patch', item, 422, 'Idempotency-Key reused', async () => {
      const { id } = await seed(table);
      return reuseIdempotencyKey(
        () => node.http.patch(`${list}/${id}`).send(patchBody(table)),
        () => node.http.patch(`${list}/${id}`).send({ name: 'Other' }),
      );
    }),
    contractCase('patch', item, 504, 'Prefer, not applied in time', () =>
      impatient.http
        .patch(`${list}/${uniqueId(table)}`)
        .set(PREFER)
        .send(patchBody(table)),
    ),

    // DELETE /{table}/{id}
    contractCase('delete', item, 202, 'delete', () =>
      node.http.delete(`${list}/${uniqueId(table)}`),
    ),
    contractCase('delete', item, 204, 'delete with Prefer', async () =>
      node.http.delete(`${list}/${(await seed(table)).id}`).set(PREFER),
    ),
    contractCase('delete', item, 400, 'id with a path traversal', () =>
      node.http.delete(`${list}/..%2F_cluster`),
    ),
    contractCase(
      'delete',
      item,
      412,
      'If-Match of another version, with Prefer',
      async () =>
        node.http
          .delete(`${list}/${(await seed(table)).id}`)
          .set(PREFER)
          .set('If-Match', '"7"'),
    ),
    contractCase('delete', item, 422, 'Idempotency-Key reused', () =>
      reuseIdempotencyKey(
        () => node.http.delete(`${list}/${uniqueId(table)}`),
        () => node.http.delete(`${list}/${uniqueId(table)}`),
      ),
    ),
    contractCase('delete', item, 504, 'Prefer, not applied in time', () =>
      impatient.http.delete(`${list}/${uniqueId(table)}`).set(PREFER),
    ),

    // GET /{table}/{id}/history
    contractCase('get', history, 200, 'events of a row', async () => {
      const { id } = await seed(table);
      await node.http
        .patch(`${list}/${id}`)
        .set(PREFER)
        .set('If-Match', '"9"')
        .send(patchBody(table));
      return node.http.get(`${list}/${id}/history`);
    }),
    contractCase('get', history, 400, 'unicode id', () =>
      node.http.get(`${list}/${encodeURIComponent('zoë')}/history`),
    ),
    contractCase('get', history, 404, 'row never written', () =>
      node.http.get(`${list}/${uniqueId('missing')}/history`),
    ),
    contractCase('get', history, 504, 'position not reached in time', () =>
      impatient.http
        .get(`${list}/any/history`)
        .set('ClusterLite-Position', farPosition),
    ),

    // GET /{table}/_events/{eventId}
    contractCase('get', events, 200, 'an applied event', async () => {
      const written = await node.http.post(list).send(validBody(table));
      await node.http
        .get(`${list}/${written.body.id}`)
        .set('ClusterLite-Position', written.body.position);
      return node.http.get(`${list}/_events/${written.body.eventId}`);
    }),
    contractCase('get', events, 400, 'unicode event id', () =>
      node.http.get(`${list}/_events/${encodeURIComponent('zoë')}`),
    ),
    contractCase('get', events, 404, 'an event this node never saw', () =>
      node.http.get(`${list}/_events/${uniqueId('event')}`),
    ),
  ];
  if (table === 'products') {
    cases.push(
      contractCase('post', list, 409, 'sku taken, with Prefer', async () =>
        node.http
          .post(list)
          .set(PREFER)
          .send(validBody(table, { sku: await otherProduct() })),
      ),
      contractCase('put', item, 409, 'sku taken, with Prefer', async () =>
        node.http
          .put(`${list}/${uniqueId(table)}`)
          .set(PREFER)
          .send(validBody(table, { sku: await otherProduct() })),
      ),
      contractCase('patch', item, 409, 'sku taken, with Prefer', async () =>
        node.http
          .patch(`${list}/${(await seed(table)).id}`)
          .set(PREFER)
          .send({ sku: await otherProduct() }),
      ),
    );
  }
  return cases;
}

/** 401 without a key on every route of a table, 403 where a lower key is refused. */
function accessCasesFor(table: SampleTable): ContractCase[] {
  const list = `/${table}`;
  const item = `/${table}/{id}`;
  const as = (test: Test, key: string) =>
    test.set('Authorization', `Bearer ${key}`);
  const withoutKey: [HttpMethod, string, () => Test][] = [
    ['post', list, () => guarded.http.post(list).send(validBody(table))],
    ['get', list, () => guarded.http.get(list)],
    ['get', `${list}/_changes`, () => guarded.http.get(`${list}/_changes`)],
    ['get', item, () => guarded.http.get(`${list}/any`)],
    ['get', `${item}/history`, () => guarded.http.get(`${list}/any/history`)],
    ['put', item, () => guarded.http.put(`${list}/any`).send(validBody(table))],
    [
      'patch',
      item,
      () => guarded.http.patch(`${list}/any`).send(patchBody(table)),
    ],
    ['delete', item, () => guarded.http.delete(`${list}/any`)],
    [
      'get',
      `${list}/_events/{eventId}`,
      () => guarded.http.get(`${list}/_events/any`),
    ],
  ];
  return [
    ...withoutKey.map(([method, path, send]) =>
      contractCase(method, path, 401, 'no API key', send),
    ),
    contractCase(
      'get',
      `${list}/_changes`,
      429,
      'a second feed of one client (MAX_CHANGE_FEEDS_PER_CLIENT=1)',
      () =>
        whileFeedsOpen(table, [READ_KEY], () =>
          as(guarded.http.get(`${list}/_changes`), READ_KEY),
        ),
    ),
    contractCase(
      'get',
      `${list}/_changes`,
      503,
      'a feed past the node total (MAX_CHANGE_FEEDS=2)',
      () =>
        whileFeedsOpen(table, [READ_KEY, WRITE_KEY], () =>
          as(guarded.http.get(`${list}/_changes`), ADMIN_KEY),
        ),
    ),
    contractCase('post', list, 403, 'read key writing', () =>
      as(guarded.http.post(list), READ_KEY).send(validBody(table)),
    ),
    contractCase('put', item, 403, 'read key writing', () =>
      as(guarded.http.put(`${list}/any`), READ_KEY).send(validBody(table)),
    ),
    contractCase('patch', item, 403, 'read key writing', () =>
      as(guarded.http.patch(`${list}/any`), READ_KEY).send(patchBody(table)),
    ),
    contractCase('delete', item, 403, 'read key deleting', () =>
      as(guarded.http.delete(`${list}/any`), READ_KEY),
    ),
    contractCase(
      'get',
      `${item}/history`,
      403,
      "write key reading a deleted row's history",
      async () => {
        const id = uniqueId(table);
        await as(guarded.http.put(`${list}/${id}`), WRITE_KEY)
          .set(PREFER)
          .send(validBody(table));
        await as(guarded.http.delete(`${list}/${id}`), WRITE_KEY).set(PREFER);
        return as(guarded.http.get(`${list}/${id}/history`), WRITE_KEY);
      },
    ),
  ];
}

const CASES: ContractCase[] = [
  ...SAMPLE_TABLES.flatMap(casesFor),
  ...SAMPLE_TABLES.flatMap(accessCasesFor),
  contractCase('get', '/_cluster/status', 200, 'replica state', () =>
    node.http.get('/_cluster/status'),
  ),
  contractCase(
    'get',
    '/_cluster/status',
    200,
    'checksums verified by a full recomputation',
    () => node.http.get('/_cluster/status').query({ verify: 'true' }),
  ),
  contractCase('get', '/_cluster/status', 400, 'verify=maybe', () =>
    node.http.get('/_cluster/status').query({ verify: 'maybe' }),
  ),
  contractCase('get', '/_cluster/status', 401, 'no API key', () =>
    guarded.http.get('/_cluster/status'),
  ),
  contractCase('get', '/_cluster/status', 403, 'write key', () =>
    guarded.http
      .get('/_cluster/status')
      .set('Authorization', `Bearer ${WRITE_KEY}`),
  ),
  contractCase('get', '/_cluster/status', 200, 'admin key', () =>
    guarded.http
      .get('/_cluster/status')
      .set('Authorization', `Bearer ${ADMIN_KEY}`),
  ),
];

describe('OpenAPI contract: real responses match /docs-json', () => {
  let document: OpenApiDocument;
  let contract: OpenApiContract;

  beforeAll(async () => {
    node = await startEmbeddedNode({
      BODY_LIMIT: `${BODY_LIMIT_BYTES / 1024}kb`,
    });
    impatient = await startEmbeddedNode({ READ_WAIT_TIMEOUT_MS: '0' });
    for (const table of SAMPLE_TABLES) await holdUpProjection(table);
    guarded = await startEmbeddedNode({
      API_KEYS: `read:${READ_KEY},write:${WRITE_KEY},admin:${ADMIN_KEY}`,
      MAX_CHANGE_FEEDS: '2',
      MAX_CHANGE_FEEDS_PER_CLIENT: '1',
    });
    await guarded.app.listen(0, '127.0.0.1');
    guardedUrl = await guarded.app.getUrl();
    await node.app.listen(0, '127.0.0.1');
    baseUrl = await node.app.getUrl();
    document = (await node.http.get('/docs-json').expect(200)).body;
    contract = new OpenApiContract(document);
  });

  afterAll(async () => {
    await impatient?.close();
    await guarded?.close();
    await node?.close();
  });

  describe('the document', () => {
    it('is a valid OpenAPI 3.0 document', async () => {
      const result = await new Validator().validate(
        structuredClone(document) as unknown as Parameters<
          Validator['validate']
        >[0],
      );
      expect(result.errors ?? []).toEqual([]);
      expect(document.openapi).toMatch(/^3\.0\./);
    });

    it('has component schemas that compile under strict JSON Schema rules', () => {
      expect(contract.componentSchemaProblems()).toEqual([]);
    });

    it('declares every error response of the sample entities and the status route as application/problem+json with ProblemDetailsDto', () => {
      const problems = contract
        .operations(isCoveredPath)
        .flatMap(({ method, path, operation }) =>
          Object.entries(operation.responses)
            .filter(([status]) => Number(status) >= 400)
            .filter(([, response]) => {
              const content = response.content ?? {};
              return (
                Object.keys(content).join() !== 'application/problem+json' ||
                content['application/problem+json'].schema?.$ref !==
                  '#/components/schemas/ProblemDetailsDto'
              );
            })
            .map(
              ([status, response]) =>
                `${label(method, path)} → ${status}: ${JSON.stringify(response.content)}`,
            ),
        );
      expect(problems).toEqual([]);
    });

    it('documents 503 with Retry-After on every write, though embedded mode cannot produce it', () => {
      const writes = contract
        .operations(isCoveredPath)
        .filter(({ method }) => method !== 'get');
      expect(writes.length).toBeGreaterThan(0);
      const problems = writes
        .filter(
          ({ operation }) =>
            operation.responses['503']?.headers?.['Retry-After']?.required !==
            true,
        )
        .map(
          ({ method, path }) =>
            `${label(method, path)}: no 503 with a required Retry-After header`,
        );
      expect(problems).toEqual([]);
    });

    it('has a case below for every operation of the sample entities: a success, and every status embedded mode can produce', () => {
      const planned = new Map<string, Set<number>>();
      for (const { operation, status } of CASES)
        planned.set(
          operation,
          (planned.get(operation) ?? new Set()).add(status),
        );
      const problems: string[] = [];
      const operations = contract.operations(isCoveredPath);
      for (const { method, path, operation } of operations) {
        const key = label(method, path);
        const exercised = planned.get(key) ?? new Set<number>();
        if (![...exercised].some((status) => status >= 200 && status < 300))
          problems.push(`${key}: no success case`);
        for (const status of Object.keys(operation.responses).map(Number)) {
          const excused = NOT_PRODUCIBLE_IN_EMBEDDED_MODE.some(
            (rule) => rule.status === status && rule.operation.test(key),
          );
          if (!exercised.has(status) && !excused)
            problems.push(
              `${key} → ${status}: documented, but no case produces it`,
            );
        }
      }
      const documented = new Set(
        operations.map(({ method, path }) => label(method, path)),
      );
      for (const key of planned.keys())
        if (!documented.has(key))
          problems.push(`${key}: has cases but is not in the document`);
      expect(problems).toEqual([]);
    });
  });

  describe('the checker', () => {
    const created = {
      status: 202,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        location: '/users/a',
        'clusterlite-position': 'clusterlite.users:0:1',
      },
      text: JSON.stringify({
        id: 'a',
        eventId: 'e',
        position: 'clusterlite.users:0:1',
      }),
    };

    it('passes a response that fits', () => {
      expect(contract.problemsWith('put', '/users/{id}', created)).toEqual([]);
    });

    it.each([
      [
        'an undocumented status',
        { ...created, status: 207 },
        /status is not documented/,
      ],
      [
        'an undocumented content type',
        {
          ...created,
          headers: { ...created.headers, 'content-type': 'text/html' },
        },
        /content type text\/html is not documented/,
      ],
      [
        'a body missing a required property',
        { ...created, text: JSON.stringify({ id: 'a', eventId: 'e' }) },
        /must have required property 'position'/,
      ],
      [
        'a body of the wrong type',
        {
          ...created,
          text: JSON.stringify({ id: 1, eventId: 'e', position: 'p' }),
        },
        /body\/id must be string/,
      ],
      [
        'a missing required header',
        { ...created, headers: { 'content-type': 'application/json' } },
        /required header ClusterLite-Position is missing/,
      ],
      [
        'a header value off its schema',
        {
          ...created,
          headers: { ...created.headers, 'clusterlite-position': 'p' },
        },
        /header ClusterLite-Position does not match its schema/,
      ],
    ])(
      'reports %s, naming the operation and status',
      (_, response, message) => {
        const problems = contract.problemsWith('put', '/users/{id}', response);
        expect(problems).toContainEqual(expect.stringMatching(message));
        expect(
          problems.every((problem) =>
            problem.startsWith(`PUT /users/{id} → ${response.status}: `),
          ),
        ).toBe(true);
      },
    );

    it('reports a body where none is documented', () => {
      expect(
        contract.problemsWith('delete', '/users/{id}', {
          status: 204,
          headers: {
            'clusterlite-position': 'clusterlite.users:0:1',
            'preference-applied': 'return=representation',
          },
          text: '{}',
        }),
      ).toEqual([
        expect.stringMatching(
          /^DELETE \/users\/\{id\} → 204: documented without a body/,
        ),
      ]);
    });

    it('reads OpenAPI 3.0 nullable, and null is not accepted where the schema does not say so', () => {
      const row = {
        id: 'p',
        version: 1,
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
        name: 'Cup',
        sku: 'C',
        price: 1,
        tags: [],
        available: true,
      };
      const answer = (body: object) => ({
        status: 200,
        headers: { 'content-type': 'application/json', etag: '"1"' },
        text: JSON.stringify(body),
      });
      expect(
        contract.problemsWith(
          'get',
          '/products/{id}',
          answer({ ...row, stock: null, url: null }),
        ),
      ).toEqual([]);
      expect(
        contract.problemsWith(
          'get',
          '/products/{id}',
          answer({ ...row, price: null }),
        ),
      ).toEqual([expect.stringMatching(/body\/price must be number/)]);
    });
  });

  describe('request bodies: what the document calls valid, the node accepts, and the other way round', () => {
    type BodyCase = [string, SampleTable, Record<string, unknown>];
    const user = (more: object) => validBody('users', more);
    const product = (more: object) => validBody('products', more);

    async function verdicts(table: SampleTable, body: Record<string, unknown>) {
      const response = await node.http
        .put(`/${table}/${uniqueId(table)}`)
        .send(body);
      expect([202, 400], response.text).toContain(response.status);
      return {
        node:
          response.status === 202
            ? 'accepts'
            : `refuses: ${response.body.detail}`,
        document:
          contract.requestBodyProblems('put', `/${table}/{id}`, body).length ===
          0
            ? 'accepts'
            : 'refuses',
      };
    }

    it.each<BodyCase>([
      ['a valid user', 'users', user({})],
      [
        'a valid product with every optional field',
        'products',
        product({ stock: 3, url: 'https://example.com/p' }),
      ],
      [
        'a valid product with null optional fields',
        'products',
        product({ stock: null, url: null }),
      ],
      ['a missing required field', 'users', { name: 'No email' }],
      ['a name over maxLength', 'users', user({ name: 'n'.repeat(201) })],
      ['a name of 201 emoji', 'users', user({ name: '😀'.repeat(201) })],
      ['a string for a number', 'products', product({ price: '4.5' })],
      ['a fraction for an integer', 'products', product({ stock: 1.5 })],
      ['null for a required field', 'products', product({ available: null })],
      ['an email that is not one', 'users', user({ email: 'not-an-email' })],
      ['a url that is not one', 'products', product({ url: 'not a url' })],
    ])('agree on %s', async (_, table, body) => {
      const { node: server, document: documented } = await verdicts(
        table,
        body,
      );
      expect(
        server.startsWith(documented),
        `node ${server}; the document ${documented}`,
      ).toBe(true);
    });

    // The document lacks constraints the node enforces (forbidNonWhitelisted, and
    // class-validator decorators on the entities: @Min, @Length, @ArrayMaxSize,
    // @IsUrl): clients generated from it send bodies that are then refused.
    it.each<BodyCase>([
      [
        'an unknown field (refused; the request schemas lack additionalProperties: false)',
        'users',
        user({ admin: true }),
      ],
      [
        'a negative price (@Min(0), no minimum documented)',
        'products',
        product({ price: -1 }),
      ],
      [
        'a negative stock (@Min(0), no minimum documented)',
        'products',
        product({ stock: -1 }),
      ],
      [
        'an empty name (@Length(1, 200), no minLength documented)',
        'users',
        user({ name: '' }),
      ],
      [
        '21 tags (@ArrayMaxSize(20), no maxItems documented)',
        'products',
        product({ tags: Array.from({ length: 21 }, () => 't') }),
      ],
      [
        'a tag of 51 characters (maxLength 50 each, not on items)',
        'products',
        product({ tags: ['t'.repeat(51)] }),
      ],
      [
        'a url of 3,000 characters (IsUrl stops at 2,083; maxLength 10,000 documented)',
        'products',
        product({ url: `https://example.com/${'u'.repeat(2_980)}` }),
      ],
    ])('agree on %s', async (_, table, body) => {
      const { node: server, document: documented } = await verdicts(
        table,
        body,
      );
      expect(
        server.startsWith(documented),
        `node ${server}; the document ${documented}`,
      ).toBe(true);
    });
  });

  describe('responses', () => {
    it.each(CASES)(
      '$operation → $status: $does',
      async ({ method, path, status, bodyless, send }) => {
        const response = await send();
        expect(
          response.status,
          `${label(method, path)} answered ${response.status}: ${response.text?.slice(0, 500)}`,
        ).toBe(status);
        expect(
          contract.problemsWith(method, path, response, { bodyless }),
        ).toEqual([]);
      },
    );
  });
});
