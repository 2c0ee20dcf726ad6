import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import {
  NodeConfig,
  SnapshotInProgressError,
  SnapshotUnavailableError,
  SqliteReader,
  writeSnapshot,
  type SnapshotContents,
} from '@clusterlite/core';
import { randomUUID } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Seconds a client is asked to wait while another snapshot is being made. */
const RETRY_AFTER_SECONDS = 30;

/**
 * Makes snapshots of this node's SQLite file, one at a time: a copy of a large file costs
 * disk and a core, and the node keeps both for applying events. The HTTP endpoint and the
 * scheduled snapshots share this one path and its one slot.
 */
@Injectable()
export class SnapshotService implements OnModuleInit {
  private readonly logger = new Logger(SnapshotService.name);
  private busy = false;

  constructor(
    private readonly config: NodeConfig,
    private readonly reader: SqliteReader,
  ) {}

  /** Copies left by a node killed while making one are of no use to anyone. */
  async onModuleInit(): Promise<void> {
    if (!this.snapshotsPossible) return;
    const prefix = `${basename(this.config.dbPath)}.snapshot-`;
    const folder = dirname(this.config.dbPath);
    const names = await readdir(folder).catch(() => [] as string[]);
    for (const name of names.filter((entry) => entry.startsWith(prefix)))
      await rm(join(folder, name), { force: true });
  }

  /** A path beside the node's file (same disk) for a snapshot in the making. */
  temporaryPath(): string {
    return `${this.config.dbPath}.snapshot-${randomUUID()}`;
  }

  /**
   * Writes a snapshot to `targetPath` and holds the slot until `release` is called (the
   * endpoint holds it while it streams). Throws SnapshotInProgressError when the slot is taken.
   */
  async take(
    targetPath: string,
  ): Promise<{ contents: SnapshotContents; release: () => void }> {
    if (!this.snapshotsPossible)
      throw new SnapshotUnavailableError(
        'This node keeps its database in memory; it has no file to snapshot',
      );
    if (this.busy) throw new SnapshotInProgressError(RETRY_AFTER_SECONDS);
    this.busy = true;
    let released = false;
    const release = () => {
      if (!released) this.busy = false;
      released = true;
    };
    const started = Date.now();
    try {
      // In the node's SQLite worker thread: the copy and its checksums read whole tables.
      const contents = await writeSnapshot(
        this.config.dbPath,
        targetPath,
        (path, readOnly) => this.reader.openInWorker(path, readOnly),
      );
      this.logger.log(
        `Snapshot of ${this.config.dbPath} written to ${targetPath} in ${Date.now() - started} ms ` +
          `(${contents.positions.map((position) => `${String(position.topic)}:${String(position.partition)}@${String(position.offset)}`).join(', ') || 'no positions'})`,
      );
      return { contents, release };
    } catch (error) {
      release();
      await rm(targetPath, { force: true });
      throw error;
    }
  }

  get inProgress(): boolean {
    return this.busy;
  }

  private get snapshotsPossible(): boolean {
    return this.config.dbPath !== ':memory:';
  }
}
