import { NestFactory } from '@nestjs/core';
import type { LogLevel } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NodeConfig } from '@clusterlite/core';
import { configureNode, logLevelsFor } from './configure-node.js';
import { NodeLogger } from './node-logger.js';
import { NodeModule } from './node.module.js';

/**
 * One whole node, configured and initialised, not yet listening. Shared by
 * `main.ts` and the in-process test node, so both run the same node.
 *
 * @example
 * const app = await createNodeApp(NodeConfig.fromEnvironment(process.env));
 * await app.listen(config.port);
 */
export async function createNodeApp(
  config: NodeConfig,
  options: { logger?: LogLevel[] } = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    NodeModule.register(config),
    {
      bodyParser: false,
      // Throw start-up errors (e.g. a refused migration) to the caller instead of aborting.
      abortOnError: false,
      // Shut down promptly: idle keep-alive connections must not hold the process.
      forceCloseConnections: true,
      logger:
        options.logger ??
        new NodeLogger({
          logLevels: logLevelsFor(config),
          // Colour only on a terminal, and never with NO_COLOR (https://no-color.org).
          colors: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
        }),
    },
  );
  await configureNode(app, config);
  return app;
}
