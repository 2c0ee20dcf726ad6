import { Controller, Get, Res, StreamableFile } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ProblemDetailsDto } from '@clusterlite/api';
import {
  NodeConfig,
  SNAPSHOT_CHECKSUMS_HEADER,
  SNAPSHOT_CONTENT_TYPE,
  SNAPSHOT_POSITIONS_HEADER,
} from '@clusterlite/core';
import type { Response } from 'express';
import { open, rm } from 'node:fs/promises';
import { SnapshotService } from './snapshot.service.js';

/** The snapshot a new node bootstraps from and an operator backs up, under the cluster prefix. */
@ApiTags('cluster')
@Controller('_cluster')
export class SnapshotController {
  constructor(
    private readonly snapshots: SnapshotService,
    private readonly config: NodeConfig,
  ) {}

  @Get('snapshot')
  @ApiOperation({
    summary: 'A consistent copy of this node’s SQLite file',
    description:
      'Made with VACUUM INTO on a connection of its own while the node goes on applying events. ' +
      `The file carries the positions it covers (also in the ${SNAPSHOT_POSITIONS_HEADER} header) and, ` +
      'in the table _clusterlite_snapshot_checksums, the checksum of every other table. One snapshot at a time per node.',
  })
  @ApiProduces(SNAPSHOT_CONTENT_TYPE)
  @ApiOkResponse({
    description: 'The SQLite file',
    schema: { type: 'string', format: 'binary' },
  })
  @ApiServiceUnavailableResponse({
    type: ProblemDetailsDto,
    description: 'Another snapshot is being made on this node (Retry-After)',
  })
  async download(
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile> {
    const path = this.snapshots.temporaryPath();
    const { contents, release } = await this.snapshots.take(path);
    try {
      const file = await open(path, 'r');
      // The open handle keeps the data; no copy outlives the response, even if the node dies.
      const size = await rm(path, { force: true })
        .then(() => file.stat())
        .then((stat) => stat.size)
        .catch(async (error: unknown) => {
          await file.close();
          throw error;
        });
      // Read up to its known size: the stream ends with its last chunk, not after one more read
      // of the file that finds nothing (a thread-pool round trip, which a client on a fast link
      // could outrun: it had the whole body while the slot was still taken).
      const stream = file.createReadStream({ start: 0, end: size - 1 });
      // Free once the file is read (before the client has the last byte), or when the client
      // goes, even before the stream was piped to it.
      stream.once('end', release).once('close', release);
      const abandon = () => {
        release();
        stream.destroy();
      };
      response.once('close', abandon);
      if (response.destroyed) abandon();
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      response.setHeader(
        SNAPSHOT_POSITIONS_HEADER,
        JSON.stringify(contents.positions),
      );
      response.setHeader(
        SNAPSHOT_CHECKSUMS_HEADER,
        JSON.stringify(contents.checksums),
      );
      return new StreamableFile(stream, {
        type: SNAPSHOT_CONTENT_TYPE,
        disposition: `attachment; filename="clusterlite-${this.config.nodeId}-${stamp}.sqlite"`,
        length: size,
      });
    } catch (error) {
      release();
      await rm(path, { force: true });
      throw error;
    }
  }
}
