import {
  EventLogUnavailableError,
  EventOutcomeUnknownError,
  LogPosition,
} from '@clusterlite/core';
import { ProduceFailedError } from '@clusterlite/event-log';
import {
  GroupCommitQueue,
  type BatchSender,
  type OutgoingMessage,
} from './group-commit-queue.js';

const TOPIC = 'clusterlite.things';

function message(key: string): OutgoingMessage {
  return { key, value: Buffer.from(`{"id":"${key}"}`) };
}

/** A sender that records each request and answers consecutive offsets on partition 0. */
function recordingSender(overrides: Partial<BatchSender> = {}) {
  const requests: OutgoingMessage[][] = [];
  let next = 0n;
  const sender: BatchSender = {
    ready: async () => {},
    send: async (topic, messages) => {
      requests.push(messages);
      return messages.map(() => new LogPosition(topic, 0, next++));
    },
    ...overrides,
  };
  return { sender, requests };
}

function newQueue(sender: BatchSender, timeoutMs = 10_000, lingerMs = 0) {
  return new GroupCommitQueue(sender, {
    timeoutMs,
    maxBatchBytes: 512 * 1024,
    lingerMs,
  });
}

describe(GroupCommitQueue.name, () => {
  it('sends a write that comes alone at once, and lingers only after a request that carried several', async () => {
    vi.useFakeTimers();
    try {
      const { sender, requests } = recordingSender();
      const queue = newQueue(sender, 10_000, 5);
      const alone = queue.append(TOPIC, 'things', ['e1'], [message('a')]);
      await vi.advanceTimersByTimeAsync(0);
      await alone;
      expect(requests).toHaveLength(1);
      // Two together: sent at once too (the last request carried one).
      const pair = Promise.all([
        queue.append(TOPIC, 'things', ['e2'], [message('b')]),
        queue.append(TOPIC, 'things', ['e3'], [message('c')]),
      ]);
      await vi.advanceTimersByTimeAsync(0);
      await pair;
      expect(requests).toHaveLength(2);
      // The last request carried two: the next waits the linger, and what arrives meanwhile joins.
      const first = queue.append(TOPIC, 'things', ['e4'], [message('d')]);
      await vi.advanceTimersByTimeAsync(4);
      expect(requests).toHaveLength(2);
      const second = queue.append(TOPIC, 'things', ['e5'], [message('e')]);
      await vi.advanceTimersByTimeAsync(1);
      await Promise.all([first, second]);
      expect(requests.map((batch) => batch.map((m) => m.key))).toEqual([
        ['a'],
        ['b', 'c'],
        ['d', 'e'],
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('sends appends that arrive together in one produce request, in arrival order', async () => {
    const { sender, requests } = recordingSender();
    const queue = newQueue(sender);
    await Promise.all([
      queue.append(TOPIC, 'things', ['e1'], [message('a')]),
      queue.append(TOPIC, 'things', ['e2'], [message('b')]),
      queue.append(TOPIC, 'things', ['e3'], [message('c')]),
    ]);
    expect(requests.map((batch) => batch.map((m) => m.key))).toEqual([
      ['a', 'b', 'c'],
    ]);
  });

  it('gives each append its own positions from the request that carried it', async () => {
    const { sender } = recordingSender();
    const queue = newQueue(sender);
    const [one, bulk] = await Promise.all([
      queue.append(TOPIC, 'things', ['e1'], [message('a')]),
      queue.append(TOPIC, 'things', ['e2', 'e3'], [message('b'), message('c')]),
    ]);
    expect(one.map((p) => p.token)).toEqual([`${TOPIC}:0:0`]);
    expect(bulk.map((p) => p.token)).toEqual([`${TOPIC}:0:1`, `${TOPIC}:0:2`]);
  });

  it('sends appends that arrive while a request is out together in the next one', async () => {
    let release!: () => void;
    const first = new Promise<void>((resolve) => (release = resolve));
    const { sender, requests } = recordingSender();
    const send = sender.send.bind(sender);
    let calls = 0;
    sender.send = async (topic, messages) => {
      if (calls++ === 0) await first;
      return send(topic, messages);
    };
    const queue = newQueue(sender);
    const a = queue.append(TOPIC, 'things', ['e1'], [message('a')]);
    await new Promise((resolve) => setImmediate(resolve));
    const rest = [
      queue.append(TOPIC, 'things', ['e2'], [message('b')]),
      queue.append(TOPIC, 'things', ['e3'], [message('c')]),
    ];
    release();
    await Promise.all([a, ...rest]);
    expect(requests.map((batch) => batch.map((m) => m.key))).toEqual([
      ['a'],
      ['b', 'c'],
    ]);
  });

  it('fails an append not sent within the timeout as not written', async () => {
    const { sender, requests } = recordingSender({
      ready: () => new Promise<void>(() => {}),
    });
    const queue = newQueue(sender, 50);
    const error = await queue
      .append(TOPIC, 'things', ['e1'], [message('a')])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventLogUnavailableError);
    expect(requests).toEqual([]);
  });

  it('fails an append sent but not acknowledged within the timeout as unknown', async () => {
    const queue = newQueue(
      {
        ready: async () => {},
        send: () => new Promise<LogPosition[]>(() => {}),
      },
      50,
    );
    const error = await queue
      .append(TOPIC, 'things', ['e1'], [message('a')])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventOutcomeUnknownError);
  });

  it('fails every append of a batch as not written when the producer cannot connect', async () => {
    const queue = newQueue({
      ready: async () => {
        throw new Error('connection refused');
      },
      send: async () => [],
    });
    const results = await Promise.allSettled([
      queue.append(TOPIC, 'things', ['e1'], [message('a')]),
      queue.append(TOPIC, 'things', ['e2'], [message('b')]),
    ]);
    expect(results.map((r) => r.status === 'rejected' && r.reason)).toEqual([
      expect.any(EventLogUnavailableError),
      expect.any(EventLogUnavailableError),
    ]);
  });

  it('passes a send failure to every append of the batch with its failure kind', async () => {
    const failWith = (failure: 'not-written' | 'unknown') =>
      newQueue({
        ready: async () => {},
        send: async () => {
          throw new ProduceFailedError(failure, new Error('broker said no'));
        },
      });
    for (const [failure, kind] of [
      ['not-written', EventLogUnavailableError],
      ['unknown', EventOutcomeUnknownError],
    ] as const) {
      const queue = failWith(failure);
      const results = await Promise.allSettled([
        queue.append(TOPIC, 'things', ['e1'], [message('a')]),
        queue.append(TOPIC, 'things', ['e2'], [message('b')]),
      ]);
      expect(results.map((r) => r.status === 'rejected' && r.reason)).toEqual([
        expect.any(kind),
        expect.any(kind),
      ]);
    }
  });

  it('names the event ids of a batch whose outcome is unknown', async () => {
    const queue = newQueue({
      ready: async () => {},
      send: async () => {
        throw new Error('socket closed');
      },
    });
    const error = await queue
      .append(TOPIC, 'things', ['e1', 'e2'], [message('a'), message('b')])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventOutcomeUnknownError);
    expect((error as EventOutcomeUnknownError).eventIds).toEqual(['e1', 'e2']);
  });
});
