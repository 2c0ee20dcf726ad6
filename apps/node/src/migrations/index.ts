import type { MigrationClass } from '@clusterlite/core';
import { Initial1796044156860 } from './1796044156860-Initial.js';
import { AddDeadLetterRedrive1796044700000 } from './1796044700000-AddDeadLetterRedrive.js';
import { AdoptEarlierFiles1796045000000 } from './1796045000000-AdoptEarlierFiles.js';

/** The migrations of the node, in order. Written by `npm run migration:generate`. */
export const MIGRATIONS: MigrationClass[] = [
  Initial1796044156860,
  AddDeadLetterRedrive1796044700000,
  AdoptEarlierFiles1796045000000,
];
