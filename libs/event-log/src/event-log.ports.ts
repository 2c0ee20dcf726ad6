/** Injection token of the `ClientProxy` the command side emits events through. */
export const EVENT_LOG_CLIENT = Symbol('EVENT_LOG_CLIENT');

/** One message of the log, as either transport delivers it. */
export interface LogMessage {
  offset: string;
  value: Buffer | string | null;
}

/** A message set aside because of the message itself (invariant 6). */
export interface DeadLetter {
  topic: string;
  partition: number;
  offset: string;
  reason: string;
  value: Buffer | string | null;
}

/**
 * What the log's servers feed: the projection. Declared here so that the
 * event log does not depend on the projection; `ProjectionService` implements it.
 */
export abstract class LogConsumer {
  /** Topics to consume: one per registered table. */
  abstract topics(): string[];
  /** Offset of the next message to apply on a partition, or null when nothing was applied yet. */
  abstract nextOffset(topic: string, partition: number): bigint | null;
  /**
   * Applies messages of one partition, in order; answers those it dead-lettered,
   * and `stopped` (the reason) when the partition must not be read further for
   * now (an event of a newer schema): the server stops fetching it.
   */
  abstract applyBatch(
    topic: string,
    partition: number,
    messages: LogMessage[],
  ): Promise<{ deadLetters: DeadLetter[]; stopped?: string }>;
  /** Told by the server: whether it is receiving the log now. */
  abstract setConsuming(consuming: boolean): void;
}

/** Reads end offsets of the log (high watermarks); implemented per transport. */
export abstract class LogEndOffsets {
  abstract endOffsets(topics: string[]): Promise<Map<string, bigint>>;
}
