import type { Response, Test } from 'supertest';
import type { EmbeddedNode } from './embedded-node.js';

/** A route as Express's router stack holds it. */
export interface RouteOfStack {
  path: string;
  methods: Record<string, boolean>;
}

interface RouteLayer {
  route?: RouteOfStack;
  handle: (...args: unknown[]) => unknown;
}

/**
 * Counts the requests that reach the node's own (Nest) routes that `matches` picks, to show
 * which requests a shortcut ahead of Nest's router answered and which went on to Nest.
 */
export function countNestRoutes(
  node: EmbeddedNode,
  matches: (route: RouteOfStack) => boolean,
): { count: number } {
  const stack = (
    node.app.getHttpAdapter().getInstance() as {
      router: { stack: RouteLayer[] };
    }
  ).router.stack;
  const counter = { count: 0 };
  for (const layer of stack) {
    if (!layer.route || !matches(layer.route)) continue;
    const handle = layer.handle;
    layer.handle = (...args: unknown[]) => {
      counter.count++;
      return handle(...args);
    };
  }
  return counter;
}

/**
 * `sameBothWays(nest, call, path)` for a shortcut's spec: sends `path` through the shortcut,
 * then with its table name upper-cased, which Express still routes to Nest's route (it matches
 * case-insensitively) but the shortcut does not take; `nest` (from `countNestRoutes`) shows
 * which way each went, and both answers must look alike to a client (`seen`).
 */
export function comparesBothWays<T>(
  seen: (response: Response) => T,
): (
  nest: { count: number },
  call: (path: string) => Test,
  path: string,
) => Promise<T> {
  return async (nest, call, path) => {
    const before = nest.count;
    const shortcut = await call(path);
    expect(nest.count).toBe(before);
    const routed = await call(path.replace('/users', '/USERS'));
    expect(nest.count).toBe(before + 1);
    expect(seen(shortcut)).toEqual(seen(routed));
    return seen(shortcut);
  };
}
