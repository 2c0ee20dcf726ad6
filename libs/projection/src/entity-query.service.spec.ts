import {
  LogPosition,
  NodeConfig,
  type EventOutcome,
  type SqliteReader,
} from '@clusterlite/core';
import {
  EntityRegistry,
  Field,
  ReplicatedEntity,
  type EntityChange,
} from '@clusterlite/registry';
import { Subject } from 'rxjs';
import type { AppliedPositions } from './applied-positions.js';
import { EntityQueryService, FEED_BACKLOG } from './entity-query.service.js';
import type { ProjectionService } from './projection.service.js';

@ReplicatedEntity('notes')
class Note {
  @Field()
  text: string;
}

const TOPIC = 'clusterlite.notes';

const outcome = (offset: number): EventOutcome => ({
  eventId: `e${offset}`,
  table: 'notes',
  entityId: `n${offset}`,
  type: 'deleted',
  status: 'applied',
  rejection: null,
  reason: null,
  version: null,
  position: `${TOPIC}:0:${offset}`,
});

/**
 * A query service whose outcomes table holds `stored` offsets and answers the
 * replay's first read only once `release()` is called; live outcomes come from `live`.
 */
function newFeedSource(stored: number[]) {
  const live = new Subject<EventOutcome>();
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const sqlite = {
    read: async (sql: string) => {
      if (!sql.includes('_clusterlite_outcomes')) return [];
      await released;
      return stored.map((offset) => ({
        eventId: `e${offset}`,
        type: 'deleted',
        entityId: `n${offset}`,
        partition: 0,
        offset,
        version: null,
      }));
    },
  } as unknown as SqliteReader;
  const registry = new EntityRegistry([Note]);
  const service = new EntityQueryService(
    {} as AppliedPositions,
    registry,
    NodeConfig.fromEnvironment({ DB_PATH: ':memory:' }),
    { outcomes$: live.asObservable() } as unknown as ProjectionService,
    sqlite,
  );
  const received: string[] = [];
  let ended = false;
  const subscription = service
    .changes(registry.resolve('notes')!, LogPosition.parse(`${TOPIC}:0:0`))
    .subscribe({
      next: (change: EntityChange) => received.push(change.position),
      complete: () => (ended = true),
    });
  return {
    live,
    release,
    received,
    ended: () => ended,
    subscription,
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe(`${EntityQueryService.name} change feeds`, () => {
  it('replays the missed changes, then the live ones that came meanwhile, none twice, in order', async () => {
    const feed = newFeedSource([1, 2]);
    feed.live.next(outcome(2));
    feed.live.next(outcome(3));
    feed.release();
    await settle();
    feed.live.next(outcome(4));
    await settle();
    expect(feed.received).toEqual([1, 2, 3, 4].map((o) => `${TOPIC}:0:${o}`));
    expect(feed.ended()).toBe(false);
    feed.subscription.unsubscribe();
  });

  it(`ends the feed, to be resumed, when more than ${FEED_BACKLOG} live changes pile up during a replay`, async () => {
    const feed = newFeedSource([1]);
    for (let offset = 2; offset <= FEED_BACKLOG + 2; offset++)
      feed.live.next(outcome(offset));
    expect(feed.ended()).toBe(true);
    feed.release();
    await settle();
    expect(feed.received).toEqual([]);
  });
});
