/** Type declarations for tools/supervisor/cluster.mjs (local ClusterLite cluster: Kafka broker, N nodes, nginx), re-exported by scripts/cluster.mjs. */

/** Repository root. */
export declare const REPO_ROOT: string;
/** `dist/apps/node/main.js`: the built node, started once per cluster node. */
export declare const NODE_MAIN: string;
/** `nginx/nginx.conf`: the template rendered for the local cluster. */
export declare const NGINX_TEMPLATE: string;
/** `.cluster` in the repository root (gitignored). */
export declare const DEFAULT_DATA_DIR: string;

export type ClusterErrorCode =
  | 'NOT_BUILT'
  | 'NO_NGINX'
  | 'CONFIG'
  | 'PORT_IN_USE'
  | 'UNSAFE_FRESH'
  | 'NGINX_CONFIG'
  | 'START_FAILED'
  | 'START_TIMEOUT'
  | 'STATE';

/** The expected failures of startCluster (missing build, missing nginx, busy port, node not ready...). */
export declare class ClusterError extends Error {
  constructor(code: ClusterErrorCode, message: string);
  readonly code: ClusterErrorCode;
}

export interface UnexpectedExit {
  /** "node-2", "nginx" or "kafka". */
  name: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Last lines of the process's output (or of the broker log). */
  tail: string;
}

export interface StartClusterOptions {
  /** Number of nodes, NODE_ID node-1..node-N (default 3). */
  nodes?: number;
  /** Broker data, node SQLite files and logs, nginx runtime dir (default `<repo>/.cluster`). */
  dataDir?: string;
  /** Delete dataDir first (refused unless it is empty or was created by this script). */
  fresh?: boolean;
  /** nginx port (default 8082). 0: a free port, and free ports for the nodes too unless basePort is set. */
  nginxPort?: number;
  /** Port of node-1; node-i gets basePort+i-1 (default nginxPort+1). 0: a free port per node. */
  basePort?: number;
  /** Port of the broker started here (default 9092; 0: a free port). Ignored with `brokers`. */
  kafkaPort?: number;
  /** An existing broker list ("host:port[,host:port]"): no broker is started. The CLI passes KAFKA_BROKERS. */
  brokers?: string;
  /** KAFKA_TOPIC_PREFIX for every node (default: the node's own default, "clusterlite"). */
  topicPrefix?: string;
  /** Extra environment for every node (NODE_ID, PORT, DB_PATH, KAFKA_BROKERS are always set by the cluster). */
  nodeEnv?: Record<string, string>;
  /** Make (or reuse) one API key per role in `<dataDir>/api-keys` and require them (default false). */
  apiKeys?: boolean;
  /** Do not echo node output to the terminal (it still goes to `<dataDir>/node-i/node.log`) and log nothing. */
  quiet?: boolean;
  /** Start nginx in front of the nodes (default true). Without it, `url` is node-1's. */
  withNginx?: boolean;
  /**
   * nginx also serves HTTPS on `port` (default 8443; 0: a free port) with this PEM certificate
   * and key (neither: a self-signed pair made once in `<dataDir>/tls`, CA in `ca.pem`), and plain
   * HTTP answers 308 to it. `url` is then the HTTPS one.
   */
  tls?: { certFile?: string; keyFile?: string; port?: number };
  /** How long each node may take to answer 200 on /_cluster/status (default 60000 ms). */
  readyTimeoutMs?: number;
  /** JVM heap of the broker started here (default: the harness's 512). */
  kafkaHeapMb?: number;
  /** Progress messages (default console.log, or nothing when quiet). */
  log?: (message: string) => void;
  /** Called when a node, nginx or the broker dies on its own after startup (default: a loud message on stderr). */
  onUnexpectedExit?: (exit: UnexpectedExit) => void;
}

export interface ClusterNode {
  /** "node-1" .. "node-N" */
  readonly nodeId: string;
  readonly port: number;
  /** "http://127.0.0.1:<port>" */
  readonly url: string;
  readonly dbPath: string;
  /** Output of every run of this node, appended. */
  readonly logFile: string;
  /** Pid of the running process; undefined when it is not running. */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Resolves when the current (or last) process exits. */
  readonly exited: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }>;
  /** Starts the node again (same NODE_ID, port and DB_PATH) and waits for /_cluster/status 200; no-op when running. */
  start(): Promise<void>;
  /** SIGTERM, then SIGKILL after the supervisor's shared stop timeout (15 s); no-op when not running. */
  stop(): Promise<void>;
  /** SIGKILL (a crash), and wait for the exit. */
  kill(): Promise<void>;
  /** Sends a signal to the node's process group (e.g. SIGSTOP/SIGCONT to freeze it) without waiting. */
  signal(signal: NodeJS.Signals): void;
  /** stop() then start(). */
  restart(): Promise<void>;
  /** The last lines of the node's output. */
  logTail(): string;
}

export interface ClusterBroker {
  /** KAFKA_BROKERS given to the nodes, e.g. "127.0.0.1:9092". */
  readonly brokers: string;
  /** True when the broker was given (`brokers` / KAFKA_BROKERS): stop and kill do nothing, restart throws. */
  readonly external: boolean;
  readonly port: number | undefined;
  readonly dataDir: string | undefined;
  readonly logFile: string | undefined;
  readonly pid: number | undefined;
  readonly running: boolean;
  /** SIGTERM, then SIGKILL after the shared stop timeout (15 s). */
  stop(): Promise<void>;
  /** SIGKILL. */
  kill(): Promise<void>;
  /** Stops it, then starts it again on the same port and data dir. */
  restart(): Promise<void>;
}

export interface ClusterNginx {
  readonly port: number;
  /** "http://127.0.0.1:<port>" */
  readonly url: string;
  /** With `tls`: the HTTPS port, and "https://127.0.0.1:<tlsPort>"; null without. */
  readonly tlsPort: number | null;
  readonly httpsUrl: string | null;
  /** The certificate nginx serves over HTTPS, or null. */
  readonly tlsCertFile: string | null;
  readonly binary: string;
  /** The rendered config. */
  readonly confPath: string;
  /** pid, error.log, access.log, tmp/. */
  readonly runtimeDir: string;
  readonly pid: number | undefined;
  readonly running: boolean;
  start(): Promise<void>;
  /** SIGTERM, then SIGKILL after the shared stop timeout (15 s). */
  stop(): Promise<void>;
  kill(): Promise<void>;
  restart(): Promise<void>;
}

export interface Cluster {
  /** nginx's URL ("http://127.0.0.1:8082", its HTTPS one with `tls`), or node-1's without nginx. */
  readonly url: string;
  readonly dataDir: string;
  readonly nodes: ClusterNode[];
  readonly broker: ClusterBroker;
  readonly nginx: ClusterNginx | null;
  /** The keys the nodes require (`apiKeys: true`), or null for an open cluster. */
  readonly apiKeys: {
    file: string;
    read: string;
    write: string;
    admin: string;
  } | null;
  /** Stops nginx, then the nodes, then the broker (if started here). Idempotent: every call returns the same promise. */
  stop(): Promise<void>;
}

/**
 * Starts a Kafka broker (unless `brokers` is given), the nodes and nginx, and resolves when all of
 * them answer. Fails with a ClusterError (and stops what it started) when something is missing or
 * does not come up. Children are SIGKILLed if the calling process exits without stopping them.
 */
export declare function startCluster(
  options?: StartClusterOptions,
): Promise<Cluster>;

/** Renders nginx/nginx.conf (or `template`) for the given ports and runtime dir. */
export declare function renderNginxConf(options: {
  listenPort: number;
  upstreamPorts: number[];
  runtimeDir: string;
  template?: string;
  tls?: { port: number; certFile: string; keyFile: string };
}): string;

/** The nginx binary (/usr/sbin/nginx, then PATH), or undefined. */
export declare function findNginx(): string | undefined;
