import type { Type } from '@nestjs/common';
import type { MigrationClass } from '@clusterlite/core';
import { ENTITIES } from './entities/index.js';
import { TEST_BUILDS } from './entities/upgrade-test/index.js';
import { MIGRATIONS } from './migrations/index.js';

/**
 * TEST ONLY: `CLUSTERLITE_TEST_ENTITIES=<name>` starts the node as a "next build" of
 * `entities/upgrade-test/` (test/cluster/rolling-upgrade.cluster-spec.ts), so that one build
 * can play two releases. Never set it in production. `entities/index.ts` stays the one list a
 * user edits.
 */
const testBuild = TEST_BUILDS[process.env.CLUSTERLITE_TEST_ENTITIES ?? ''];

/** The replicated tables this node serves: `ENTITIES`, unless a test build replaces them. */
export const NODE_ENTITIES: readonly Type<unknown>[] =
  testBuild?.entities ?? ENTITIES;

/** The migrations of those tables, in order (`apps/node/src/migrations`). */
export const NODE_MIGRATIONS: MigrationClass[] = [
  ...MIGRATIONS,
  ...(testBuild?.migrations ?? []),
];
