import type { Type } from '@nestjs/common';
import { Product } from './product.entity.js';
import { Product as ProductWithColor } from './upgrade-test/product-with-color.entity.js';
import { User } from './user.entity.js';

/** Every replicated table of this node. Add an entity by listing its class here. */
const NODE_ENTITIES: readonly Type<unknown>[] = [User, Product];

/**
 * TEST ONLY: the entities of the "next build" of a rolling upgrade
 * (test/cluster/rolling-upgrade.cluster-spec.ts), chosen with
 * `CLUSTERLITE_TEST_ENTITIES=upgrade`. Never set it in production.
 */
const UPGRADE_TEST_ENTITIES: readonly Type<unknown>[] = [
  User,
  ProductWithColor,
];

export const ENTITIES =
  process.env.CLUSTERLITE_TEST_ENTITIES === 'upgrade'
    ? UPGRADE_TEST_ENTITIES
    : NODE_ENTITIES;
