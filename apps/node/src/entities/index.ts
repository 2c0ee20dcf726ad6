import { Product } from './product.entity.js';
import { User } from './user.entity.js';

/** Every replicated table of this node. Add an entity by listing its class here. */
export const ENTITIES = [User, Product];
