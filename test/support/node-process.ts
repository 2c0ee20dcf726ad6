import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findFreePort } from '../../tools/kafka/broker.mjs';
import { eventually as retry } from './eventually.js';

const MAIN = resolve(import.meta.dirname, '../../dist/apps/node/main.js');

export interface NodeProcessOptions {
  nodeId: string;
  brokers?: string;
  topicPrefix?: string;
  dbPath?: string;
  port?: number;
  env?: Record<string, string>;
  /** What `start` waits for (default ready); `spawned`: only that the process runs. */
  until?: Readiness | 'spawned';
  /** Runs the node through this command, e.g. `['ip', 'netns', 'exec', 'ns1']`. */
  wrapper?: string[];
  /** Address the test reaches the node at (default 127.0.0.1). */
  host?: string;
}

/** live: the node serves HTTP from its file; ready: it also reaches and consumes the log. */
export type Readiness = 'live' | 'ready';

/** A real node process, started from the build, with its own SQLite file. */
export class NodeProcess {
  readonly url: string;
  private child: ChildProcess | null = null;

  private constructor(
    readonly nodeId: string,
    readonly port: number,
    readonly dbPath: string,
    readonly logFile: string,
    private env: Record<string, string>,
    private readonly wrapper: string[] = [],
    host = '127.0.0.1',
  ) {
    this.url = `http://${host}:${port}`;
  }

  static async start(options: NodeProcessOptions): Promise<NodeProcess> {
    const dir = mkdtempSync(join(tmpdir(), `clusterlite-${options.nodeId}-`));
    const port = options.port ?? (await findFreePort());
    const dbPath = options.dbPath ?? join(dir, `${options.nodeId}.sqlite`);
    const env: Record<string, string> = {
      NODE_ID: options.nodeId,
      PORT: String(port),
      DB_PATH: dbPath,
      LOG_LEVEL: 'warn',
      ...(options.brokers ? { KAFKA_BROKERS: options.brokers } : {}),
      ...(options.topicPrefix
        ? { KAFKA_TOPIC_PREFIX: options.topicPrefix }
        : {}),
      ...options.env,
    };
    const node = new NodeProcess(
      options.nodeId,
      port,
      dbPath,
      join(dir, 'node.log'),
      env,
      options.wrapper,
      options.host,
    );
    await node.launch(options.until);
    return node;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Stops and starts the node; `until: 'live'` returns once it serves, before it consumes the
   * log. `env` is added to its environment from now on (e.g. to start it as a newer build).
   */
  async restart(
    options: { until?: Readiness; env?: Record<string, string> } = {},
  ): Promise<void> {
    await this.stop();
    this.env = { ...this.env, ...options.env };
    await this.launch(options.until);
  }

  /** SIGTERM and wait for a clean exit. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** SIGKILL: a crash, no shutdown hooks. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  async status(): Promise<any> {
    const response = await fetch(`${this.url}/_cluster/status`);
    if (!response.ok) throw new Error(`status ${response.status}`);
    return response.json();
  }

  logs(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  private async launch(until: Readiness | 'spawned' = 'ready'): Promise<void> {
    const [command, ...args] = [...this.wrapper, process.execPath, MAIN];
    const child = spawn(command, args, {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const log = (chunk: Buffer) => appendFileSync(this.logFile, chunk);
    child.stdout?.on('data', log);
    child.stderr?.on('data', log);
    if (until === 'spawned') return;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) break;
      try {
        // Ready: SQLite answers, the log is reachable and the node is consuming it.
        const ready = await fetch(`${this.url}/_cluster/health/${until}`);
        if (ready.ok) return;
        throw new Error(`ready ${ready.status}`);
      } catch {
        await new Promise((resolveWait) => setTimeout(resolveWait, 100));
      }
    }
    const tail = this.logs().split('\n').slice(-30).join('\n');
    child.kill('SIGKILL');
    throw new Error(
      `Node ${this.nodeId} did not start on ${this.url}:\n${tail}`,
    );
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolveExit) =>
      child.once('exit', resolveExit),
    );
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    this.child = null;
  }
}

/** A topic prefix no other test file uses, so files sharing a broker do not see each other's events. */
export function uniqueTopicPrefix(name: string): string {
  return `t${Date.now().toString(36)}-${name}`;
}

/** Retries `check` until it stops throwing or `timeoutMs` (default 15 s: processes and a broker) passes. */
export function eventually<T>(
  check: () => Promise<T>,
  timeoutMs = 15_000,
  intervalMs = 100,
): Promise<T> {
  return retry(check, timeoutMs, intervalMs);
}
