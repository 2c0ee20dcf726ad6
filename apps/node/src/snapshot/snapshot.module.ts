import { Module } from '@nestjs/common';
import { SqliteModule } from '@clusterlite/core';
import { SnapshotScheduleService } from './snapshot-schedule.service.js';
import { SnapshotController } from './snapshot.controller.js';
import { SnapshotService } from './snapshot.service.js';

/**
 * Snapshots of this node's file: `GET /_cluster/snapshot` and the scheduled ones of
 * `SNAPSHOT_DIR`. A new node installs one before it starts (see `bootstrap-from-peer.ts`).
 */
@Module({
  imports: [SqliteModule],
  controllers: [SnapshotController],
  providers: [SnapshotService, SnapshotScheduleService],
})
export class SnapshotModule {}
