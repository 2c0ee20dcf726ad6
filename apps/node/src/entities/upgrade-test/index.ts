import type { Type } from '@nestjs/common';
import type { MigrationClass } from '@clusterlite/core';
import { User } from '../user.entity.js';
import { AddProductColor1796044164270 } from './1796044164270-AddProductColor.js';
import { AddUniqueProductName1796044197379 } from './1796044197379-AddUniqueProductName.js';
import { Product as ProductWithColor } from './product-with-color.entity.js';
import { Product as ProductWithUniqueName } from './product-unique-name.entity.js';

/**
 * TEST ONLY: "next builds" for test/cluster/rolling-upgrade.cluster-spec.ts, chosen with
 * `CLUSTERLITE_TEST_ENTITIES=<name>`: the entity classes as a user would change them and the
 * migrations `npm run migration:generate` wrote for them (after the node's own migrations).
 */
export const TEST_BUILDS: Record<
  string,
  { entities: readonly Type<unknown>[]; migrations: MigrationClass[] }
> = {
  // `Product` with a new optional field `color`, schema version 2.
  upgrade: {
    entities: [User, ProductWithColor],
    migrations: [AddProductColor1796044164270],
  },
  // `Product` with a unique index on `name`.
  'unique-name': {
    entities: [User, ProductWithUniqueName],
    migrations: [AddUniqueProductName1796044197379],
  },
};
