import { defineConfig } from 'vitest/config';

/**
 * Four projects, all run by `npm test`:
 * - unit: specs beside the code (real in-memory SQLite where storage is involved);
 * - e2e: whole nodes in embedded mode over HTTP (supertest);
 * - cluster: real node processes against a real Kafka broker (started by the
 *   global setup from Maven jars, unless KAFKA_BROKERS is given), one file at a time;
 * - walkthrough: the README's marked blocks, typed in a scratch copy as a newcomer would.
 */
export default defineConfig({
  resolve: { tsconfigPaths: true },
  test: {
    globals: true,
    setupFiles: ['reflect-metadata'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['libs/**/*.spec.ts', 'apps/**/*.spec.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.e2e-spec.ts'],
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'cluster',
          include: ['test/cluster/**/*.cluster-spec.ts'],
          globalSetup: ['test/cluster/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 240_000,
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'walkthrough',
          include: ['test/walkthrough/**/*.walkthrough-spec.ts'],
          testTimeout: 480_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
