import { Injectable } from '@nestjs/common';

export interface StoppedTopic {
  topic: string;
  reason: string;
}

/**
 * Where this node refuses to go on with the log, and why: a topic with a gap
 * (its stored position below the log start or beyond the log end, or a
 * re-created topic), or a file that belongs to another log. Nothing is
 * applied from a stopped topic; the node reports not ready with the reason
 * and answers writes to it with 503, so no write is accepted that this node
 * would never apply. Only an operator lifts a stop (a new file, a snapshot).
 */
@Injectable()
export class LogStops {
  private readonly stopped = new Map<string, string>();
  private fileRefusal: string | null = null;

  stopTopic(topic: string, reason: string): void {
    if (!this.stopped.has(topic)) this.stopped.set(topic, reason);
  }

  /** The file belongs to another log: every topic stops. */
  refuseFile(reason: string): void {
    this.fileRefusal ??= reason;
  }

  get refusal(): string | null {
    return this.fileRefusal;
  }

  /** Why `topic` is stopped on this node, or null when it is projected. */
  reasonFor(topic: string): string | null {
    return this.fileRefusal ?? this.stopped.get(topic) ?? null;
  }

  all(): StoppedTopic[] {
    return [...this.stopped].map(([topic, reason]) => ({ topic, reason }));
  }

  get any(): boolean {
    return this.fileRefusal !== null || this.stopped.size > 0;
  }
}
