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
 * The processes are started and stopped by the supervisor in tools/supervisor (cluster.mjs there
 * composes the broker, node and nginx parts); this file is the command line around it, and
 * re-exports its API for tests and benchmarks:
 *
 *   import { startCluster } from '../scripts/cluster.mjs';
 *   const cluster = await startCluster({ dataDir: '/tmp/x', fresh: true, quiet: true });
 *   await fetch(`${cluster.url}/users`);
 *   await cluster.nodes[1].kill(); await cluster.nodes[1].restart();
 *   await cluster.stop();
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { killAll } from '../tools/supervisor/children.mjs';
import {
  ClusterError,
  DEFAULT_DATA_DIR,
  startCluster,
} from '../tools/supervisor/cluster.mjs';

export {
  ClusterError,
  DEFAULT_DATA_DIR,
  NGINX_TEMPLATE,
  NODE_MAIN,
  REPO_ROOT,
  findNginx,
  renderNginxConf,
  startCluster,
} from '../tools/supervisor/cluster.mjs';

/** @typedef {import('../tools/supervisor/cluster.d.mts').Cluster} Cluster */

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
      `${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`,
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
      console.error(`invalid --${name}: ${String(v)}`);
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
      killAll();
      process.exit(1);
    }
    shuttingDown = true;
    firstSignalAt = Date.now();
    if (!cluster) {
      // Still starting: startCluster's cleanup cannot be reached from here; the supervisor's
      // exit hook SIGKILLs every child.
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
