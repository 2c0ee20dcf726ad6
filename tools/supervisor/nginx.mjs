// @ts-check
/**
 * nginx in front of the nodes: finds the binary, renders nginx/nginx.conf for the given ports
 * (and TLS), checks it with `nginx -t` and runs nginx in the foreground under the supervisor.
 */
import {
  accessSync,
  constants as fsConstants,
  mkdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, join } from 'node:path';
import { ClusterError, Managed, runCapture, waitReady } from './managed.mjs';
import { REPO_ROOT } from './node.mjs';

/** The nginx config template rendered for the local cluster. */
export const NGINX_TEMPLATE = join(REPO_ROOT, 'nginx', 'nginx.conf');
/** How to install nginx, for the error message when it is missing. */
export const NGINX_APT_HINT = 'apt-get install -y nginx-light';
const NGINX_READY_TIMEOUT_MS = 15_000;

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
    '# Rendered from nginx/nginx.conf by tools/supervisor/nginx.mjs; rewritten on every start.',
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

/**
 * @typedef {object} NginxOptions
 * @property {string} binary from findNginx()
 * @property {string} runtimeDir nginx.conf, pid, logs and temp dirs go here
 * @property {number} listenPort
 * @property {number[]} upstreamPorts the nodes' ports
 * @property {{ port: number, certFile: string, keyFile: string }} [tls] also serve HTTPS
 * @property {number} [colorIndex]
 * @property {(label: string, code: number | null, signal: NodeJS.Signals | null, tail: string) => void} [onUnexpectedExit]
 */

/** nginx for a set of nodes; `start` renders and checks the config, then waits until it proxies. */
export class SupervisedNginx {
  /** @param {NginxOptions} options */
  constructor(options) {
    this.binary = options.binary;
    this.runtimeDir = options.runtimeDir;
    this.port = options.listenPort;
    this.tlsPort = options.tls?.port ?? null;
    this.url = `http://127.0.0.1:${options.listenPort}`;
    this.httpsUrl = options.tls
      ? `https://127.0.0.1:${options.tls.port}`
      : null;
    this.confPath = join(options.runtimeDir, 'nginx.conf');
    this.errorLog = join(options.runtimeDir, 'error.log');
    this.options = options;
    // -e: nginx opens its error log before reading the config; keep it out of /var/log.
    this.args = [
      '-p',
      `${options.runtimeDir}/`,
      '-c',
      this.confPath,
      '-e',
      this.errorLog,
    ];
    // As root without a `user` directive the workers run as "nobody", who may not reach the runtime dir.
    if (process.geteuid?.() === 0) this.args.push('-g', 'user root;');
    this.managed = new Managed({
      label: 'nginx',
      colorIndex: options.colorIndex ?? 0,
      command: options.binary,
      args: this.args,
      env: process.env,
      cwd: options.runtimeDir,
      logFile: undefined, // nginx writes error.log and access.log in the runtime dir itself
      echo: true, // nginx prints only problems, on stderr
      onUnexpectedExit: options.onUnexpectedExit ?? (() => {}),
    });
  }

  get pid() {
    return this.managed.pid;
  }

  get running() {
    return this.managed.running;
  }

  /** Renders the config, checks it (`nginx -t`), starts nginx and waits until it reaches a ready node. */
  async start() {
    if (this.managed.running) return;
    const { runtimeDir, listenPort, upstreamPorts, tls } = this.options;
    for (const sub of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'])
      mkdirSync(join(runtimeDir, 'tmp', sub), { recursive: true });
    writeFileSync(
      this.confPath,
      renderNginxConf({ listenPort, upstreamPorts, runtimeDir, tls }),
    );
    const check = await runCapture(this.binary, [...this.args, '-t', '-q']);
    if (check.code !== 0)
      throw new ClusterError(
        'NGINX_CONFIG',
        `nginx -t failed for ${this.confPath}:\n${check.output.trim()}`,
      );
    this.managed.start();
    await waitReady(
      this.managed,
      `${this.httpsUrl ?? this.url}/_cluster/health/ready`,
      NGINX_READY_TIMEOUT_MS,
      `nginx (port ${listenPort}, error log ${this.errorLog})`,
    );
  }

  /** SIGTERM (fast shutdown), then SIGKILL after the shared STOP_TIMEOUT_MS. */
  stop() {
    return this.managed.stop();
  }

  kill() {
    return this.managed.kill();
  }

  async restart() {
    await this.stop();
    await this.start();
  }
}
