import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { NodeConfig } from '@clusterlite/core';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SnapshotService } from './snapshot.service.js';

/**
 * Writes a snapshot to `SNAPSHOT_DIR` every `SNAPSHOT_INTERVAL` and keeps the last
 * `SNAPSHOT_KEEP` of them. Each file is written under a temporary name and renamed once
 * whole, so the folder only ever holds complete snapshots.
 */
@Injectable()
export class SnapshotScheduleService
  implements OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger(SnapshotScheduleService.name);
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly snapshots: SnapshotService,
    private readonly config: NodeConfig,
  ) {}

  onApplicationBootstrap(): void {
    const folder = this.config.snapshotDir;
    if (!folder) return;
    this.logger.log(
      `Scheduled snapshots to ${folder} every ${this.config.snapshotIntervalMs / 1000}s, keeping ${this.config.snapshotKeep}`,
    );
    this.timer = setInterval(() => {
      void this.snapshotTo(folder).catch((error: unknown) =>
        this.logger.error(`Scheduled snapshot failed: ${String(error)}`),
      );
    }, this.config.snapshotIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Writes one snapshot into `folder` and prunes the oldest; skips a round while another snapshot runs. */
  async snapshotTo(folder: string): Promise<string | null> {
    if (this.snapshots.inProgress) {
      this.logger.warn('Scheduled snapshot skipped: another one is running');
      return null;
    }
    await mkdir(folder, { recursive: true });
    const prefix = `clusterlite-${this.config.nodeId}-`;
    // ISO time sorts as text, so the names sort oldest first.
    const name = `${prefix}${new Date().toISOString().replace(/[:.]/g, '-')}.sqlite`;
    const partial = join(folder, `.${name}.partial`);
    const { release } = await this.snapshots.take(partial);
    try {
      const file = await open(partial, 'r+');
      await file.sync();
      await file.close();
      await rename(partial, join(folder, name));
      const directory = await open(folder, 'r');
      await directory.sync();
      await directory.close();
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    } finally {
      release();
    }
    const kept = (await readdir(folder))
      .filter((entry) => entry.startsWith(prefix) && entry.endsWith('.sqlite'))
      .sort();
    for (const old of kept.slice(0, -this.config.snapshotKeep))
      await rm(join(folder, old), { force: true });
    return join(folder, name);
  }
}
