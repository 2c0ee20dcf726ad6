// kafkajs's queue of requests to one broker (internal, CommonJS); the package types it nowhere.
declare module 'kafkajs/src/network/requestQueue/index.js' {
  export default class RequestQueue {
    constructor(options: {
      maxInFlightRequests?: number | null;
      requestTimeout: number;
      enforceRequestTimeout: boolean;
      clientId: string;
      broker: string;
      logger: { debug(...args: unknown[]): void };
    });
    pending: unknown[];
    throttledUntil: number;
    push(request: {
      entry: {
        correlationId: number;
        apiKey: number;
        apiName: string;
        apiVersion: number;
        resolve(response: unknown): void;
        reject(error: unknown): void;
      };
      expectResponse: boolean;
      sendRequest(): void;
    }): void;
    fulfillRequest(response: {
      correlationId: number;
      payload: unknown;
      size: number;
    }): void;
    checkPendingRequests(): void;
    /** A property here, as `idle-request-queue.ts` replaces it on the prototype. */
    scheduleCheckPendingRequests: (this: RequestQueue) => void;
    destroy(): void;
  }
}
