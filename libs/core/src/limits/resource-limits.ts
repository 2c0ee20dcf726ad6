import { Injectable } from '@nestjs/common';
import { Subject } from 'rxjs';
import { NodeConfig } from '../config/node-config.js';
import { ResourceLimitError } from '../errors/domain-errors.js';

/**
 * The node's bounded resources that outlive a request (open change feeds) and
 * the refusals of every limit, for the metrics. One per node.
 */
@Injectable()
export class ResourceLimits {
  private readonly feedsByClient = new Map<string, number>();
  private openFeeds = 0;
  private readonly refused = new Subject<string>();
  /** The name of each limit that refused a request, as it happens. */
  readonly refusals$ = this.refused.asObservable();

  constructor(private readonly config: NodeConfig) {}

  get changeFeedsOpen(): number {
    return this.openFeeds;
  }

  /**
   * Takes a change-feed slot for `client`; the returned function gives it back
   * (once, however often it is called). Throws when the client (429) or the
   * node (503) has none left.
   */
  openFeed(client: string): () => void {
    const mine = this.feedsByClient.get(client) ?? 0;
    if (mine >= this.config.maxChangeFeedsPerClient) {
      throw this.refuse(
        new ResourceLimitError(
          'too-many-change-feeds',
          429,
          5,
          `This client already has ${mine} change feeds open on this node (MAX_CHANGE_FEEDS_PER_CLIENT); close one first`,
        ),
      );
    }
    if (this.openFeeds >= this.config.maxChangeFeeds) {
      throw this.refuse(
        new ResourceLimitError(
          'change-feeds-exhausted',
          503,
          5,
          `This node serves its maximum of ${this.config.maxChangeFeeds} change feeds (MAX_CHANGE_FEEDS); retry later or through another node`,
        ),
      );
    }
    this.openFeeds++;
    this.feedsByClient.set(client, mine + 1);
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      this.openFeeds--;
      const left = (this.feedsByClient.get(client) ?? 1) - 1;
      if (left > 0) this.feedsByClient.set(client, left);
      else this.feedsByClient.delete(client);
    };
  }

  /** Counts a refusal by `limit` and hands the error back to throw. */
  refuse<E extends Error & { limit?: string }>(error: E, limit?: string): E {
    this.refused.next(limit ?? error.limit ?? error.name);
    return error;
  }
}
