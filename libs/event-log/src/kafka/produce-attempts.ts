import { Injectable } from '@nestjs/common';
import type { LogEntry, logCreator } from 'kafkajs';

/** kafkajs's words for an attempt that may have reached a broker: it timed out, or its connection closed while it waited. */
const AMBIGUOUS_ATTEMPT =
  /Request Produce\(.*timed out|Failed to send messages: .*(closed|timed out)/i;

/**
 * Listens to the producer's kafkajs log for failed attempts that may have
 * been appended. kafkajs retries a failed produce request and reports only
 * the last attempt's error: "connection refused" after a broker crashed
 * mid-request says nothing of the attempt the crash interrupted.
 */
@Injectable()
export class ProduceAttempts {
  private lastAmbiguous = 0;

  /** kafkajs `logCreator`: `inner`, plus this watch. */
  watching(inner: logCreator): logCreator {
    return (level) => {
      const forward = inner(level);
      return (entry: LogEntry) => {
        this.heard(entry.log.message ?? '');
        forward(entry);
      };
    };
  }

  /** Whether an attempt failed in a way that may have left events on the log since `time` (ms). */
  ambiguousSince(time: number): boolean {
    return this.lastAmbiguous >= time;
  }

  heard(message: string): void {
    if (AMBIGUOUS_ATTEMPT.test(message)) this.lastAmbiguous = Date.now();
  }
}
