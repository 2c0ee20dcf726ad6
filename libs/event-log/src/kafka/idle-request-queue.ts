import RequestQueue from 'kafkajs/src/network/requestQueue/index.js';

let fixed = false;

/**
 * Stops kafkajs 2.2.4 from running a timer every millisecond on every broker connection. After
 * each response its `RequestQueue` schedules a check of the requests waiting to be sent (those
 * held back by the in-flight limit or a broker's throttle), whether any wait or not. With none
 * waiting and no throttle, the delay it computes is negative, Node runs the check after 1 ms,
 * and the check schedules the next one: from the first response on, each connection wakes the
 * event loop a thousand times a second for as long as the client lives (kafkajs#1704; on Node
 * 24 it is also the `TimeoutNegativeWarning` every node printed, kafkajs#1751). kafkajs is not
 * maintained any more and the fixes proposed upstream (#1755, #1768) are not released.
 *
 * A check is needed only while requests wait: `push` schedules one when it queues a request,
 * and every response and timeout checks the queue again. So the check is scheduled only then.
 * Idempotent; applies to every kafkajs client of the process.
 */
export function stopIdleRequestQueueChecks(): void {
  if (fixed) return;
  fixed = true;
  const schedule = RequestQueue.prototype.scheduleCheckPendingRequests;
  RequestQueue.prototype.scheduleCheckPendingRequests = function (
    this: RequestQueue,
  ): void {
    if (this.pending.length > 0) schedule.call(this);
  };
}
