import type { Consumer, EachBatchPayload } from 'kafkajs';
import type {
  Admission,
  LogConsumer,
  LogMessage,
  ResumePolicy,
} from '../event-log.ports.js';
import type { KafkaAccessReport } from './kafka-connection.js';
import { KafkaProjectionServer } from './kafka-projection.server.js';

type Applied = { deadLetters: []; stopped?: string };

/** A promise settled from outside. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Whether `promise` settles before the microtasks queued now have run out. */
async function settlesSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.finally(() => (settled = true));
  for (let i = 0; i < 20; i++) await Promise.resolve();
  return settled;
}

function messages(from: number, count: number): LogMessage[] {
  return Array.from({ length: count }, (_, i) => ({
    offset: String(from + i),
    value: `event ${from + i}`,
  }));
}

/** A server on a fake projection and guard; its kafkajs batches are handed in by the spec. */
function newServer(
  admit: (first: string) => Admission = () => ({ kind: 'apply' }),
  fetchLingerMs = 0,
) {
  const applies: {
    first: string;
    done: ReturnType<typeof deferred<Applied>>;
  }[] = [];
  const projection = {
    topics: () => ['t'],
    nextOffset: () => null,
    setConsuming: () => undefined,
    lingerUnlessAwaited: (_topic: string, _partition: number, ms: number) =>
      new Promise<void>((resolve) => setTimeout(resolve, ms)),
    applyBatch: (_topic: string, _partition: number, batch: LogMessage[]) => {
      const done = deferred<Applied>();
      applies.push({ first: batch[0].offset, done });
      return done.promise;
    },
  } as unknown as LogConsumer;
  const guard = {
    admit: (_t: string, _p: number, batch: LogMessage[]) =>
      admit(batch[0].offset),
  } as unknown as ResumePolicy;
  const server = new KafkaProjectionServer(
    projection,
    't._dead-letter',
    { client: { brokers: ['127.0.0.1:1'] } },
    guard,
    {
      report: () => false,
      accepted: () => undefined,
    } as unknown as KafkaAccessReport,
    fetchLingerMs,
  );
  const internals = server as unknown as {
    resumed: Set<string>;
    applyBatch(consumer: Consumer, payload: EachBatchPayload): Promise<void>;
  };
  internals.resumed.add('t:0');
  // As in kafkajs: a batch is stale while a seek of its partition waits for the next fetch.
  let pendingSeek: string | null = null;
  const consumer = {
    pause: vi.fn(),
    seek: vi.fn(({ offset }: { offset: string }) => (pendingSeek = offset)),
    resume: vi.fn(),
  };
  const eachBatch = (batch: LogMessage[]) => {
    // A fetch from where the seek said takes the seek.
    if (pendingSeek === batch[0].offset) pendingSeek = null;
    return internals.applyBatch(
      consumer as unknown as Consumer,
      {
        batch: { topic: 't', partition: 0, messages: batch },
        isStale: () => pendingSeek !== null,
        isRunning: () => true,
        resolveOffset: vi.fn(),
        heartbeat: async () => undefined,
        commitOffsetsIfNecessary: async () => undefined,
      } as unknown as EachBatchPayload,
    );
  };
  return { eachBatch, applies, consumer };
}

describe(KafkaProjectionServer.name, () => {
  it('hands kafkajs back a fetched batch while it is applied, so the next fetch overlaps it; batches apply in order', async () => {
    const { eachBatch, applies } = newServer();
    const first = eachBatch(messages(0, 3));
    expect(await settlesSoon(first)).toBe(true);
    expect(applies.map((apply) => apply.first)).toEqual(['0']);
    // The next batch waits for the one before: at most two are held.
    const second = eachBatch(messages(3, 3));
    expect(await settlesSoon(second)).toBe(false);
    expect(applies.map((apply) => apply.first)).toEqual(['0']);
    applies[0].done.resolve({ deadLetters: [] });
    expect(await settlesSoon(second)).toBe(true);
    expect(applies.map((apply) => apply.first)).toEqual(['0', '3']);
  });

  it('drops a batch fetched before a seek that the batch before it decided, and applies from the seek', async () => {
    const { eachBatch, applies, consumer } = newServer((first) =>
      first === '5' ? { kind: 'seek', offset: 2n } : { kind: 'apply' },
    );
    await eachBatch(messages(5, 3));
    const second = eachBatch(messages(8, 3));
    await second;
    await settlesSoon(Promise.resolve());
    expect(consumer.seek).toHaveBeenCalledWith({
      topic: 't',
      partition: 0,
      offset: '2',
    });
    expect(applies).toEqual([]);
    // Fetched after the seek: applied.
    await eachBatch(messages(2, 3));
    await settlesSoon(Promise.resolve());
    expect(applies.map((apply) => apply.first)).toEqual(['2']);
  });

  it('pauses a stopped partition and applies nothing it fetched after', async () => {
    const { eachBatch, applies, consumer } = newServer();
    await eachBatch(messages(0, 2));
    const second = eachBatch(messages(2, 2));
    applies[0].done.resolve({ deadLetters: [], stopped: 'needs schema 3' });
    await second;
    await settlesSoon(Promise.resolve());
    expect(consumer.pause).toHaveBeenCalledWith([
      { topic: 't', partitions: [0] },
    ]);
    expect(applies.map((apply) => apply.first)).toEqual(['0']);
  });

  it('fetches a batch whose apply failed again from its first offset, after a pause', async () => {
    vi.useFakeTimers();
    try {
      const { eachBatch, applies, consumer } = newServer();
      await eachBatch(messages(4, 2));
      const second = eachBatch(messages(6, 2));
      applies[0].done.reject(new Error('unexpected'));
      await second;
      await settlesSoon(Promise.resolve());
      expect(consumer.pause).toHaveBeenCalledWith([
        { topic: 't', partitions: [0] },
      ]);
      expect(applies.map((apply) => apply.first)).toEqual(['4']);
      expect(consumer.seek).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(2_000);
      expect(consumer.seek).toHaveBeenCalledWith({
        topic: 't',
        partition: 0,
        offset: '4',
      });
      expect(consumer.resume).toHaveBeenCalledWith([
        { topic: 't', partitions: [0] },
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('holds the next fetch for the linger after a small batch, not after a large one', async () => {
    vi.useFakeTimers();
    try {
      const { eachBatch, applies } = newServer(() => ({ kind: 'apply' }), 10);
      const small = eachBatch(messages(0, 3));
      // Applying it does not wait for the linger; handing kafkajs back does.
      await settlesSoon(Promise.resolve());
      expect(applies.map((apply) => apply.first)).toEqual(['0']);
      expect(await settlesSoon(small)).toBe(false);
      await vi.advanceTimersByTimeAsync(9);
      expect(await settlesSoon(small)).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(await settlesSoon(small)).toBe(true);

      applies[0].done.resolve({ deadLetters: [] });
      const large = eachBatch(messages(3, 200));
      expect(await settlesSoon(large)).toBe(true);
      expect(applies.map((apply) => apply.first)).toEqual(['0', '3']);
    } finally {
      vi.useRealTimers();
    }
  });
});
