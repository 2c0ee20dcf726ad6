// @ts-check
/**
 * Server-sent events over fetch. EventSource cannot send an Authorization
 * header, and a key must never travel in an address: this reader sends the
 * key as a header, parses the stream (`id:`, `event:`, `data:`, `retry:` lines,
 * as the HTML standard's EventSource does) and, after a drop, reconnects with
 * `Last-Event-ID` so the node replays what was missed, waiting longer after
 * each failed attempt.
 */
const FIRST_RETRY_MS = 1000;
const LONGEST_RETRY_MS = 30000;

/**
 * @typedef {{ type: string, data: string, id: string | null }} StreamEvent
 * @typedef {{
 *   headers: () => Record<string, string>,
 *   onOpen: (resumed: boolean) => void,
 *   onEvent: (event: StreamEvent) => void,
 *   onDrop: () => void,
 *   onRefused: (status: number, problem: any) => Promise<'now' | 'later'>,
 * }} StreamHandlers
 */

/**
 * Opens `url` as an event stream and keeps it open until close().
 * onRefused is told of an answer other than 2xx (its status and problem
 * body) and says whether to retry at once (e.g. after a sign-in) or after the
 * backoff.
 * @param {string} url
 * @param {StreamHandlers} handlers
 * @returns {{ close: () => void }}
 */
export function openEventStream(url, handlers) {
  const controller = new AbortController();
  /** @type {string | null} */
  let lastEventId = null;
  let retryMs = FIRST_RETRY_MS;
  let backoffMs = FIRST_RETRY_MS;

  async function connect() {
    /** @type {Record<string, string>} */
    const headers = Object.assign(
      { Accept: 'text/event-stream' },
      handlers.headers(),
    );
    if (lastEventId !== null) headers['Last-Event-ID'] = lastEventId;
    const response = await fetch(url, {
      headers,
      cache: 'no-store',
      signal: controller.signal,
    });
    if (!response.ok || !response.body) {
      const problem = await response.json().catch(() => null);
      return handlers.onRefused(response.status, problem);
    }
    handlers.onOpen(lastEventId !== null);
    backoffMs = retryMs;
    await readEvents(
      response.body,
      (event) => {
        if (event.id !== null) lastEventId = event.id;
        handlers.onEvent(event);
      },
      (milliseconds) => {
        retryMs = milliseconds;
      },
    );
    return 'dropped';
  }

  async function run() {
    while (!controller.signal.aborted) {
      let next = 'dropped';
      try {
        next = await connect();
      } catch {
        // The node is unreachable, or the stream broke off: reconnect below.
      }
      if (controller.signal.aborted) return;
      if (next === 'now') continue;
      // A refusal already told onRefused; a drop or an unreachable node is news.
      if (next === 'dropped') handlers.onDrop();
      // Jitter spreads the reconnects of many tabs after a node restarts.
      await sleep(backoffMs * (0.75 + Math.random() / 2), controller.signal);
      backoffMs = Math.min(backoffMs * 2, LONGEST_RETRY_MS);
    }
  }

  void run();
  return { close: () => controller.abort() };
}

/**
 * Reads events until the stream ends. A line ends at CR, LF or CRLF (a CR
 * that ends a chunk waits for the next, which may start with its LF); a blank
 * line dispatches the event gathered so far.
 * @param {ReadableStream<Uint8Array>} body
 * @param {(event: StreamEvent) => void} dispatch
 * @param {(milliseconds: number) => void} setRetry
 */
async function readEvents(body, dispatch, setRetry) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let type = '';
  /** @type {string[]} */
  let data = [];
  /** @type {string | null} */
  let id = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    const lines = buffer.split(/\r\n|\r(?!$)|\n/);
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '') {
        if (data.length > 0)
          dispatch({ type: type || 'message', data: data.join('\n'), id });
        type = '';
        data = [];
        id = null;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const raw = colon < 0 ? '' : line.slice(colon + 1);
      const text = raw.startsWith(' ') ? raw.slice(1) : raw;
      if (field === 'event') type = text;
      else if (field === 'data') data.push(text);
      else if (field === 'id' && !text.includes('\0')) id = text;
      else if (field === 'retry' && /^\d+$/.test(text)) setRetry(Number(text));
    }
  }
}

/**
 * @param {number} milliseconds
 * @param {AbortSignal} signal
 */
function sleep(milliseconds, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, milliseconds);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
      { once: true },
    );
  });
}
