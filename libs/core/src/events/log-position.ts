const TOKEN = /^([A-Za-z0-9._-]{1,249}):(\d{1,5}):(\d{1,19})$/;

/**
 * A place in the replicated log: topic, partition and offset of one event.
 * Its token (`clusterlite.users:0:42`) is what a client gets back from a write
 * and may send with a read to get read-your-writes through any node.
 */
export class LogPosition {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: bigint,
  ) {}

  static parse(token: string): LogPosition | null {
    const match = TOKEN.exec(token);
    if (!match) return null;
    return new LogPosition(match[1], Number(match[2]), BigInt(match[3]));
  }

  get token(): string {
    return `${this.topic}:${this.partition}:${this.offset}`;
  }

  /** Key of the stream this position belongs to. */
  get stream(): string {
    return `${this.topic}:${this.partition}`;
  }

  toString(): string {
    return this.token;
  }
}
