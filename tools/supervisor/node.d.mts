/** Type declarations for tools/supervisor/node.mjs (a node process started from the build). */

/** live: serves HTTP from its file; ready: also reaches and consumes the log; spawned: the process runs. */
export type Until = 'live' | 'ready' | 'spawned';

export declare const REPO_ROOT: string;
export declare const NODE_MAIN: string;
export declare const NODE_READY_TIMEOUT_MS: number;

export interface NodeOptions {
  nodeId: string;
  port: number;
  dbPath: string;
  /** Its stdout and stderr are appended here. */
  logFile: string;
  /** The rest of its environment (beside this process's own). */
  env?: NodeJS.ProcessEnv;
  /** Runs the node through this command, e.g. `['ip', 'netns', 'exec', 'ns1']`. */
  wrapper?: string[];
  /** Address the node is reached at (default 127.0.0.1). */
  host?: string;
  /** Also print its output, prefixed with [nodeId]. */
  echo?: boolean;
  colorIndex?: number;
  readyTimeoutMs?: number;
  onUnexpectedExit?: (
    label: string,
    code: number | null,
    signal: NodeJS.Signals | null,
    tail: string,
  ) => void;
}

/** A node process: `start` waits for live or ready; `stop` is SIGTERM, then SIGKILL after the shared timeout. */
export declare class SupervisedNode {
  constructor(options: NodeOptions);
  readonly nodeId: string;
  readonly port: number;
  readonly dbPath: string;
  readonly logFile: string;
  readonly url: string;
  readonly pid: number | undefined;
  readonly running: boolean;
  readonly exited: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }>;
  start(until?: Until): Promise<void>;
  stop(): Promise<void>;
  kill(): Promise<void>;
  signal(signal: NodeJS.Signals): void;
  restart(until?: Until, env?: NodeJS.ProcessEnv): Promise<void>;
  logTail(): string;
}
