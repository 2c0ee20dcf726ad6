import type { Request } from 'express';

/** What the Express router exposes of a route layer (router 2.x). */
interface RouteLayer {
  route?: { methods: Record<string, boolean> };
  match(path: string): unknown;
}

/**
 * The methods the application's routes answer on the path of `request`, for
 * the `Allow` header of a 405 (RFC 9110): read from the router, so it is true
 * of every route, documented or not. HEAD comes with GET and OPTIONS with any
 * route (CORS preflight). Empty when no route has this path: a 404.
 *
 * @example allowedMethods(traceRequestOf('/_cluster/status')) // ['GET', 'HEAD', 'OPTIONS']
 */
export function allowedMethods(request: Request): string[] {
  const router = (
    request.app as unknown as { router?: { stack?: RouteLayer[] } }
  ).router;
  const methods = new Set<string>();
  for (const layer of router?.stack ?? []) {
    if (!layer.route || !layer.match(request.path)) continue;
    for (const [method, answered] of Object.entries(layer.route.methods)) {
      if (answered && method !== '_all') methods.add(method.toUpperCase());
    }
  }
  if (methods.size === 0) return [];
  if (methods.has('GET')) methods.add('HEAD');
  methods.add('OPTIONS');
  return [...methods].sort();
}
