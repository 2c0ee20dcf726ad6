import { Injectable } from '@nestjs/common';
import { NodeConfig } from '@clusterlite/core';
import { EntityRegistry } from '@clusterlite/registry';
import { DataSource } from 'typeorm';
import { AppliedPositions } from './applied-positions.js';
import { TableChecksums, type TableChecksum } from './table-checksums.js';

export interface TopicProgress {
  topic: string;
  partition: number;
  /** Offset of the last event applied, or null. */
  appliedOffset: string | null;
  /** Offset the next event will get on the log (high watermark), when known. */
  endOffset: string | null;
  /** Events on the log that this node has not applied yet, when known. */
  lag: number | null;
}

export type { TableChecksum } from './table-checksums.js';

export interface VerifiedTableChecksum extends TableChecksum {
  /** The checksum summed again from every row now. */
  recomputed: string;
  /** Whether the kept checksum and row count match the recomputed ones. */
  matches: boolean;
}

/** Reads end offsets of the log; implemented per transport. */
export abstract class LogEndOffsets {
  abstract endOffsets(topics: string[]): Promise<Map<string, bigint>>;
}

/** What a node reports about its replica: positions, lag and checksums. */
@Injectable()
export class ReplicaStatusService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly registry: EntityRegistry,
    private readonly positions: AppliedPositions,
    private readonly config: NodeConfig,
    private readonly logEnds: LogEndOffsets,
    private readonly tableChecksums: TableChecksums,
  ) {}

  async progress(): Promise<TopicProgress[]> {
    const topics = this.registry
      .all()
      .map((definition) => this.config.topicFor(definition.table));
    const ends = await this.logEnds
      .endOffsets(topics)
      .catch(() => new Map<string, bigint>());
    return topics.map((topic) => {
      const applied = this.positions.get(topic, 0);
      const end = ends.get(`${topic}:0`) ?? null;
      return {
        topic,
        partition: 0,
        appliedOffset: applied === null ? null : applied.toString(),
        endOffset: end === null ? null : end.toString(),
        lag:
          end === null
            ? null
            : Number(end - (applied === null ? 0n : applied + 1n)),
      };
    });
  }

  /** The checksums the projection keeps: as cheap at 10 million rows as at 10. */
  checksums(): Promise<TableChecksum[]> {
    return this.tableChecksums.current();
  }

  /** Every table summed again and compared with the kept checksum. */
  verifyChecksums(): Promise<VerifiedTableChecksum[]> {
    return this.tableChecksums.verify();
  }

  async deadLetterCount(): Promise<number> {
    const [{ count }] = await this.dataSource.query(
      'SELECT COUNT(*) AS count FROM "_clusterlite_dead_letters"',
    );
    return count;
  }

  async rejectedCount(): Promise<number> {
    const [{ count }] = await this.dataSource.query(
      `SELECT COUNT(*) AS count FROM "_clusterlite_outcomes" WHERE "status" = 'rejected'`,
    );
    return count;
  }
}
