import 'reflect-metadata';
import { InvalidConfigurationError, NodeConfig } from '@clusterlite/core';
import { announceNode } from './configure-node.js';
import { createNodeApp } from './create-node-app.js';
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
  const app = await createNodeApp(config);
  await app.listen(config.port);
  announceNode(config, config.port);
}

await bootstrap();
