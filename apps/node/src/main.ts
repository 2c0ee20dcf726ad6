import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { InvalidConfigurationError, NodeConfig } from '@clusterlite/core';
import { configureNode, logLevelsFor } from './configure-node.js';
import { NodeModule } from './node.module.js';
import { bootstrapFromPeerIfNeeded } from './snapshot/bootstrap-from-peer.js';

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
  await bootstrapFromPeerIfNeeded(config);
  const app = await NestFactory.create<NestExpressApplication>(
    NodeModule.register(config),
    {
      bodyParser: false,
      // Shut down promptly: idle keep-alive connections must not hold the process.
      forceCloseConnections: true,
      logger: logLevelsFor(config),
    },
  );
  await configureNode(app, config);
  await app.listen(config.port);
}

await bootstrap();
