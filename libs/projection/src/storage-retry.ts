import { Injectable, Logger } from '@nestjs/common';
import { isEnvironmentFault } from '@clusterlite/core';

/** First wait after a storage fault; each further one doubles, up to MAX_DELAY_MS. */
const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 5_000;

/** A fault of the node's storage that some work is waiting out. */
export interface StorageFault {
  /** What is waiting, e.g. the stream `clusterlite.users:0`. */
  work: string;
  /** The SQLite error, e.g. `SQLITE_BUSY: database is locked`. */
  reason: string;
  since: Date;
  attempts: number;
}

export interface RetryOptions {
  /** Asked before each new attempt; false stops retrying (the node is shutting down, the batch was revoked). */
  keepGoing?: () => boolean;
}

/**
 * Retries work that fails for a fault of the environment (busy, locked, full or read-only
 * disk, I/O error, damaged file) for as long as the fault lasts, with backoff, and tells
 * health and status meanwhile. Such an error says nothing about the event being applied:
 * it is never a reason to reject or dead-letter one (invariant 6). Any other error is
 * the caller's to decide.
 */
@Injectable()
export class StorageRetry {
  private readonly logger = new Logger(StorageRetry.name);
  private readonly faults = new Map<string, StorageFault>();

  /** The oldest fault still being waited out, or null when storage works. */
  get fault(): StorageFault | null {
    return this.faults.values().next().value ?? null;
  }

  async run<T>(
    work: string,
    attempt: () => Promise<T>,
    options: RetryOptions = {},
  ): Promise<T> {
    let delay = FIRST_DELAY_MS;
    for (;;) {
      try {
        const result = await attempt();
        this.recovered(work);
        return result;
      } catch (error) {
        if (!isEnvironmentFault(error) || options.keepGoing?.() === false)
          throw error;
        this.failed(work, error);
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, MAX_DELAY_MS);
      }
    }
  }

  private failed(work: string, error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    const fault = this.faults.get(work);
    if (fault) {
      fault.attempts++;
      fault.reason = reason;
      return;
    }
    this.faults.set(work, { work, reason, since: new Date(), attempts: 1 });
    this.logger.error(
      `Storage fault while applying ${work}: ${reason}; not ready, retrying until it clears`,
    );
  }

  private recovered(work: string): void {
    const fault = this.faults.get(work);
    if (!fault) return;
    this.faults.delete(work);
    this.logger.log(
      `Storage works again for ${work} after ${fault.attempts} failed attempt(s) since ${fault.since.toISOString()}`,
    );
  }
}
