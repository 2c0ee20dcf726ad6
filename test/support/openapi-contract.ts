import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

export const HTTP_METHODS = [
  'get',
  'put',
  'post',
  'delete',
  'options',
  'head',
  'patch',
  'trace',
] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

interface SchemaObject {
  [keyword: string]: unknown;
}

interface MediaTypeObject {
  schema?: SchemaObject;
}

interface HeaderObject {
  required?: boolean;
  schema?: SchemaObject;
}

/** An OpenAPI link: an operation, and its parameters as runtime expressions (`$response.body#/id`). */
export interface LinkObject {
  operationId: string;
  parameters: Record<string, string>;
}

export interface ResponseObject {
  description: string;
  links?: Record<string, LinkObject>;
  headers?: Record<string, HeaderObject>;
  content?: Record<string, MediaTypeObject>;
}

export interface OperationObject {
  operationId?: string;
  requestBody?: { content: Record<string, MediaTypeObject> };
  responses: Record<string, ResponseObject>;
}

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Partial<Record<HttpMethod, OperationObject>>>;
  components: { schemas: Record<string, SchemaObject> };
}

/** What the contract needs of a real response (a supertest response fits). */
export interface ObservedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text?: string;
}

export interface OperationRef {
  method: HttpMethod;
  path: string;
  operation: OperationObject;
}

/** Base URI under which the document's component schemas are registered with Ajv. */
const DOCUMENT_ID = 'urn:clusterlite:openapi';
const COMPONENT_REF = '#/components/schemas/';

/**
 * Checks real responses against an OpenAPI 3.0 document: documented status,
 * documented content type, body against the documented schema (Ajv, with
 * OpenAPI 3.0 `nullable` and `$ref`s into `components.schemas`), and the
 * response headers the document marks as required.
 */
export class OpenApiContract {
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(readonly document: OpenApiDocument) {
    // Strict: an unknown keyword or a type clash in the document is an error, not a silent pass.
    this.ajv = new Ajv({ allErrors: true, strict: true, strictTypes: true });
    // Annotations OpenAPI 3.0 adds to JSON Schema; `nullable` is built into Ajv.
    this.ajv.addVocabulary(['example', 'xml', 'externalDocs']);
    addFormats.default(this.ajv);
    this.ajv.addSchema({
      $id: DOCUMENT_ID,
      definitions: toAjv(document.components.schemas),
    });
  }

  /** Every operation of the document, optionally only those whose path passes `include`. */
  operations(include: (path: string) => boolean = () => true): OperationRef[] {
    return Object.entries(this.document.paths)
      .filter(([path]) => include(path))
      .flatMap(([path, item]) =>
        HTTP_METHODS.filter((method) => item[method]).map((method) => ({
          method,
          path,
          operation: item[method]!,
        })),
      );
  }

  operation(method: HttpMethod, path: string): OperationObject {
    const operation = this.document.paths[path]?.[method];
    if (!operation)
      throw new Error(`${label(method, path)} is not in the OpenAPI document`);
    return operation;
  }

  /**
   * Everything about `response` that the document does not allow for this
   * operation, one message each, naming the operation and status. Empty when
   * the response fits the contract.
   */
  problemsWith(
    method: HttpMethod,
    path: string,
    response: ObservedResponse,
    options: { bodyless?: boolean } = {},
  ): string[] {
    const where = `${label(method, path)} → ${response.status}`;
    const documented = this.operation(method, path).responses[
      String(response.status)
    ];
    if (!documented) {
      const statuses = Object.keys(this.operation(method, path).responses).join(
        ', ',
      );
      return [`${where}: status is not documented (documented: ${statuses})`];
    }
    const problems: string[] = [];
    for (const [name, documentedHeader] of Object.entries(
      documented.headers ?? {},
    )) {
      const value = header(response, name.toLowerCase());
      if (value === undefined) {
        if (documentedHeader.required)
          problems.push(`${where}: required header ${name} is missing`);
        continue;
      }
      const errors =
        documentedHeader.schema &&
        this.validate(documentedHeader.schema, value);
      if (errors)
        problems.push(
          `${where}: header ${name} does not match its schema: ${errors.replace(/^body/, name)}`,
        );
    }
    const contentType = header(response, 'content-type');
    const mediaType = contentType?.split(';')[0].trim().toLowerCase();
    const content = documented.content ?? {};
    if (Object.keys(content).length === 0) {
      if (response.text)
        problems.push(
          `${where}: documented without a body, got ${contentType}: ${response.text.slice(0, 200)}`,
        );
      return problems;
    }
    if (!mediaType || !(mediaType in content)) {
      problems.push(
        `${where}: content type ${contentType ?? '(none)'} is not documented (documented: ${Object.keys(content).join(', ')})`,
      );
      return problems;
    }
    const schema = content[mediaType].schema;
    if (!schema || options.bodyless) return problems;
    // A text media type (Prometheus metrics) is checked as text.
    if (!mediaType.endsWith('json')) {
      const errors = this.validate(schema, response.text ?? '');
      return errors
        ? [
            ...problems,
            `${where}: body does not match the ${mediaType} schema: ${errors}`,
          ]
        : problems;
    }
    let body: unknown;
    try {
      body = JSON.parse(response.text ?? '');
    } catch {
      return [
        ...problems,
        `${where}: body is not JSON: ${(response.text ?? '').slice(0, 200)}`,
      ];
    }
    const errors = this.validate(schema, body);
    if (errors)
      problems.push(
        `${where}: body does not match the ${mediaType} schema: ${errors}`,
      );
    return problems;
  }

  /** Component schemas that Ajv cannot compile in strict mode (unknown keywords, type clashes), one message each. */
  componentSchemaProblems(): string[] {
    return Object.keys(this.document.components.schemas).flatMap((name) => {
      try {
        this.ajv.getSchema(`${DOCUMENT_ID}#/definitions/${name}`);
        return [];
      } catch (error) {
        return [`components.schemas.${name}: ${(error as Error).message}`];
      }
    });
  }

  /** Problems with a request body against the operation's documented `requestBody`; empty when it fits. */
  requestBodyProblems(
    method: HttpMethod,
    path: string,
    body: unknown,
  ): string[] {
    const schema = this.operation(method, path).requestBody?.content[
      'application/json'
    ]?.schema;
    if (!schema)
      return [
        `${label(method, path)}: no application/json request body is documented`,
      ];
    const errors = this.validate(schema, body);
    return errors ? [`${label(method, path)} request body: ${errors}`] : [];
  }

  /** Ajv's error text for `value` against a schema of the document, or null when it fits. */
  private validate(schema: SchemaObject, value: unknown): string | null {
    const key = JSON.stringify(schema);
    let validator = this.validators.get(key);
    if (!validator) {
      validator = this.ajv.compile(toAjv(schema));
      this.validators.set(key, validator);
    }
    return validator(value)
      ? null
      : this.ajv.errorsText(validator.errors, { dataVar: 'body' });
  }
}

export function label(method: string, path: string): string {
  return `${method.toUpperCase()} ${path}`;
}

function header(response: ObservedResponse, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Points `#/components/schemas/X` references at the copy registered with Ajv. */
function toAjv<T>(node: T): T {
  if (Array.isArray(node)) return node.map(toAjv) as T;
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => [
      key,
      key === '$ref' &&
      typeof value === 'string' &&
      value.startsWith(COMPONENT_REF)
        ? `${DOCUMENT_ID}#/definitions/${value.slice(COMPONENT_REF.length)}`
        : toAjv(value),
    ]),
  ) as T;
}
