import type { MigrationClass } from '@clusterlite/core';
import { Initial1796044156860 } from './1796044156860-Initial.js';

/** The migrations of the node, in order. Written by `npm run migration:generate`. */
export const MIGRATIONS: MigrationClass[] = [Initial1796044156860];
