#!/usr/bin/env node
// @ts-check
// Backs up a ClusterLite node: downloads GET /_cluster/snapshot from a node (or nginx) to
// <file>.download, flushes it to disk, verifies it (PRAGMA integrity_check and the table
// checksums the snapshot carries) and only then renames it to <file>.
//
//   npm run backup -- --from http://127.0.0.1:8082 --to backups/clusterlite.sqlite
//
// A node with API keys needs an admin key: CLUSTERLITE_TOKEN=<admin key> in the environment
// (not a flag, so it stays out of the process list and shell history).
//
// Restore: start a node with DB_PATH on a copy of the file; it catches up from the log.
// The snapshot code is the node's own (TypeScript, run through Node's type stripping).
import { parseArgs } from 'node:util';
import { downloadSnapshot } from '../libs/core/src/storage/snapshot-file.ts';

const { values } = parseArgs({
  options: { from: { type: 'string' }, to: { type: 'string' } },
});
if (!values.from || !values.to) {
  process.stderr.write(
    'Usage: npm run backup -- --from <node or nginx URL> --to <file>\n',
  );
  process.exit(2);
}
const started = Date.now();
try {
  const { positions, checksums } = await downloadSnapshot(
    values.from,
    values.to,
    undefined,
    process.env.CLUSTERLITE_TOKEN || null,
  );
  process.stdout.write(
    `Backup of ${values.from} verified and written to ${values.to} in ${Date.now() - started} ms\n` +
      `  positions: ${positions.map((p) => `${String(p.topic)}:${String(p.partition)}@${String(p.offset)}`).join(', ') || 'none'}\n` +
      `  tables: ${checksums.map((c) => `${c.table} (${c.rows} rows)`).join(', ')}\n`,
  );
} catch (error) {
  process.stderr.write(
    `Backup failed, nothing written to ${values.to}: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}
