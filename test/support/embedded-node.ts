import type { NestExpressApplication } from '@nestjs/platform-express';
import { NodeConfig } from '@clusterlite/core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';

export { eventually } from './eventually.js';
import { createNodeApp } from '../../apps/node/src/create-node-app.js';

export interface EmbeddedNode {
  app: NestExpressApplication;
  http: ReturnType<typeof request>;
  dbPath: string;
  close(): Promise<void>;
}

/** A whole node in embedded mode, in this process, with its own SQLite file. */
export async function startEmbeddedNode(
  env: Record<string, string> = {},
): Promise<EmbeddedNode> {
  const dbPath =
    env.DB_PATH ??
    join(mkdtempSync(join(tmpdir(), 'clusterlite-e2e-')), 'node.sqlite');
  const config = NodeConfig.fromEnvironment({
    NODE_ID: 'e2e',
    ...env,
    DB_PATH: dbPath,
  });
  const app = await createNodeApp(config, { logger: ['error'] });
  return {
    app,
    http: request(app.getHttpServer()),
    dbPath,
    close: () => app.close(),
  };
}

/**
 * The node of a test file or `describe` block: started before its tests, closed after them.
 * Its properties are those of the node once started.
 */
export function useEmbeddedNode(
  env: Record<string, string> = {},
): EmbeddedNode {
  let node: EmbeddedNode | undefined;
  beforeAll(async () => {
    node = await startEmbeddedNode(env);
  });
  afterAll(async () => {
    await node?.close();
  });
  const started = (): EmbeddedNode => {
    if (!node)
      throw new Error(
        'the node starts in beforeAll: use it inside a test or hook',
      );
    return node;
  };
  return {
    get app() {
      return started().app;
    },
    get http() {
      return started().http;
    },
    get dbPath() {
      return started().dbPath;
    },
    close: () => started().close(),
  };
}
