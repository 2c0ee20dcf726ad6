import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from '../../tools/kafka/broker.mjs';
import { SupervisedNode } from '../../tools/supervisor/node.mjs';
import { eventually as retry } from './eventually.js';

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

/** A real node process, started from the build by the supervisor (tools/supervisor), with its own SQLite file. */
export class NodeProcess {
  readonly url: string;
  readonly nodeId: string;
  readonly port: number;
  readonly dbPath: string;
  readonly logFile: string;

  private constructor(private readonly node: SupervisedNode) {
    this.url = node.url;
    this.nodeId = node.nodeId;
    this.port = node.port;
    this.dbPath = node.dbPath;
    this.logFile = node.logFile;
  }

  static async start(options: NodeProcessOptions): Promise<NodeProcess> {
    const dir = mkdtempSync(join(tmpdir(), `clusterlite-${options.nodeId}-`));
    const port = options.port ?? (await findFreePort());
    const node = new NodeProcess(
      new SupervisedNode({
        nodeId: options.nodeId,
        port,
        dbPath: options.dbPath ?? join(dir, `${options.nodeId}.sqlite`),
        logFile: join(dir, 'node.log'),
        env: {
          LOG_LEVEL: 'warn',
          ...(options.brokers ? { KAFKA_BROKERS: options.brokers } : {}),
          ...(options.topicPrefix
            ? { KAFKA_TOPIC_PREFIX: options.topicPrefix }
            : {}),
          ...options.env,
        },
        wrapper: options.wrapper,
        host: options.host,
      }),
    );
    await node.node.start(options.until);
    return node;
  }

  /** The process id while it runs; undefined once it exited. */
  get pid(): number | undefined {
    return this.node.pid;
  }

  /** Whether the process runs (false once it exited by itself or was stopped). */
  get running(): boolean {
    return this.node.running;
  }

  /**
   * Stops and starts the node; `until: 'live'` returns once it serves, before it consumes the
   * log. `env` is added to its environment from now on (e.g. to start it as a newer build).
   */
  async restart(
    options: { until?: Readiness; env?: Record<string, string> } = {},
  ): Promise<void> {
    await this.node.restart(options.until, options.env);
  }

  /** SIGTERM and wait for a clean exit (SIGKILL after the supervisor's stop timeout). */
  async stop(): Promise<void> {
    await this.node.stop();
  }

  /** SIGKILL: a crash, no shutdown hooks. */
  async kill(): Promise<void> {
    await this.node.kill();
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
