import { Injectable } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { DataSource } from 'typeorm';
import { SqliteWriter } from '@clusterlite/core';

export interface EmbeddedLogEntry {
  topic: string;
  offset: number;
  key: string;
  value: string;
}

/**
 * The durable log of embedded mode, a table in the node's own SQLite file.
 * Offsets count from 0 per topic, like a one-partition Kafka topic.
 */
@Injectable()
export class EmbeddedEventLog {
  private readonly appended = new EventEmitter();

  constructor(
    private readonly writer: SqliteWriter,
    private readonly dataSource: DataSource,
  ) {
    this.appended.setMaxListeners(0);
  }

  /** Appends entries durably and returns the offset of the first one. */
  async append(
    topic: string,
    entries: { key: string; value: string }[],
  ): Promise<number> {
    const baseOffset = await this.writer.transaction(async (tx) => {
      const [{ next }] = await tx.rows<{ next: number }>(
        'SELECT COALESCE(MAX("offset"), -1) + 1 AS next FROM "_clusterlite_event_log" WHERE "topic" = ?',
        [topic],
      );
      let offset = next;
      for (const entry of entries) {
        await tx.execute(
          'INSERT INTO "_clusterlite_event_log" ("topic", "offset", "key", "value") VALUES (?, ?, ?, ?)',
          [topic, offset++, entry.key, entry.value],
        );
      }
      return next;
    });
    this.appended.emit('append', topic);
    return baseOffset;
  }

  /** Entries of `topic` after `afterOffset` (all when null), oldest first. */
  async readAfter(
    topic: string,
    afterOffset: number | null,
    limit: number,
  ): Promise<EmbeddedLogEntry[]> {
    return this.dataSource.query(
      'SELECT "topic", "offset", "key", "value" FROM "_clusterlite_event_log" WHERE "topic" = ? AND "offset" > ? ORDER BY "offset" LIMIT ?',
      [topic, afterOffset ?? -1, limit],
    );
  }

  /** Offset the next entry of `topic` will get (Kafka's high watermark). */
  async endOffset(topic: string): Promise<number> {
    const [{ next }] = await this.dataSource.query(
      'SELECT COALESCE(MAX("offset"), -1) + 1 AS next FROM "_clusterlite_event_log" WHERE "topic" = ?',
      [topic],
    );
    return next;
  }

  onAppend(listener: (topic: string) => void): () => void {
    this.appended.on('append', listener);
    return () => this.appended.off('append', listener);
  }
}
