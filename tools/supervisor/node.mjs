// @ts-check
/**
 * A ClusterLite node process started from the build (dist/apps/node/main.js): its environment,
 * its own log file, readiness (live or ready) with a timeout, and an optional command wrapper
 * such as `ip netns exec ns1`.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Managed, waitReady } from './managed.mjs';

/** Repository root (the parent of tools/). */
export const REPO_ROOT = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
);
/** The built node, started once per node process. */
export const NODE_MAIN = join(REPO_ROOT, 'dist', 'apps', 'node', 'main.js');
/** How long `start` waits for live or ready by default. */
export const NODE_READY_TIMEOUT_MS = 60_000;

/**
 * live: the node serves HTTP from its file; ready: it also reaches and consumes the log;
 * spawned: only that the process runs.
 * @typedef {'live' | 'ready' | 'spawned'} Until
 */

/**
 * @typedef {object} NodeOptions
 * @property {string} nodeId NODE_ID, also the label of its output lines
 * @property {number} port PORT
 * @property {string} dbPath DB_PATH
 * @property {string} logFile its stdout and stderr are appended here
 * @property {NodeJS.ProcessEnv} [env] the rest of its environment (beside this process's own)
 * @property {string[]} [wrapper] runs the node through this command, e.g. `['ip', 'netns', 'exec', 'ns1']`
 * @property {string} [host] address the node is reached at (default 127.0.0.1)
 * @property {boolean} [echo] also print its output, prefixed with [nodeId]
 * @property {number} [colorIndex] colour of that prefix
 * @property {number} [readyTimeoutMs] default NODE_READY_TIMEOUT_MS
 * @property {(label: string, code: number | null, signal: NodeJS.Signals | null, tail: string) => void} [onUnexpectedExit]
 */

/** A node process: started with `start`, stopped with `stop` (SIGTERM, then SIGKILL). */
export class SupervisedNode {
  /** @param {NodeOptions} options */
  constructor(options) {
    this.nodeId = options.nodeId;
    this.port = options.port;
    this.dbPath = options.dbPath;
    this.logFile = options.logFile;
    this.url = `http://${options.host ?? '127.0.0.1'}:${options.port}`;
    this.readyTimeoutMs = options.readyTimeoutMs ?? NODE_READY_TIMEOUT_MS;
    const [command, ...args] = [
      ...(options.wrapper ?? []),
      process.execPath,
      NODE_MAIN,
    ];
    this.managed = new Managed({
      label: options.nodeId,
      colorIndex: options.colorIndex ?? 0,
      command,
      args,
      env: {
        ...process.env,
        NODE_ID: options.nodeId,
        PORT: String(options.port),
        DB_PATH: options.dbPath,
        ...options.env,
      },
      cwd: REPO_ROOT,
      logFile: options.logFile,
      echo: options.echo ?? false,
      onUnexpectedExit: options.onUnexpectedExit ?? (() => {}),
    });
  }

  get pid() {
    return this.managed.pid;
  }

  get running() {
    return this.managed.running;
  }

  /** Resolves when the current process exits. */
  get exited() {
    return this.managed.exited;
  }

  /**
   * Starts the process (unless it runs) and waits until it is `until` (default ready).
   * @param {Until} [until]
   */
  async start(until = 'ready') {
    if (this.managed.running) return;
    this.managed.start();
    if (until === 'spawned') return;
    await waitReady(
      this.managed,
      `${this.url}/_cluster/health/${until}`,
      this.readyTimeoutMs,
      `${this.nodeId} (port ${this.port}, log ${this.logFile})`,
    );
  }

  /** SIGTERM, then SIGKILL after the shared STOP_TIMEOUT_MS; resolves once it has exited. */
  stop() {
    return this.managed.stop();
  }

  /** SIGKILL: a crash, no shutdown hooks. */
  kill() {
    return this.managed.kill();
  }

  /** @param {NodeJS.Signals} signal */
  signal(signal) {
    this.managed.signal(signal);
  }

  /**
   * Stops and starts the process; `env` is added to its environment from now on (e.g. to start
   * it as a newer build).
   * @param {Until} [until] @param {NodeJS.ProcessEnv} [env]
   */
  async restart(until = 'ready', env = {}) {
    await this.stop();
    this.managed.options.env = { ...this.managed.options.env, ...env };
    await this.start(until);
  }

  /** The last lines it printed. */
  logTail() {
    return this.managed.tail.text();
  }
}
