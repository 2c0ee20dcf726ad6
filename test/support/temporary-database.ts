import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A path for a new SQLite file in a directory of its own under the system's temporary
 * directory. Unit specs use a file, not `:memory:`: the node's writer opens a connection of its
 * own beside TypeORM's, and an in-memory database is private to the connection that made it.
 */
export function temporaryDatabasePath(): string {
  return join(mkdtempSync(join(tmpdir(), 'clusterlite-spec-')), 'node.sqlite');
}
