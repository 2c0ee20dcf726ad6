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
   * Resolves after `ms`, or as soon as a reader waits for a position of the partition that is
   * not applied yet (a read-your-writes read, a write answered with its row): a fetch linger
   * must not hold those up.
   */
  abstract lingerUnlessAwaited(
    topic: string,
    partition: number,
    ms: number,
  ): Promise<void>;
  /**
   * Applies messages of one partition, in order; answers those it dead-lettered,
   * and `stopped` (the reason) when the partition must not be read further for
   * now (an event of a newer schema): the server stops fetching it. A fault of
   * the node's storage is waited out while `keepGoing()` is true.
   */
  abstract applyBatch(
    topic: string,
    partition: number,
    messages: LogMessage[],
    options?: { keepGoing?: () => boolean },
  ): Promise<{ deadLetters: DeadLetter[]; stopped?: string }>;
  /** Told by the server: whether it is receiving the log now. */
  abstract setConsuming(consuming: boolean): void;
}

/** Reads end offsets of the log (high watermarks); implemented per transport. */
export abstract class LogEndOffsets {
  abstract endOffsets(topics: string[]): Promise<Map<string, bigint>>;
}

/** The offsets a partition holds now: from `low` (log start) to `high` - 1 (log end). */
export interface LogBounds {
  low: bigint;
  high: bigint;
}

/** What a server does with a batch it fetched. */
export type Admission =
  | { kind: 'apply' }
  /** The topic is stopped: apply nothing from it. */
  | { kind: 'hold' }
  /** Fetched from elsewhere than the stored position (Kafka's committed offset): go back there first. */
  | { kind: 'seek'; offset: bigint };

/**
 * Where a partition resumes and whether a fetched batch may be applied, so
 * that no automatic offset reset ever decides silently (invariant 9).
 * Implemented by the projection's `ResumeGuard`.
 */
export abstract class ResumePolicy {
  /** Whether this node's file belongs to `log` (`embedded` or `kafka:<cluster id>`). */
  abstract claim(log: string): Promise<boolean>;
  abstract isStopped(topic: string): boolean;
  /** The offset to resume a partition at, or null when it must stop. */
  abstract resumeAt(
    topic: string,
    partition: number,
    bounds: LogBounds | null,
  ): bigint | null;
  abstract admit(
    topic: string,
    partition: number,
    messages: LogMessage[],
  ): Admission;
}
