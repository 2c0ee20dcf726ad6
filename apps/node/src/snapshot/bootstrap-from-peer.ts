import { Logger } from '@nestjs/common';
import {
  downloadSnapshot,
  type NodeConfig,
  type SnapshotContents,
} from '@clusterlite/core';
import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/** How long a new node keeps trying to get a snapshot before it gives up and exits. */
const BOOTSTRAP_DEADLINE_MS = 10 * 60_000;
const RETRY_DELAY_MS = 3_000;

/** A whole, verified snapshot that this node must not start from: trying again cannot help. */
class UnusableSnapshotError extends Error {}

/**
 * Refuses a snapshot whose positions do not name this node's topics: one of an embedded node
 * (its positions are offsets of its own log, not of Kafka) or of another topic prefix.
 */
function acceptFor(config: NodeConfig) {
  return ({ positions, checksums }: SnapshotContents): void => {
    const embeddedLog = checksums.find(
      (table) => table.table === '_clusterlite_event_log',
    );
    if (embeddedLog && embeddedLog.rows > 0)
      throw new UnusableSnapshotError(
        'it is the file of an embedded node: its positions are offsets of its own log, not of Kafka',
      );
    const foreign = positions
      .map((position) => String(position.topic))
      .filter((topic) => !topic.startsWith(`${config.topicPrefix}.`));
    if (foreign.length > 0)
      throw new UnusableSnapshotError(
        `its positions name topics outside KAFKA_TOPIC_PREFIX=${config.topicPrefix} (${foreign.join(', ')})`,
      );
  };
}

async function hasData(path: string): Promise<boolean> {
  const file = await stat(path).catch(() => null);
  return file !== null && file.size > 0;
}

/**
 * Before the node opens its file: when `BOOTSTRAP_FROM` is set and `DB_PATH` is missing or
 * empty, installs a verified snapshot of a peer there, so the projection resumes from the
 * positions in it instead of replaying every topic from offset 0. A file with data wins:
 * `BOOTSTRAP_FROM` is then ignored. Failed attempts (peer down or busy, a cut download, a
 * file that does not verify) are retried; the node exits if none succeeds in time.
 */
export async function bootstrapFromPeerIfNeeded(
  config: NodeConfig,
): Promise<void> {
  const from = config.bootstrapFrom;
  if (!from) return;
  const logger = new Logger('Bootstrap');
  if (await hasData(config.dbPath)) {
    logger.log(
      `${config.dbPath} already holds data: BOOTSTRAP_FROM=${from} ignored, the node resumes from its own file`,
    );
    return;
  }
  await mkdir(dirname(config.dbPath), { recursive: true });
  const deadline = Date.now() + BOOTSTRAP_DEADLINE_MS;
  for (let attempt = 1; ; attempt += 1) {
    const started = Date.now();
    try {
      logger.log(`Downloading a snapshot from ${from} (attempt ${attempt})`);
      const { positions } = await downloadSnapshot(
        from,
        config.dbPath,
        acceptFor(config),
        config.bootstrapToken,
      );
      logger.log(
        `Installed a verified snapshot of ${from} at ${config.dbPath} in ${Date.now() - started} ms; ` +
          `consuming from ${positions.map((position) => `${String(position.topic)}:${String(position.partition)}@${String(position.offset)}`).join(', ') || 'the start of every topic'}`,
      );
      return;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (error instanceof UnusableSnapshotError) {
        logger.fatal(
          `The snapshot of ${from} cannot start this node: ${reason}. Nothing was written to ${config.dbPath}.`,
        );
        process.exit(1);
      }
      if (Date.now() + RETRY_DELAY_MS > deadline) {
        logger.fatal(
          `No snapshot could be installed from ${from}: ${reason}. Nothing was written to ${config.dbPath}.`,
        );
        process.exit(1);
      }
      logger.warn(
        `Snapshot from ${from} failed (${reason}); nothing installed, retrying in ${RETRY_DELAY_MS} ms`,
      );
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
    }
  }
}
