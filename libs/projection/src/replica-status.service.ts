import { Injectable } from '@nestjs/common';
import { LogStops, NodeConfig, SqliteReader } from '@clusterlite/core';
import { LogEndOffsets } from '@clusterlite/event-log';
import { EntityRegistry } from '@clusterlite/registry';
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
  /** Why this node stopped projecting the topic (a gap, a file of another log); null while it projects it. */
  stopped: string | null;
}

export type { TableChecksum } from './table-checksums.js';

export interface VerifiedTableChecksum extends TableChecksum {
  /** The checksum summed again from every row now. */
  recomputed: string;
  /** Whether the kept checksum and row count match the recomputed ones. */
  matches: boolean;
}

/** What a node reports about its replica: positions, lag and checksums. */
@Injectable()
export class ReplicaStatusService {
  constructor(
    private readonly reader: SqliteReader,
    private readonly registry: EntityRegistry,
    private readonly positions: AppliedPositions,
    private readonly config: NodeConfig,
    private readonly logEnds: LogEndOffsets,
    private readonly stops: LogStops,
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
        stopped: this.stops.reasonFor(topic),
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
    const [{ count }] = await this.reader.read<{ count: number }>(
      'SELECT COUNT(*) AS count FROM "_clusterlite_dead_letters"',
    );
    return count;
  }

  /** Messages skipped because they repeated an event already applied in their table. */
  async skippedDuplicateCount(): Promise<number> {
    const [{ count }] = await this.reader.read<{ count: number }>(
      'SELECT COUNT(*) AS count FROM "_clusterlite_skipped_duplicates"',
    );
    return count;
  }

  async rejectedCount(): Promise<number> {
    const [{ count }] = await this.reader.read<{ count: number }>(
      `SELECT COUNT(*) AS count FROM "_clusterlite_outcomes" WHERE "status" = 'rejected'`,
    );
    return count;
  }
}
