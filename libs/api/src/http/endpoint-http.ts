import type { Request, Response } from 'express';
import {
  headersOfError,
  JsonText,
  type EndpointRequest,
  type EndpointResult,
} from '../endpoint-result.js';
import { principalOf } from './request-principal.js';

/** The plain view of an Express request that the entity endpoints take. */
export function endpointRequest(request: Request): EndpointRequest {
  return {
    method: request.method,
    url: request.originalUrl,
    role: principalOf(request).role,
    // Node's own lower-cased headers, not a copy: the endpoints read only single-valued ones.
    headers: request.headers as EndpointRequest['headers'],
  };
}

/**
 * Writes an endpoint's status and headers on the response and gives its body
 * back to Nest (JSON text as a string, which Express sends as it is); on an
 * error, the headers decided before it still go out.
 */
export async function send<T>(
  response: Response,
  pending: Promise<EndpointResult<T>>,
): Promise<Exclude<T, JsonText> | string> {
  let result: EndpointResult<T>;
  try {
    result = await pending;
  } catch (error) {
    for (const [name, value] of Object.entries(headersOfError(error)))
      response.setHeader(name, value);
    throw error;
  }
  for (const [name, value] of Object.entries(result.headers))
    response.setHeader(name, value);
  if (result.status !== undefined) response.status(result.status);
  if (!(result.body instanceof JsonText))
    return result.body as Exclude<T, JsonText>;
  response.type('application/json');
  return result.body.text;
}
