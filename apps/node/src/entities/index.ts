import type { Type } from '@nestjs/common';
import type { MigrationClass } from '@clusterlite/core';
import { MIGRATIONS } from '../migrations/index.js';
import { Product } from './product.entity.js';
import { TEST_BUILDS } from './upgrade-test/index.js';
import { User } from './user.entity.js';

/**
 * TEST ONLY: `CLUSTERLITE_TEST_ENTITIES=<name>` starts the node as a "next build" of
 * `upgrade-test/` (test/cluster/rolling-upgrade.cluster-spec.ts). Never set it in production.
 */
const testBuild = TEST_BUILDS[process.env.CLUSTERLITE_TEST_ENTITIES ?? ''];

/** Every replicated table of this node. Add an entity by listing its class here. */
export const ENTITIES: readonly Type<unknown>[] = testBuild?.entities ?? [
  User,
  Product,
];

/** The migrations of `ENTITIES`, in order (`apps/node/src/migrations`). */
export const ENTITY_MIGRATIONS: MigrationClass[] = [
  ...MIGRATIONS,
  ...(testBuild?.migrations ?? []),
];
