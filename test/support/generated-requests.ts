import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import type { HttpMethod } from './openapi-contract.js';
import { arbitraryOf, headerText, type Schema } from './schema-arbitrary.js';

/** An OpenAPI 3.0 parameter of the node's document. */
export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: Schema;
}

/** One operation of the document, with what a request to it needs. */
export interface GeneratedOperation {
  operationId?: string;
  method: HttpMethod;
  path: string;
  parameters: Parameter[];
  body?: Schema;
}

/** A request made from the document: what to send, before any URL encoding. */
export interface GeneratedRequest {
  method: HttpMethod;
  /** The document's path, e.g. `/users/{id}`. */
  path: string;
  pathParameters: Record<string, string>;
  query: Record<string, unknown>;
  headers: Record<string, string>;
  body?: unknown;
}

interface DocumentLike {
  paths: Record<
    string,
    Partial<
      Record<
        HttpMethod,
        {
          operationId?: string;
          parameters?: Parameter[];
          requestBody?: { content: Record<string, { schema?: Schema }> };
        }
      >
    >
  >;
  components: { schemas: Record<string, Schema> };
}

/** Every operation of the document, with its parameters and JSON body schema. */
export function operationsOf(document: DocumentLike): GeneratedOperation[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    (Object.keys(item) as HttpMethod[]).map((method) => ({
      operationId: item[method]!.operationId,
      method,
      path,
      parameters: item[method]!.parameters ?? [],
      body: item[method]!.requestBody?.content['application/json']?.schema,
    })),
  );
}

/** The URL of a generated request: path parameters filled in, query parameters encoded (arrays repeated). */
export function urlOf(request: GeneratedRequest): string {
  const path = request.path.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(request.pathParameters[name]),
  );
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(request.query)) {
    for (const one of Array.isArray(value) ? value : [value])
      query.append(name, String(one));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/**
 * The combinations the document describes as refused (in its parameter
 * descriptions; OpenAPI 3.0 cannot exclude one parameter given another),
 * taken out of a generated request: a cursor only comes from a `Link`,
 * `after` goes without `sort`, a sort key appears once, an Idempotency-Key
 * is fresh per request and not sent with a bulk create.
 */
let freshKeys = 0;
export function withoutDescribedExclusions(
  request: GeneratedRequest,
): GeneratedRequest {
  const query = { ...request.query };
  const headers = { ...request.headers };
  delete query.cursor;
  if (query.sort !== undefined) {
    delete query.after;
    const seen = new Set<string>();
    query.sort = (query.sort as string)
      .split(',')
      .filter((key) => {
        const name = key.replace(/^-/, '');
        return !seen.has(name) && seen.add(name);
      })
      .join(',');
  }
  if ('Idempotency-Key' in headers) {
    if (Array.isArray(request.body)) delete headers['Idempotency-Key'];
    else
      headers['Idempotency-Key'] =
        `${headers['Idempotency-Key'].slice(0, 240)}-${++freshKeys}`;
  }
  return { ...request, query, headers };
}

/** Values for free-text headers: `Prefer` takes preferences, others visible ASCII. */
function headerArbitrary(
  parameter: Parameter,
  components: Record<string, Schema>,
): fc.Arbitrary<unknown> {
  if (parameter.name === 'Prefer')
    return fc.constantFrom(
      'return=representation',
      'return=minimal',
      'respond-async, wait=1',
    );
  if (!parameter.schema.pattern) return headerText();
  return arbitraryOf(parameter.schema, components);
}

/** Requests the document calls valid for `operation`: every required parameter, some optional ones, a valid body. */
export function validRequests(
  operation: GeneratedOperation,
  components: Record<string, Schema>,
): fc.Arbitrary<GeneratedRequest> {
  const parameter = (one: Parameter) => {
    const value =
      one.in === 'header'
        ? headerArbitrary(one, components)
        : arbitraryOf(one.schema, components);
    return one.required ? value : fc.option(value, { nil: undefined });
  };
  const group = (where: Parameter['in']) =>
    fc.record(
      Object.fromEntries(
        operation.parameters
          .filter((one) => one.in === where)
          .map((one) => [one.name, parameter(one)]),
      ),
    );
  return fc
    .record({
      path: group('path'),
      query: group('query'),
      headers: group('header'),
      body: operation.body
        ? arbitraryOf(operation.body, components)
        : fc.constant(undefined),
    })
    .map(({ path, query, headers, body }) =>
      withoutDescribedExclusions({
        method: operation.method,
        path: operation.path,
        pathParameters: defined(path) as Record<string, string>,
        query: defined(query),
        headers: defined(headers) as Record<string, string>,
        body,
      }),
    );
}

/**
 * Values the schema of `parameter` refuses, as they go on the wire (text):
 * each is checked against the schema with the type coercion OpenAPI's query
 * and header serialisation implies.
 */
export function invalidValues(parameter: Parameter): fc.Arbitrary<string> {
  const fits = parameterValidator(parameter.schema);
  const text =
    parameter.in === 'header' ? headerText(20) : fc.string({ maxLength: 20 });
  const numbers = fc
    .oneof(fc.integer(), fc.double({ noNaN: true }))
    .map((value) => String(value));
  // A path value that names another route, or none, is not this operation's request.
  const routable = (value: string) =>
    parameter.in !== 'path' ||
    !['', '.', '..', '_changes', '_events'].includes(value);
  return fc
    .oneof(text, numbers, fc.constantFrom('', 'true', 'eq.', 'x.y'))
    .filter((value) => routable(value) && !fits(value));
}

const parameterAjv = new Ajv({
  coerceTypes: 'array',
  strict: false,
  allErrors: false,
});
addFormats.default(parameterAjv);
const parameterValidators = new Map<string, ValidateFunction>();

function parameterValidator(schema: Schema): (value: string) => boolean {
  const key = JSON.stringify(schema);
  let validator = parameterValidators.get(key);
  if (!validator) {
    validator = parameterAjv.compile(schema);
    parameterValidators.set(key, validator);
  }
  const validate = validator;
  // Coercion writes into its container, so each value goes in a fresh one.
  return (value) => validate(structuredClone(value));
}

function defined(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(values).filter(([, value]) => value !== undefined),
  );
}
