#!/usr/bin/env node
// @ts-check
/**
 * A local ClusterLite cluster: one Kafka broker, N nodes, nginx in front.
 *
 *   npm run cluster                      # = npm run build && node scripts/cluster.mjs
 *   node scripts/cluster.mjs [--port 8082] [--nodes 3] [--data-dir .cluster] [--fresh] [--kafka-port 9092]
 *
 * KAFKA_BROKERS in the environment means: use that broker instead of starting one.
 * Ctrl-C (SIGINT) or SIGTERM stops nginx, the nodes and the broker, in that order.
 *
 * Layout of the data dir: kafka/ (broker log + data), node-i/node-i.sqlite and node-i/node.log,
 * nginx/ (rendered nginx.conf, pid, access.log, error.log, tmp/).
 *
 * Also a library for tests and benchmarks:
 *
 *   import { startCluster } from '../scripts/cluster.mjs';
 *   const cluster = await startCluster({ dataDir: '/tmp/x', fresh: true, quiet: true });
 *   await fetch(`${cluster.url}/users`);
 *   await cluster.nodes[1].kill(); await cluster.nodes[1].restart();
 *   await cluster.stop();
 */
import { spawn } from 'node:child_process';
import {
  accessSync,
  constants as fsConstants,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { get as httpsGet } from 'node:https';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  ensureKafkaJars,
  findFreePort,
  startKafkaBroker,
} from '../tools/kafka/broker.mjs';

/** Repository root (the parent of scripts/). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The built node, started once per cluster node. */
export const NODE_MAIN = join(REPO_ROOT, 'dist', 'apps', 'node', 'main.js');
/** The nginx config template rendered for the local cluster. */
export const NGINX_TEMPLATE = join(REPO_ROOT, 'nginx', 'nginx.conf');
/** Default data dir (gitignored). */
export const DEFAULT_DATA_DIR = join(REPO_ROOT, '.cluster');

const MARKER_FILE = '.clusterlite-data';
const NODE_READY_TIMEOUT_MS = 60_000;
const NODE_STOP_TIMEOUT_MS = 10_000;
const NGINX_STOP_TIMEOUT_MS = 5_000;
const LOG_TAIL_LINES = 30;
const NGINX_APT_HINT = 'apt-get install -y nginx-light';

/** Error with a stable code, so the CLI (and callers) can tell the expected failures apart. */
export class ClusterError extends Error {
  /** @param {string} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.name = 'ClusterError';
    this.code = code;
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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
 * Is `port` free for a server listening on every interface (what the nodes and nginx do)?
 * A dual-stack bind on :: also collides with anything bound to 127.0.0.1:port.
 * @param {number} port
 * @returns {Promise<boolean>}
 */
function isPortFree(port) {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolveFree(false));
    server.listen({ port, exclusive: true }, () =>
      server.close(() => resolveFree(true)),
    );
  });
}

/** @param {string} url @param {number} [timeoutMs] */
async function httpOk(url, timeoutMs = 2_000) {
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

/** Finds the nginx binary: /usr/sbin/nginx, then PATH. @returns {string | undefined} */
export function findNginx() {
  const candidates = [
    '/usr/sbin/nginx',
    ...(process.env.PATH ?? '')
      .split(delimiter)
      .filter(Boolean)
      .map((dir) => join(dir, 'nginx')),
    '/usr/local/sbin/nginx',
    '/usr/local/nginx/sbin/nginx',
  ];
  for (const candidate of candidates) {
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/**
 * Renders nginx/nginx.conf: `{{LISTEN_PORT}}`, `{{RUNTIME_DIR}}` and `{{UPSTREAMS}}` (a line of its
 * own, becoming one `server 127.0.0.1:PORT;` line per node with the same indentation). Comment
 * lines are left alone: they may name the placeholders. The lines between `# BEGIN TLS` and
 * `# END TLS` are kept, with `{{TLS_PORT}}`, `{{TLS_CERT_FILE}}` and `{{TLS_KEY_FILE}}`, only with `tls`.
 * @param {{ listenPort: number, upstreamPorts: number[], runtimeDir: string, template?: string,
 *   tls?: { port: number, certFile: string, keyFile: string } }} p
 */
export function renderNginxConf({
  listenPort,
  upstreamPorts,
  runtimeDir,
  template,
  tls,
}) {
  const text = template ?? readFileSync(NGINX_TEMPLATE, 'utf8');
  if (upstreamPorts.length === 0)
    throw new ClusterError('CONFIG', 'nginx needs at least one upstream');
  const out = [
    '# Rendered from nginx/nginx.conf by scripts/cluster.mjs; rewritten on every start.',
  ];
  let inTlsBlock = false;
  for (const line of text.split('\n')) {
    if (/^\s*# (BEGIN|END) TLS\s*$/.test(line)) {
      inTlsBlock = /BEGIN/.test(line);
      continue;
    }
    if (inTlsBlock && !tls) continue;
    if (/^\s*#/.test(line)) {
      out.push(line);
      continue;
    }
    const upstreams = line.match(/^([ \t]*)\{\{UPSTREAMS\}\}[ \t]*$/);
    const rendered = upstreams
      ? upstreamPorts
          .map((port) => `${upstreams[1]}server 127.0.0.1:${port};`)
          .join('\n')
      : line
          .replaceAll('{{LISTEN_PORT}}', String(listenPort))
          .replaceAll('{{RUNTIME_DIR}}', runtimeDir)
          .replaceAll('{{TLS_PORT}}', String(tls?.port))
          .replaceAll('{{TLS_CERT_FILE}}', tls?.certFile ?? '')
          .replaceAll('{{TLS_KEY_FILE}}', tls?.keyFile ?? '');
    const left = rendered.match(/\{\{[A-Z_]+\}\}/);
    if (left)
      throw new ClusterError(
        'CONFIG',
        `nginx template: cannot render ${left[0]} in line: ${line.trim()}`,
      );
    out.push(rendered);
  }
  return out.join('\n');
}

/**
 * Kills a child and, when it leads its own process group (detached), the whole group.
 * @param {import('node:child_process').ChildProcess} child @param {NodeJS.Signals} signal
 */
function signalTree(child, signal) {
  if (
    child.exitCode !== null ||
    child.signalCode !== null ||
    child.pid === undefined
  )
    return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* gone */
    }
  }
}

// Never leak children: SIGKILL them when this process exits, and let a tiny watchdog do it
// if this process dies without running any JS (SIGKILL, OOM kill).
/** @type {Set<import('node:child_process').ChildProcess>} */
const liveChildren = new Set();
let exitHookInstalled = false;
function trackChild(
  /** @type {import('node:child_process').ChildProcess} */ child,
) {
  if (child.pid === undefined) return;
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const c of liveChildren) signalTree(c, 'SIGKILL');
    });
  }
  try {
    const script =
      'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; ' +
      'kill -0 "$2" 2>/dev/null && { kill -9 -"$2" 2>/dev/null || kill -9 "$2" 2>/dev/null; }; exit 0';
    const dog = spawn(
      '/bin/sh',
      [
        '-c',
        script,
        'cluster-watchdog',
        String(process.pid),
        String(child.pid),
      ],
      {
        detached: true,
        stdio: 'ignore',
      },
    );
    dog.on('error', () => {});
    dog.unref();
  } catch {
    /* best effort; the exit hook still applies */
  }
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

// ---------------------------------------------------------------------------------------------
// Supervised child processes (nodes and nginx)
// ---------------------------------------------------------------------------------------------

/**
 * @typedef {object} ManagedOptions
 * @property {string} label e.g. "node-1", "nginx"
 * @property {number} colorIndex
 * @property {string} command
 * @property {string[]} args
 * @property {NodeJS.ProcessEnv} env
 * @property {string} cwd
 * @property {string | undefined} logFile output is appended here (ANSI colours stripped)
 * @property {boolean} echo echo output to the terminal, prefixed with [label]
 * @property {(label: string, code: number | null, signal: NodeJS.Signals | null, tail: string) => void} onUnexpectedExit
 */

/** One supervised process that can be stopped, killed and started again. */
class Managed {
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
    /** @type {import('node:fs').WriteStream | undefined} */
    let log;
    if (logFile) {
      mkdirSync(dirname(logFile), { recursive: true });
      log = createWriteStream(logFile, { flags: 'a' });
      log.on('error', () => {});
    }
    const child = spawn(command, args, {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group: a terminal Ctrl-C reaches this script only, which then stops
      // everything in order (nginx, nodes, broker).
      detached: true,
    });
    this.child = child;
    log?.write(
      `===== ${new Date().toISOString()} ${label} started: pid ${child.pid} =====\n`,
    );
    /** @param {import('node:stream').Readable | null} stream @param {NodeJS.WriteStream} out */
    const pipe = (stream, out) => {
      if (!stream) return;
      forEachLine(stream, (line) => {
        const plain = stripAnsi(line);
        this.tail.push(plain);
        log?.write(plain + '\n');
        if (echo)
          out.write(
            `${prefixFor(label, colorIndex, out)} ${out.isTTY ? line : plain}\n`,
          );
      });
    };
    pipe(child.stdout, process.stdout);
    pipe(child.stderr, process.stderr);

    this.exitPromise = new Promise((resolveExit) => {
      let done = false;
      /** @param {number | null} code @param {NodeJS.Signals | null} signal */
      const finish = (code, signal) => {
        if (done) return;
        done = true;
        this.exitInfo = { code, signal };
        log?.write(
          `===== ${new Date().toISOString()} ${label} exited: code ${code}, signal ${signal} =====\n`,
        );
        log?.end();
        if (!this.expectExit)
          this.options.onUnexpectedExit(label, code, signal, this.tail.text());
        resolveExit(this.exitInfo);
      };
      // 'close' comes after 'exit' once stdout/stderr are drained, so the log is complete. Fallback in
      // case something inherited the pipes and keeps them open.
      child.on('close', (code, signal) => finish(code, signal));
      child.on('exit', (code, signal) => {
        setTimeout(() => finish(code, signal), 2_000).unref();
      });
      child.on('error', (error) => {
        this.tail.push(`spawn error: ${error.message}`);
        finish(null, null);
      });
    });
    trackChild(child);
    // Library use: a forgotten cluster must not keep the caller's process alive; the exit hook
    // kills the children when it exits. (The CLI keeps itself alive.)
    child.unref();
    for (const stream of [child.stdout, child.stderr]) {
      /** @type {any} */ (stream)?.unref?.();
    }
    return child;
  }

  /**
   * Sends `signal`, waits up to `timeoutMs`, then SIGKILLs the process group.
   * @param {NodeJS.Signals} signal @param {number} timeoutMs
   */
  async stop(signal, timeoutMs) {
    const child = this.child;
    if (!child || this.exitInfo) return;
    this.expectExit = true;
    child.ref();
    signalTree(child, signal);
    const timer = setTimeout(() => signalTree(child, 'SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  async kill() {
    const child = this.child;
    if (!child || this.exitInfo) return;
    this.expectExit = true;
    child.ref();
    signalTree(child, 'SIGKILL');
    await this.exited;
  }
}

/**
 * Waits until `url` answers 200, failing early when the process exits.
 * @param {Managed} managed @param {string} url @param {number} timeoutMs @param {string} what
 */
async function waitReady(managed, url, timeoutMs, what) {
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

// ---------------------------------------------------------------------------------------------
// startCluster
// ---------------------------------------------------------------------------------------------

/**
 * @typedef {import('./cluster.d.mts').StartClusterOptions} StartClusterOptions
 * @typedef {import('./cluster.d.mts').Cluster} Cluster
 * @typedef {import('./cluster.d.mts').ClusterNode} ClusterNode
 * @typedef {import('./cluster.d.mts').ClusterBroker} ClusterBroker
 * @typedef {import('./cluster.d.mts').ClusterNginx} ClusterNginx
 */

/** @param {string} dataDir */
function assertSafeToDelete(dataDir) {
  const forbidden = [resolve('/'), REPO_ROOT, homedir(), process.cwd()].map(
    (p) => resolve(p),
  );
  const rel = relative(dataDir, REPO_ROOT);
  if (forbidden.includes(dataDir) || rel === '' || !rel.startsWith('..')) {
    throw new ClusterError(
      'UNSAFE_FRESH',
      `refusing to delete ${dataDir} (--fresh): it is / , $HOME, the cwd, or contains the repository`,
    );
  }
  if (!existsSync(dataDir)) return;
  const entries = readdirSync(dataDir);
  if (entries.length > 0 && !entries.includes(MARKER_FILE)) {
    throw new ClusterError(
      'UNSAFE_FRESH',
      `refusing to delete ${dataDir} (--fresh): it is not empty and was not created by scripts/cluster.mjs (no ${MARKER_FILE})`,
    );
  }
}

/** @param {StartClusterOptions} options */
function resolveOptions(options) {
  const nodes = options.nodes ?? 3;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 50) {
    throw new ClusterError(
      'CONFIG',
      `nodes must be an integer 1..50 (got ${nodes})`,
    );
  }
  /** @param {unknown} v @param {string} name */
  const port = (v, name) => {
    if (v === undefined) return undefined;
    if (
      !Number.isInteger(v) ||
      /** @type {number} */ (v) < 0 ||
      /** @type {number} */ (v) > 65535
    ) {
      throw new ClusterError(
        'CONFIG',
        `${name} must be a port number (got ${v})`,
      );
    }
    return /** @type {number} */ (v);
  };
  const brokersOption = options.brokers?.trim() || undefined;
  if (options.tls && !options.tls.certFile !== !options.tls.keyFile)
    throw new ClusterError(
      'CONFIG',
      'tls: certFile and keyFile go together (TLS_CERT_FILE and TLS_KEY_FILE); give both, or neither for a self-signed pair',
    );
  if (
    brokersOption &&
    !/^[A-Za-z0-9.-]+:\d{1,5}(,[A-Za-z0-9.-]+:\d{1,5})*$/.test(brokersOption)
  ) {
    throw new ClusterError(
      'CONFIG',
      `brokers must look like host:port[,host:port] (got ${brokersOption})`,
    );
  }
  return {
    nodes,
    dataDir: resolve(options.dataDir ?? DEFAULT_DATA_DIR),
    fresh: options.fresh ?? false,
    nginxPort: port(options.nginxPort, 'nginxPort') ?? 8082,
    basePort: port(options.basePort, 'basePort'),
    kafkaPort: port(options.kafkaPort, 'kafkaPort') ?? 9092,
    brokers: brokersOption,
    topicPrefix: options.topicPrefix,
    nodeEnv: options.nodeEnv ?? {},
    apiKeys: options.apiKeys ?? false,
    quiet: options.quiet ?? false,
    withNginx: options.withNginx ?? true,
    tls: options.tls
      ? {
          certFile: options.tls.certFile && resolve(options.tls.certFile),
          keyFile: options.tls.keyFile && resolve(options.tls.keyFile),
          port: port(options.tls.port, 'tls.port') ?? 8443,
        }
      : undefined,
    readyTimeoutMs: options.readyTimeoutMs ?? NODE_READY_TIMEOUT_MS,
    kafkaHeapMb: options.kafkaHeapMb,
    log:
      options.log ??
      (options.quiet ? () => {} : (/** @type {string} */ m) => console.log(m)),
    onUnexpectedExit: options.onUnexpectedExit,
  };
}

/** @param {string} file @param {number} lines */
function tailFile(file, lines) {
  try {
    return readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .slice(-lines)
      .join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts a broker (unless `brokers` is given), the nodes and nginx; resolves when all answer.
 * On failure everything started so far is stopped again and the error is rethrown.
 * @param {StartClusterOptions} [options]
 * @returns {Promise<Cluster>}
 */
export async function startCluster(options = {}) {
  const o = resolveOptions(options);
  const log = o.log;

  // --- Preconditions, before anything is started -------------------------------------------
  if (!existsSync(NODE_MAIN)) {
    throw new ClusterError(
      'NOT_BUILT',
      `${NODE_MAIN} is missing: build first with \`npm run build\` (\`npm run cluster\` does that).`,
    );
  }
  /** @type {string | undefined} */
  let nginxBin;
  if (o.withNginx) {
    nginxBin = findNginx();
    if (!nginxBin) {
      throw new ClusterError(
        'NO_NGINX',
        `nginx not found (looked in /usr/sbin and PATH). Install it, e.g.:\n  ${NGINX_APT_HINT}`,
      );
    }
  }

  // Ports. 0 means "any free port"; with nginxPort 0 and no basePort the nodes get free ports too.
  const nginxPort = o.withNginx
    ? o.nginxPort === 0
      ? await findFreePort()
      : o.nginxPort
    : 0;
  const tlsPort =
    o.withNginx && o.tls
      ? o.tls.port === 0
        ? await findFreePort()
        : o.tls.port
      : undefined;
  const autoNodePorts =
    o.basePort === 0 || (o.basePort === undefined && o.nginxPort === 0);
  /** @type {number[]} */
  const nodePorts = [];
  for (let i = 0; i < o.nodes; i++) {
    if (autoNodePorts) {
      let p;
      do p = await findFreePort();
      while (p === nginxPort || nodePorts.includes(p));
      nodePorts.push(p);
    } else {
      nodePorts.push((o.basePort ?? o.nginxPort + 1) + i);
    }
  }
  const startBroker = !o.brokers;
  const kafkaPort = startBroker
    ? o.kafkaPort === 0
      ? await findFreePort()
      : o.kafkaPort
    : undefined;

  /** @type {Array<{ what: string, port: number, hint: string }>} */
  const wanted = [];
  if (o.withNginx)
    wanted.push({
      what: 'nginx',
      port: nginxPort,
      hint: ' (choose another with --port)',
    });
  if (tlsPort !== undefined)
    wanted.push({
      what: 'nginx (HTTPS)',
      port: tlsPort,
      hint: ' (choose another with --tls-port)',
    });
  nodePorts.forEach((port, i) =>
    wanted.push({
      what: `node-${i + 1}`,
      port,
      hint: ' (nodes use --port+1 .. --port+nodes)',
    }),
  );
  if (kafkaPort !== undefined) {
    wanted.push({
      what: 'the Kafka broker',
      port: kafkaPort,
      hint: ' (choose another with --kafka-port, or set KAFKA_BROKERS to use a running broker)',
    });
  }
  for (const { what, port, hint } of wanted) {
    if (port > 65535)
      throw new ClusterError(
        'CONFIG',
        `port ${port} for ${what} is out of range`,
      );
    if (!(await isPortFree(port))) {
      throw new ClusterError(
        'PORT_IN_USE',
        `port ${port} for ${what} is already in use${hint}`,
      );
    }
  }

  // --- Data dir -----------------------------------------------------------------------------
  if (o.fresh) {
    assertSafeToDelete(o.dataDir);
    rmSync(o.dataDir, { recursive: true, force: true });
  }
  mkdirSync(o.dataDir, { recursive: true });
  writeFileSync(
    join(o.dataDir, MARKER_FILE),
    'Data of a local ClusterLite cluster (scripts/cluster.mjs). Safe to delete.\n',
  );
  const apiKeys = o.apiKeys ? ensureApiKeys(o.dataDir) : null;

  const tls =
    o.tls && tlsPort !== undefined
      ? await tlsPair(o.tls, tlsPort, o.dataDir, log)
      : undefined;

  /** @type {(() => Promise<void>) | undefined} */
  let stopNginx;
  /** @type {Array<() => Promise<void>>} */
  const stopNodes = [];
  /** @type {(() => Promise<void>) | undefined} */
  let stopBroker;
  let started = false;
  let stopping = false;

  /** nginx first, then the nodes (in parallel), then the broker; never throws. */
  const stopAll = async () => {
    stopping = true;
    if (stopNginx) await stopNginx().catch(() => {});
    await Promise.allSettled(stopNodes.map((stop) => stop()));
    if (stopBroker) await stopBroker().catch(() => {});
  };

  /** @param {string} name @param {number | null} code @param {NodeJS.Signals | null} signal @param {string} tail */
  const unexpectedExit = (name, code, signal, tail) => {
    // Before the cluster is up, the startup error carries the details; while stopping, exits are expected.
    if (!started || stopping) return;
    if (o.onUnexpectedExit) {
      o.onUnexpectedExit({ name, code, signal, tail });
      return;
    }
    const bar = '!'.repeat(78);
    console.error(
      `\n${bar}\n!! ${name} EXITED UNEXPECTEDLY (code ${code}, signal ${signal}); everything else keeps running.\n` +
        `!! Last output:\n${tail.split('\n').slice(-12).join('\n').replace(/^/gm, '!!   ')}\n${bar}\n`,
    );
  };

  try {
    // --- Kafka --------------------------------------------------------------------------------
    /** @type {ClusterBroker} */
    let broker;
    if (startBroker) {
      log('Checking the Kafka jars (tools/kafka/lib)...');
      await ensureKafkaJars();
      const kafkaDir = join(o.dataDir, 'kafka');
      log(
        `Starting the Kafka broker on 127.0.0.1:${kafkaPort} (data ${kafkaDir})...`,
      );
      /** @type {import('../tools/kafka/broker.mjs').KafkaBroker | undefined} */
      let current;
      let brokerRunning = false;
      let expectBrokerExit = false;
      const launch = async () => {
        const b = await startKafkaBroker({
          dataDir: kafkaDir,
          port: kafkaPort,
          heapMb: o.kafkaHeapMb,
        });
        current = b;
        brokerRunning = true;
        expectBrokerExit = false;
        void b.exited.then(({ code, signal }) => {
          if (current !== b) return;
          brokerRunning = false;
          if (!expectBrokerExit)
            unexpectedExit(
              'kafka',
              code,
              signal,
              tailFile(b.logFile, LOG_TAIL_LINES),
            );
        });
        return b;
      };
      const first = await launch();
      log(
        `Kafka broker ready at ${first.brokers} in ${first.startupMs} ms (log ${first.logFile})`,
      );
      stopBroker = async () => {
        expectBrokerExit = true;
        await current?.stop();
      };
      const stopThisBroker = stopBroker;
      broker = {
        brokers: first.brokers,
        external: false,
        port: first.port,
        dataDir: kafkaDir,
        logFile: first.logFile,
        get pid() {
          return brokerRunning ? current?.pid : undefined;
        },
        get running() {
          return brokerRunning;
        },
        stop: stopThisBroker,
        kill: async () => {
          expectBrokerExit = true;
          await current?.kill();
        },
        restart: async () => {
          await stopThisBroker();
          await launch();
        },
      };
    } else {
      const brokers = /** @type {string} */ (o.brokers);
      log(`Using the Kafka broker(s) at ${brokers}`);
      broker = {
        brokers,
        external: true,
        port: undefined,
        dataDir: undefined,
        logFile: undefined,
        pid: undefined,
        running: true,
        stop: async () => {},
        kill: async () => {},
        restart: async () => {
          throw new ClusterError(
            'STATE',
            `the Kafka broker at ${brokers} is external: it cannot be restarted from here`,
          );
        },
      };
    }

    // --- Nodes --------------------------------------------------------------------------------
    /** @type {ClusterNode[]} */
    const nodes = [];
    for (let i = 1; i <= o.nodes; i++) {
      const nodeId = `node-${i}`;
      const port = nodePorts[i - 1];
      const dir = join(o.dataDir, nodeId);
      mkdirSync(dir, { recursive: true });
      const dbPath = join(dir, `${nodeId}.sqlite`);
      const logFile = join(dir, 'node.log');
      /** @type {NodeJS.ProcessEnv} */
      const env = {
        ...process.env,
        ...o.nodeEnv,
        NODE_ID: nodeId,
        PORT: String(port),
        DB_PATH: dbPath,
        KAFKA_BROKERS: broker.brokers,
        ...(apiKeys ? { API_KEYS: '', API_KEYS_FILE: apiKeys.file } : {}),
        ...(o.topicPrefix !== undefined
          ? { KAFKA_TOPIC_PREFIX: o.topicPrefix }
          : {}),
      };
      const managed = new Managed({
        label: nodeId,
        colorIndex: i - 1,
        command: process.execPath,
        args: [NODE_MAIN],
        env,
        cwd: REPO_ROOT,
        logFile,
        echo: !o.quiet,
        onUnexpectedExit: unexpectedExit,
      });
      const url = `http://127.0.0.1:${port}`;
      const what = `${nodeId} (port ${port}, log ${logFile})`;
      const start = async () => {
        if (managed.running) return;
        managed.start();
        await waitReady(
          managed,
          `${url}/_cluster/health/ready`,
          o.readyTimeoutMs,
          what,
        );
      };
      const stop = () => managed.stop('SIGTERM', NODE_STOP_TIMEOUT_MS);
      /** @type {ClusterNode} */
      const node = {
        nodeId,
        port,
        url,
        dbPath,
        logFile,
        get pid() {
          return managed.pid;
        },
        get running() {
          return managed.running;
        },
        get exited() {
          return managed.exited;
        },
        start,
        stop,
        kill: () => managed.kill(),
        signal: (signal) => {
          if (managed.child && managed.running)
            signalTree(managed.child, signal);
        },
        restart: async () => {
          await stop();
          await start();
        },
        logTail: () => managed.tail.text(),
      };
      nodes.push(node);
      stopNodes.push(stop);
    }
    log(`Starting ${o.nodes} node(s) on port(s) ${nodePorts.join(', ')}...`);
    const results = await Promise.allSettled(nodes.map((node) => node.start()));
    const failure = results.find((r) => r.status === 'rejected');
    if (failure) throw /** @type {PromiseRejectedResult} */ (failure).reason;
    for (const node of nodes)
      log(
        `${node.nodeId} ready at ${node.url} (pid ${node.pid}, db ${node.dbPath})`,
      );

    // --- nginx --------------------------------------------------------------------------------
    /** @type {ClusterNginx | null} */
    let nginx = null;
    if (nginxBin) {
      const runtimeDir = join(o.dataDir, 'nginx');
      for (const sub of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
        mkdirSync(join(runtimeDir, 'tmp', sub), { recursive: true });
      }
      const confPath = join(runtimeDir, 'nginx.conf');
      const errorLog = join(runtimeDir, 'error.log');
      writeFileSync(
        confPath,
        renderNginxConf({
          listenPort: nginxPort,
          upstreamPorts: nodePorts,
          runtimeDir,
          tls,
        }),
      );
      // -e: nginx opens its error log before reading the config; keep it out of /var/log.
      const args = ['-p', `${runtimeDir}/`, '-c', confPath, '-e', errorLog];
      // As root without a `user` directive the workers run as "nobody", who may not reach the runtime dir.
      if (process.geteuid?.() === 0) args.push('-g', 'user root;');
      const check = await runCapture(nginxBin, [...args, '-t', '-q']);
      if (check.code !== 0) {
        throw new ClusterError(
          'NGINX_CONFIG',
          `nginx -t failed for ${confPath}:\n${check.output.trim()}`,
        );
      }
      const managed = new Managed({
        label: 'nginx',
        colorIndex: o.nodes,
        command: nginxBin,
        args,
        env: process.env,
        cwd: runtimeDir,
        logFile: undefined, // nginx writes error.log and access.log in the runtime dir itself
        echo: true, // nginx prints only problems, on stderr
        onUnexpectedExit: unexpectedExit,
      });
      const url = `http://127.0.0.1:${nginxPort}`;
      const httpsUrl =
        tlsPort === undefined ? null : `https://127.0.0.1:${tlsPort}`;
      const start = async () => {
        if (managed.running) return;
        log(
          `Starting nginx on port ${nginxPort}${httpsUrl ? ` and ${tlsPort} (HTTPS)` : ''} (${nginxBin}, config ${confPath})...`,
        );
        managed.start();
        await waitReady(
          managed,
          `${httpsUrl ?? url}/_cluster/health/ready`,
          15_000,
          `nginx (port ${nginxPort}, error log ${errorLog})`,
        );
      };
      const stop = () => managed.stop('SIGQUIT', NGINX_STOP_TIMEOUT_MS);
      stopNginx = stop;
      await start();
      nginx = {
        port: nginxPort,
        url,
        tlsPort: tlsPort ?? null,
        httpsUrl,
        tlsCertFile: tls?.certFile ?? null,
        binary: nginxBin,
        confPath,
        runtimeDir,
        get pid() {
          return managed.pid;
        },
        get running() {
          return managed.running;
        },
        start,
        stop,
        kill: () => managed.kill(),
        restart: async () => {
          await stop();
          await start();
        },
      };
    }

    /** @type {Promise<void> | undefined} */
    let stopped;
    started = true;
    return {
      url: nginx ? (nginx.httpsUrl ?? nginx.url) : nodes[0].url,
      dataDir: o.dataDir,
      nodes,
      broker,
      nginx,
      apiKeys,
      stop: () => {
        stopped ??= stopAll();
        return stopped;
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * The certificate and key nginx serves HTTPS with: the ones given, else a self-signed pair made
 * once in <dataDir>/tls by scripts/selfsigned-cert.sh (beside the CA to trust, ca.pem).
 * @param {{ certFile?: string, keyFile?: string }} given @param {number} port
 * @param {string} dataDir @param {(message: string) => void} log
 */
async function tlsPair(given, port, dataDir, log) {
  if (given.certFile && given.keyFile)
    return { certFile: given.certFile, keyFile: given.keyFile, port };
  const dir = join(dataDir, 'tls');
  if (!existsSync(join(dir, 'tls.key'))) {
    const made = await runCapture('sh', [
      join(REPO_ROOT, 'scripts', 'selfsigned-cert.sh'),
      dir,
    ]);
    if (made.code !== 0)
      throw new ClusterError(
        'CONFIG',
        `scripts/selfsigned-cert.sh failed:\n${made.output}`,
      );
    log(made.output.trim());
  }
  return {
    certFile: join(dir, 'tls.crt'),
    keyFile: join(dir, 'tls.key'),
    port,
  };
}

/**
 * The cluster's API keys, one per role, in `<dataDir>/api-keys` (mode 600): made on first
 * start, kept across restarts (until --fresh).
 * @param {string} dataDir
 * @returns {{ file: string, read: string, write: string, admin: string }}
 */
function ensureApiKeys(dataDir) {
  const file = join(dataDir, 'api-keys');
  if (!existsSync(file)) {
    const token = () => randomBytes(24).toString('base64url');
    writeFileSync(
      file,
      '# API keys of this local cluster (API_KEYS_FILE of every node): role:token\n' +
        `read:${token()}\nwrite:${token()}\nadmin:${token()}\n`,
      { mode: 0o600 },
    );
  }
  /** @type {Record<string, string>} */
  const keys = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^(read|write|admin):(\S+)$/.exec(line.trim());
    if (match) keys[match[1]] ??= match[2];
  }
  if (!keys.read || !keys.write || !keys.admin)
    throw new ClusterError(
      'CONFIG',
      `${file} must hold a read, a write and an admin key (delete it to get new ones)`,
    );
  return { file, read: keys.read, write: keys.write, admin: keys.admin };
}

/**
 * Runs a command to completion, capturing stdout+stderr.
 * @param {string} command @param {string[]} args
 * @returns {Promise<{ code: number | null, output: string }>}
 */
function runCapture(command, args) {
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

// ---------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------

const USAGE = `usage: node scripts/cluster.mjs [--port 8082] [--nodes 3] [--data-dir .cluster] [--fresh] [--kafka-port 9092] [--tls [--tls-port 8443]]

  --port N         nginx port (default 8082); the nodes use N+1 .. N+nodes
  --nodes N        number of nodes (default 3)
  --data-dir DIR   broker data, node SQLite files, logs, nginx runtime (default .cluster)
  --fresh          delete the data dir first
  --kafka-port N   port of the Kafka broker started here (default 9092)
  --tls            nginx also serves HTTPS on --tls-port (default 8443); plain HTTP then redirects
                   to it. Certificate and key: TLS_CERT_FILE and TLS_KEY_FILE (PEM), else a
                   self-signed pair made once in <data-dir>/tls by scripts/selfsigned-cert.sh
  --open           no API keys: anyone who can reach the cluster may do anything
                   (by default keys are made in DIR/api-keys and required)

KAFKA_BROKERS=host:port[,host:port] uses that broker instead of starting one.
Needs a build (npm run build), Java + Maven for the broker, and nginx.`;

/** @param {string[]} argv */
export async function main(argv = process.argv.slice(2)) {
  /** @type {ReturnType<typeof parseArgs>['values']} */
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string', default: '8082' },
        nodes: { type: 'string', default: '3' },
        'data-dir': { type: 'string' },
        fresh: { type: 'boolean', default: false },
        'kafka-port': { type: 'string', default: '9092' },
        tls: { type: 'boolean', default: false },
        'tls-port': { type: 'string', default: '8443' },
        open: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    console.error(
      `${error instanceof Error ? error.message : error}\n\n${USAGE}`,
    );
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  /** @param {unknown} v @param {string} name @param {number} min */
  const int = (v, name, min) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > 65535) {
      console.error(`invalid --${name}: ${v}`);
      process.exit(2);
    }
    return n;
  };
  const nginxPort = int(values.port, 'port', 1);
  const nodes = int(values.nodes, 'nodes', 1);
  const kafkaPort = int(values['kafka-port'], 'kafka-port', 1);
  const dataDir = resolve(
    /** @type {string | undefined} */ (values['data-dir']) ?? DEFAULT_DATA_DIR,
  );
  const tls =
    values.tls || process.env.TLS_CERT_FILE || process.env.TLS_KEY_FILE
      ? {
          certFile: process.env.TLS_CERT_FILE || undefined,
          keyFile: process.env.TLS_KEY_FILE || undefined,
          port: int(values['tls-port'], 'tls-port', 1),
        }
      : undefined;

  /** @type {Cluster | undefined} */
  let cluster;
  let shuttingDown = false;
  let firstSignalAt = 0;
  // Stay alive while the cluster runs (the children are unref'd).
  const keepAlive = setInterval(() => {}, 1 << 30);

  /** @param {NodeJS.Signals} signal */
  const onSignal = async (signal) => {
    if (shuttingDown) {
      // `timeout` and some supervisors send the same signal twice at once; only a later one escalates.
      if (Date.now() - firstSignalAt < 1000) return;
      console.error(`${signal} again: killing everything`);
      for (const c of liveChildren) signalTree(c, 'SIGKILL');
      process.exit(1);
    }
    shuttingDown = true;
    firstSignalAt = Date.now();
    if (!cluster) {
      // Still starting: startCluster's cleanup cannot be reached from here; the exit hooks
      // (ours and the broker harness's) SIGKILL every child.
      console.error(`${signal} during startup: killing everything`);
      process.exit(130);
    }
    console.log(`\n${signal}: stopping nginx, nodes and Kafka broker...`);
    await cluster.stop();
    console.log('Cluster stopped.');
    clearInterval(keepAlive);
    process.exit(0);
  };
  process.on('SIGINT', () => void onSignal('SIGINT'));
  process.on('SIGTERM', () => void onSignal('SIGTERM'));
  process.on('SIGHUP', () => void onSignal('SIGHUP'));

  const brokers = process.env.KAFKA_BROKERS?.trim() || undefined;
  try {
    cluster = await startCluster({
      nodes,
      nginxPort,
      kafkaPort,
      dataDir,
      // `npm run cluster --fresh` (without `--`) reaches us only as npm's config variable.
      fresh:
        /** @type {boolean} */ (values.fresh) ||
        process.env.npm_config_fresh === 'true',
      brokers,
      tls,
      apiKeys: !values.open,
    });
  } catch (error) {
    clearInterval(keepAlive);
    if (error instanceof ClusterError) {
      console.error(`\ncluster: ${error.message}`);
    } else {
      console.error('\ncluster: failed to start:', error);
    }
    return 1;
  }
  if (shuttingDown) return 0;

  const line = '-'.repeat(64);
  const nginxPortShown = cluster.nginx?.port ?? nginxPort;
  console.log(
    [
      '',
      line,
      ` ClusterLite is up: ${cluster.nodes.length} node(s)`,
      `   Cluster (nginx)   http://localhost:${nginxPortShown}`,
      ...(cluster.nginx?.httpsUrl
        ? [
            `   HTTPS             https://localhost:${cluster.nginx.tlsPort} (HTTP redirects here; certificate ${cluster.nginx.tlsCertFile})`,
          ]
        : []),
      `   Swagger UI        ${cluster.nginx?.httpsUrl ? `https://localhost:${cluster.nginx.tlsPort}` : `http://localhost:${nginxPortShown}`}/docs`,
      ...cluster.nodes.map(
        (n) =>
          `   ${n.nodeId.padEnd(17)} http://localhost:${n.port}   (status: /_cluster/status)`,
      ),
      `   Kafka broker      ${cluster.broker.brokers}${cluster.broker.external ? ' (external)' : ''}`,
      `   Data dir          ${cluster.dataDir}`,
      ...(cluster.apiKeys
        ? [
            `   API keys          ${cluster.apiKeys.file} (read, write, admin); for example:`,
            `     curl -H 'Authorization: Bearer ${cluster.apiKeys.read}' http://localhost:${nginxPortShown}/users`,
            `     curl -H 'Authorization: Bearer ${cluster.apiKeys.admin}' http://localhost:${nginxPortShown}/_cluster/status`,
            '     Swagger UI: Authorize, then paste a key.',
          ]
        : ['   API keys          none (--open): anyone can read and write']),
      ' Ctrl-C stops everything.',
      line,
      '',
    ].join('\n'),
  );
  return await new Promise(() => {}); // runs until a signal
}

/** True when this file is the entry point (`node scripts/cluster.mjs`), not an import. */
function invokedDirectly() {
  if (!process.argv[1]) return false;
  if (import.meta.url === pathToFileURL(process.argv[1]).href) return true;
  try {
    return (
      import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href
    );
  } catch {
    return false;
  }
}
if (invokedDirectly()) {
  const code = await main();
  process.exit(code);
}
