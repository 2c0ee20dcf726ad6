/**
 * What the entity endpoints take and give instead of Express objects: the few
 * request headers they read (lower-case names), the method, the URL as sent and
 * the caller's role in; a status (when not the route's default), headers and a
 * body out. The controllers translate (see http/endpoint-http.ts).
 */
export interface EndpointRequest {
  method: string;
  /** Path and query as the client sent them. */
  url: string;
  role: string;
  /** Request headers by lower-case name; absent ones are undefined. */
  headers: Readonly<Record<string, string | undefined>>;
}

export interface EndpointResult<T> {
  /** Undefined: the route's default status (@HttpCode). */
  status?: number;
  headers: Record<string, string>;
  body: T;
}

/**
 * A body already serialized as JSON (a page of rows, serialized where it was read): sent as
 * it is, as `application/json`.
 */
export class JsonText {
  constructor(readonly text: string) {}
}

const HEADERS_OF_ERROR = new WeakMap<object, Record<string, string>>();

/**
 * Runs `work`; if it throws, the headers decided so far go with the error
 * (a 409 after a write still names the write's position).
 */
export async function keepingHeaders<T>(
  headers: Record<string, string>,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (typeof error === 'object' && error !== null)
      HEADERS_OF_ERROR.set(error, { ...headers });
    throw error;
  }
}

/** The headers decided before `error` was thrown, if any. */
export function headersOfError(error: unknown): Record<string, string> {
  return typeof error === 'object' && error !== null
    ? (HEADERS_OF_ERROR.get(error) ?? {})
    : {};
}
