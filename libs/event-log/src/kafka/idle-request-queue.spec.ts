import RequestQueue from 'kafkajs/src/network/requestQueue/index.js';
import { stopIdleRequestQueueChecks } from './idle-request-queue.js';

/** kafkajs's own RequestQueue, as a client's connection to one broker makes it. */
function newQueue(maxInFlightRequests: number | null = null): RequestQueue {
  return new RequestQueue({
    maxInFlightRequests,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 'spec',
    broker: 'broker:9092',
    logger: { debug: () => undefined },
  });
}

/** A request with a response to wait for; `sent` counts its sends. */
function request(correlationId: number, sent: number[]) {
  return {
    entry: {
      correlationId,
      apiKey: 1,
      apiName: 'Fetch',
      apiVersion: 11,
      resolve: () => undefined,
      reject: () => undefined,
    },
    expectResponse: true,
    sendRequest: () => void sent.push(correlationId),
  };
}

const respond = (queue: RequestQueue, correlationId: number) =>
  queue.fulfillRequest({ correlationId, payload: null, size: 0 });

describe(stopIdleRequestQueueChecks.name, () => {
  beforeAll(() => stopIdleRequestQueueChecks());
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('schedules no check of the waiting requests after a response when none waits', () => {
    // kafkajs alone: a check every millisecond from the first response on, ~100 in 100 ms.
    const queue = newQueue();
    const sent: number[] = [];
    const checks = vi.spyOn(queue, 'checkPendingRequests');
    queue.push(request(1, sent));
    respond(queue, 1);
    vi.advanceTimersByTime(100);
    expect(sent).toEqual([1]);
    expect(checks).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
    queue.destroy();
  });

  it('still sends a request held back by the in-flight limit once a response makes room', () => {
    const queue = newQueue(1);
    const sent: number[] = [];
    queue.push(request(1, sent));
    queue.push(request(2, sent));
    expect(sent).toEqual([1]);
    respond(queue, 1);
    expect(sent).toEqual([1, 2]);
    respond(queue, 2);
    vi.advanceTimersByTime(100);
    expect(vi.getTimerCount()).toBe(0);
    queue.destroy();
  });

  it('still sends a request held back by a broker throttle when the throttle ends', () => {
    const queue = newQueue();
    const sent: number[] = [];
    queue.throttledUntil = Date.now() + 50;
    queue.push(request(1, sent));
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(49);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(20);
    expect(sent).toEqual([1]);
    queue.destroy();
  });
});
