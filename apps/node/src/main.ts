import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { InvalidConfigurationError, NodeConfig } from '@clusterlite/core';
import { announceNode, configureNode, logLevelsFor } from './configure-node.js';
import { NodeLogger } from './node-logger.js';
import { NodeModule } from './node.module.js';

function loadConfig(): NodeConfig {
  try {
    return NodeConfig.fromEnvironment(process.env);
  } catch (error) {
    if (!(error instanceof InvalidConfigurationError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  const app = await NestFactory.create<NestExpressApplication>(
    NodeModule.register(config),
    {
      bodyParser: false,
      // Shut down promptly: idle keep-alive connections must not hold the process.
      forceCloseConnections: true,
      logger: new NodeLogger({
        logLevels: logLevelsFor(config),
        // Colour only on a terminal, and never with NO_COLOR (https://no-color.org).
        colors: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
      }),
    },
  );
  await configureNode(app, config);
  await app.listen(config.port);
  announceNode(config, config.port);
}

await bootstrap();
