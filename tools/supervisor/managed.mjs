// @ts-check
/**
 * One supervised process (a node or nginx) that can be started, stopped, killed and started
 * again: output to a log file (ANSI colours stripped) and optionally to the terminal with a
 * [label] prefix, the last lines kept for error messages, readiness by HTTP polling.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { dirname } from 'node:path';
import { killNow, signalTree, supervise, terminate } from './children.mjs';

const LOG_TAIL_LINES = 30;

/** Error with a stable code, so the CLI (and callers) can tell the expected failures apart. */
export class ClusterError extends Error {
  /** @param {string} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.name = 'ClusterError';
    this.code = code;
  }
}

/** @param {number} ms */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
/** @param {string} s */
const stripAnsi = (s) => s.replace(ANSI, '');

const PREFIX_COLORS = [36, 33, 35, 32, 34, 91, 96, 93, 95, 92];
/** @param {string} label @param {number} index @param {NodeJS.WriteStream} stream */
function prefixFor(label, index, stream) {
  const text = `[${label}]`;
  if (!stream.isTTY || process.env.NO_COLOR) return text;
  return `\x1b[${PREFIX_COLORS[index % PREFIX_COLORS.length]}m${text}\x1b[0m`;
}

/**
 * Does `url` answer 200 within `timeoutMs`?
 * @param {string} url @param {number} [timeoutMs]
 */
export async function httpOk(url, timeoutMs = 2_000) {
  if (url.startsWith('https:')) return httpsOk(url, timeoutMs);
  try {
    const response = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer().catch(() => {});
    return response.status === 200;
  } catch {
    return false;
  }
}

/**
 * GET over HTTPS without checking the certificate: only to see that our own nginx proxies to
 * the nodes while it starts (its certificate may be self-signed, from a CA this process lacks).
 * @param {string} url @param {number} timeoutMs @returns {Promise<boolean>}
 */
function httpsOk(url, timeoutMs) {
  return new Promise((resolveOk) => {
    const request = httpsGet(
      url,
      { rejectUnauthorized: false, timeout: timeoutMs },
      (response) => {
        response.resume();
        resolveOk(response.statusCode === 200);
      },
    );
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolveOk(false));
  });
}

/** Keeps the last lines of a process's output for error messages. */
class LineBuffer {
  /** @param {number} max */
  constructor(max) {
    this.max = max;
    /** @type {string[]} */
    this.lines = [];
  }
  /** @param {string} line */
  push(line) {
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.shift();
  }
  text() {
    return this.lines.length ? this.lines.join('\n') : '(no output)';
  }
}

/**
 * Splits a stream into lines; calls `onLine` for each (the last partial line on end).
 * @param {import('node:stream').Readable} stream @param {(line: string) => void} onLine
 */
function forEachLine(stream, onLine) {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (/** @type {string} */ chunk) => {
    pending += chunk;
    let index;
    while ((index = pending.indexOf('\n')) >= 0) {
      onLine(pending.slice(0, index).replace(/\r$/, ''));
      pending = pending.slice(index + 1);
    }
  });
  stream.on('end', () => {
    if (pending) onLine(pending);
    pending = '';
  });
}

/**
 * @typedef {object} ManagedOptions
 * @property {string} label e.g. "node-1", "nginx"
 * @property {number} colorIndex
 * @property {string} command
 * @property {string[]} args
 * @property {NodeJS.ProcessEnv} env
 * @property {string} [cwd]
 * @property {string | undefined} logFile output is appended here (ANSI colours stripped)
 * @property {boolean} echo echo output to the terminal, prefixed with [label]
 * @property {(label: string, code: number | null, signal: NodeJS.Signals | null, tail: string) => void} onUnexpectedExit
 * @property {NodeJS.Signals} [stopSignal] what `stop` sends first (default SIGTERM)
 */

/** One supervised process that can be stopped, killed and started again. */
export class Managed {
  /** @param {ManagedOptions} options */
  constructor(options) {
    this.options = options;
    /** @type {import('node:child_process').ChildProcess | undefined} */
    this.child = undefined;
    /** @type {Promise<{ code: number | null, signal: NodeJS.Signals | null }>} */
    this.exitPromise = Promise.resolve({ code: null, signal: null });
    this.tail = new LineBuffer(LOG_TAIL_LINES);
    this.expectExit = false;
    /** @type {{ code: number | null, signal: NodeJS.Signals | null } | undefined} */
    this.exitInfo = undefined;
    /** @type {Promise<unknown>} */
    this.supervised = Promise.resolve();
  }

  get running() {
    return this.child !== undefined && this.exitInfo === undefined;
  }

  /** Resolves when the current process exits; keeps the event loop alive while someone waits. */
  get exited() {
    if (this.running) this.child?.ref();
    return this.exitPromise;
  }

  get pid() {
    return this.running ? this.child?.pid : undefined;
  }

  start() {
    if (this.running)
      throw new ClusterError(
        'STATE',
        `${this.options.label} is already running`,
      );
    const { label, colorIndex, command, args, env, cwd, logFile, echo } =
      this.options;
    this.expectExit = false;
    this.exitInfo = undefined;
    this.tail = new LineBuffer(LOG_TAIL_LINES);
    // Written synchronously: a reader (a test) sees every line the process has printed so far.
    /** @type {number | undefined} */
    let fd;
    if (logFile) {
      mkdirSync(dirname(logFile), { recursive: true });
      fd = openSync(logFile, 'a');
    }
    const log = {
      /** @param {string} text */
      write: (text) => {
        if (fd !== undefined) writeSync(fd, text);
      },
      end: () => {
        if (fd !== undefined) closeSync(fd);
        fd = undefined;
      },
    };
    const child = spawn(command, args, {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group: a terminal Ctrl-C reaches this script only, which then stops
      // everything in order (nginx, nodes, broker).
      detached: true,
    });
    this.child = child;
    log.write(
      `===== ${new Date().toISOString()} ${label} started: pid ${child.pid} =====\n`,
    );
    /** @param {import('node:stream').Readable | null} stream @param {NodeJS.WriteStream} out */
    const pipe = (stream, out) => {
      if (!stream) return;
      forEachLine(stream, (line) => {
        const plain = stripAnsi(line);
        this.tail.push(plain);
        log.write(plain + '\n');
        if (echo)
          out.write(
            `${prefixFor(label, colorIndex, out)} ${out.isTTY ? line : plain}\n`,
          );
      });
    };
    pipe(child.stdout, process.stdout);
    pipe(child.stderr, process.stderr);

    const exited = supervise(child);
    this.exitPromise = new Promise((resolveExit) => {
      let done = false;
      /** @param {number | null} code @param {NodeJS.Signals | null} signal */
      const finish = (code, signal) => {
        if (done) return;
        done = true;
        this.exitInfo = { code, signal };
        log.write(
          `===== ${new Date().toISOString()} ${label} exited: code ${code}, signal ${signal} =====\n`,
        );
        log.end();
        if (!this.expectExit)
          this.options.onUnexpectedExit(label, code, signal, this.tail.text());
        resolveExit(this.exitInfo);
      };
      // 'close' comes after 'exit' once stdout/stderr are drained, so the log is complete. Fallback in
      // case something inherited the pipes and keeps them open.
      child.on('close', (code, signal) => finish(code, signal));
      void exited.then(({ code, signal }) => {
        setTimeout(() => finish(code, signal), 2_000).unref();
      });
      child.on('error', (error) => {
        this.tail.push(`spawn error: ${error.message}`);
        finish(null, null);
      });
    });
    this.supervised = exited;
    // Library use: a forgotten cluster must not keep the caller's process alive; the exit hook
    // kills the children when it exits. (The CLI keeps itself alive.)
    child.unref();
    for (const stream of [child.stdout, child.stderr]) {
      /** @type {any} */ (stream)?.unref?.();
    }
    return child;
  }

  /** Sends the stop signal (SIGTERM), then SIGKILL after the shared STOP_TIMEOUT_MS. */
  async stop() {
    const child = this.child;
    if (!child || this.exitInfo) return;
    this.expectExit = true;
    await terminate(child, this.supervised, this.options.stopSignal);
    await this.exited;
  }

  /** A crash: SIGKILL, no shutdown hooks. */
  async kill() {
    const child = this.child;
    if (!child || this.exitInfo) return;
    this.expectExit = true;
    await killNow(child, this.supervised);
    await this.exited;
  }

  /** @param {NodeJS.Signals} signal */
  signal(signal) {
    if (this.child && this.running) signalTree(this.child, signal);
  }
}

/**
 * Waits until `url` answers 200, failing early when the process exits.
 * @param {Managed} managed @param {string} url @param {number} timeoutMs @param {string} what
 */
export async function waitReady(managed, url, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!managed.running) {
      await sleep(100); // last output lines
      const info = managed.exitInfo;
      throw new ClusterError(
        'START_FAILED',
        `${what} exited during startup (code ${info?.code ?? null}, signal ${info?.signal ?? null}). Last output:\n${managed.tail.text()}`,
      );
    }
    if (await httpOk(url)) return;
    if (Date.now() > deadline) {
      await managed.kill();
      throw new ClusterError(
        'START_TIMEOUT',
        `${what} did not answer 200 on ${url} within ${Math.round(timeoutMs / 1000)} s. Last output:\n${managed.tail.text()}`,
      );
    }
    await Promise.race([sleep(250), managed.exitPromise]);
  }
}

/**
 * Runs a command to completion, capturing stdout+stderr.
 * @param {string} command @param {string[]} args
 * @returns {Promise<{ code: number | null, output: string }>}
 */
export function runCapture(command, args) {
  return new Promise((resolveRun) => {
    let output = '';
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    child.on('error', (error) =>
      resolveRun({ code: null, output: output + error.message }),
    );
    child.on('exit', (code) => resolveRun({ code, output }));
  });
}
