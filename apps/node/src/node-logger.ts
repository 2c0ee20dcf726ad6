import { ConsoleLogger } from '@nestjs/common';

/**
 * Nest's own start-up lines: one per module, controller and route, of every node. Useful when
 * a route is missing (`LOG_LEVEL=debug`), noise otherwise.
 */
const FRAMEWORK_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
  'NestMicroservice',
]);

/**
 * The node's logger: Nest's console logger, with Nest's start-up chatter (route mappings,
 * module initialisation) at debug level, so a start shows what the node says about itself.
 */
export class NodeLogger extends ConsoleLogger {
  override log(message: unknown, ...rest: unknown[]): void {
    const context = rest.at(-1);
    if (typeof context === 'string' && FRAMEWORK_CONTEXTS.has(context)) {
      super.debug(message, ...rest);
      return;
    }
    super.log(message, ...rest);
  }
}
