// @ts-check
/**
 * What startCluster (tools/supervisor/cluster.mjs) settles before it starts anything: its
 * options, the ports (free or refused), the data dir (--fresh only on a dir it made), the API
 * keys and the TLS pair.
 */
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { findFreePort } from '../kafka/broker.mjs';
import { ClusterError, runCapture } from './managed.mjs';
import { NODE_READY_TIMEOUT_MS, REPO_ROOT } from './node.mjs';

/** Default data dir (gitignored). */
export const DEFAULT_DATA_DIR = join(REPO_ROOT, '.cluster');
const MARKER_FILE = '.clusterlite-data';

/** @typedef {import('./cluster.d.mts').StartClusterOptions} StartClusterOptions */

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
export function resolveOptions(options) {
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
        `${name} must be a port number (got ${JSON.stringify(v)})`,
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

/**
 * The ports of nginx (and its HTTPS one), the nodes and the broker started here; 0 means "any
 * free port", and with nginxPort 0 and no basePort the nodes get free ports too. Fails when one
 * is taken.
 * @param {ReturnType<typeof resolveOptions>} o
 */
export async function choosePorts(o) {
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
  return { nginxPort, tlsPort, nodePorts, kafkaPort };
}

/**
 * Empties the data dir first with `fresh` (only one this module made), then marks it as ours.
 * @param {ReturnType<typeof resolveOptions>} o
 */
export function prepareDataDir(o) {
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
}

/**
 * The certificate and key nginx serves HTTPS with: the ones given, else a self-signed pair made
 * once in <dataDir>/tls by scripts/selfsigned-cert.sh (beside the CA to trust, ca.pem).
 * @param {{ certFile?: string, keyFile?: string }} given @param {number} port
 * @param {string} dataDir @param {(message: string) => void} log
 */
export async function tlsPair(given, port, dataDir, log) {
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
export function ensureApiKeys(dataDir) {
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
