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
