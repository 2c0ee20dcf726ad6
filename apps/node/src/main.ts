import 'reflect-metadata';
import {
  InvalidConfigurationError,
  MigrationRefusedError,
  NodeConfig,
} from '@clusterlite/core';
import { announceNode } from './configure-node.js';
import { createNodeApp } from './create-node-app.js';
import { ENTITIES } from './entities/index.js';
import { generateMigration } from './migrations/generate-migration.js';
import {
  limitHeapGrowth,
  releaseStartupMemory,
} from './release-startup-memory.js';
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
  limitHeapGrowth();
  const config = loadConfig();
  await bootstrapFromPeerIfNeeded(config);
  try {
    const app = await createNodeApp(config);
    // Before it serves or applies anything: see releaseStartupMemory.
    releaseStartupMemory();
    await app.listen(config.port);
  } catch (error) {
    // A refused migration leaves the file as it was: say why and do not start.
    if (!(error instanceof MigrationRefusedError)) throw error;
    process.stderr.write(`Not started: ${error.message}\n`);
    process.exit(1);
  }
  announceNode(config, config.port);
}

/** `npm run migration:generate -- <Name>` runs the built node with these arguments. */
async function migrationGenerate(name: string | undefined): Promise<void> {
  const { file, messages } = await generateMigration(name, ENTITIES);
  process.stdout.write(`${messages.join('\n')}\n`);
  if (!file && messages[0] !== 'No changes in the entity classes.')
    process.exitCode = 1;
}

if (process.argv[2] === 'migration:generate') {
  await migrationGenerate(process.argv[3]);
} else {
  await bootstrap();
}
