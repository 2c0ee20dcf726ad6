import { Injectable, Logger } from '@nestjs/common';
import { LogStops, NodeConfig, SqliteWriter } from '@clusterlite/core';
import { DataSource } from 'typeorm';

/** `embedded`, or `kafka:<cluster id>`. */
export type LogName = string;

const describe = (log: LogName): string =>
  log === 'embedded'
    ? 'the embedded log of a node without KAFKA_BROKERS'
    : log === 'kafka'
      ? 'a Kafka cluster'
      : `the Kafka cluster ${log.slice('kafka:'.length)}`;

/**
 * Which log the node's file was built from. Its positions name offsets of
 * that log: applied to another log, they would skip that log's first events
 * as "already applied" (and every later write, answered 202, would never be
 * applied here). So the first log a file is used with is recorded in it, and
 * a node on another log refuses the file: it projects nothing and says what
 * to do.
 */
@Injectable()
export class LogIdentity {
  private readonly logger = new Logger(LogIdentity.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly writer: SqliteWriter,
    private readonly stops: LogStops,
    private readonly config: NodeConfig,
  ) {}

  /** Records `current` in a file that has none; false (and the node refuses the file) when it belongs to another log. */
  async claim(current: LogName): Promise<boolean> {
    const recorded = await this.recorded();
    if (recorded === null || (recorded === 'kafka' && current !== 'embedded')) {
      await this.writer.transaction((tx) =>
        tx.execute(
          'INSERT INTO "_clusterlite_log" ("name", "value") VALUES (\'log\', ?) ' +
            'ON CONFLICT ("name") DO UPDATE SET "value" = excluded."value"',
          [current],
        ),
      );
      return true;
    }
    if (recorded === current) return true;
    const reason =
      `the file ${this.config.dbPath} holds rows and positions of ${describe(recorded)}, ` +
      `and this node is on ${describe(current)}: applying this log onto it would skip events as already applied. ` +
      'Start this node with a new DB_PATH (an empty file catches up from the log), or run it again on the log the file belongs to; ' +
      'to carry the rows over, write them through the API of a node of the new log.';
    this.logger.error(`Refusing to project: ${reason}`);
    this.stops.refuseFile(reason);
    return false;
  }

  /** The recorded log; for files from before the record, read from what they hold. */
  private async recorded(): Promise<LogName | null> {
    const [row] = await this.dataSource.query(
      'SELECT "value" FROM "_clusterlite_log" WHERE "name" = \'log\'',
    );
    if (row) return row.value as string;
    const [{ positions }] = await this.dataSource.query(
      'SELECT COUNT(*) AS positions FROM "_clusterlite_positions"',
    );
    if (positions === 0) return null;
    const [{ entries }] = await this.dataSource.query(
      'SELECT COUNT(*) AS entries FROM "_clusterlite_event_log"',
    );
    return entries > 0 ? 'embedded' : 'kafka';
  }
}
