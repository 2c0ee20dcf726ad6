// @ts-check
/**
 * A local ClusterLite cluster from the supervisor's parts: one Kafka broker (broker.mjs), N
 * nodes (node.mjs) and nginx in front (nginx.mjs). Used by `npm run cluster` (scripts/cluster.mjs),
 * the benchmarks and the cluster tests.
 *
 *   const cluster = await startCluster({ dataDir: '/tmp/x', fresh: true, quiet: true });
 *   await fetch(`${cluster.url}/users`);
 *   await cluster.nodes[1].kill(); await cluster.nodes[1].restart();
 *   await cluster.stop();
 *
 * Layout of the data dir: kafka/ (broker log + data), node-i/node-i.sqlite and node-i/node.log,
 * nginx/ (rendered nginx.conf, pid, access.log, error.log, tmp/).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  ensureKafkaJars,
  externalBroker,
  startSupervisedBroker,
} from './broker.mjs';
import {
  choosePorts,
  ensureApiKeys,
  prepareDataDir,
  resolveOptions,
  tlsPair,
} from './cluster-setup.mjs';
import { ClusterError } from './managed.mjs';
import { NGINX_APT_HINT, SupervisedNginx, findNginx } from './nginx.mjs';
import { NODE_MAIN, SupervisedNode } from './node.mjs';

export { DEFAULT_DATA_DIR } from './cluster-setup.mjs';
export { ClusterError } from './managed.mjs';
export { NGINX_TEMPLATE, findNginx, renderNginxConf } from './nginx.mjs';
export { NODE_MAIN, REPO_ROOT } from './node.mjs';

/**
 * @typedef {import('./cluster.d.mts').StartClusterOptions} StartClusterOptions
 * @typedef {import('./cluster.d.mts').Cluster} Cluster
 * @typedef {import('./cluster.d.mts').ClusterNode} ClusterNode
 * @typedef {import('./cluster.d.mts').ClusterBroker} ClusterBroker
 * @typedef {import('./cluster.d.mts').ClusterNginx} ClusterNginx
 */

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
  const nginxBin = o.withNginx ? findNginx() : undefined;
  if (o.withNginx && !nginxBin) {
    throw new ClusterError(
      'NO_NGINX',
      `nginx not found (looked in /usr/sbin and PATH). Install it, e.g.:\n  ${NGINX_APT_HINT}`,
    );
  }
  const { nginxPort, tlsPort, nodePorts, kafkaPort } = await choosePorts(o);
  prepareDataDir(o);
  const apiKeys = o.apiKeys ? ensureApiKeys(o.dataDir) : null;
  const tls =
    o.tls && tlsPort !== undefined
      ? await tlsPair(o.tls, tlsPort, o.dataDir, log)
      : undefined;

  /** @type {SupervisedNginx | undefined} */
  let nginxProcess;
  /** @type {SupervisedNode[]} */
  const nodeProcesses = [];
  /** @type {ClusterBroker | undefined} */
  let broker;
  let started = false;
  let stopping = false;

  /** nginx first, then the nodes (in parallel), then the broker; never throws. */
  const stopAll = async () => {
    stopping = true;
    if (nginxProcess) await nginxProcess.stop().catch(() => {});
    await Promise.allSettled(nodeProcesses.map((node) => node.stop()));
    if (broker) await broker.stop().catch(() => {});
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
    if (o.brokers) {
      log(`Using the Kafka broker(s) at ${o.brokers}`);
      broker = externalBroker(o.brokers);
    } else {
      log('Checking the Kafka jars (tools/kafka/lib)...');
      await ensureKafkaJars();
      const kafkaDir = join(o.dataDir, 'kafka');
      log(
        `Starting the Kafka broker on 127.0.0.1:${kafkaPort} (data ${kafkaDir})...`,
      );
      const supervised = await startSupervisedBroker({
        dataDir: kafkaDir,
        port: kafkaPort,
        heapMb: o.kafkaHeapMb,
        onUnexpectedExit: unexpectedExit,
      });
      broker = supervised.broker;
      log(
        `Kafka broker ready at ${broker.brokers} in ${supervised.startupMs} ms (log ${broker.logFile})`,
      );
    }

    // --- Nodes --------------------------------------------------------------------------------
    for (let i = 1; i <= o.nodes; i++) {
      const nodeId = `node-${i}`;
      const dir = join(o.dataDir, nodeId);
      mkdirSync(dir, { recursive: true });
      nodeProcesses.push(
        new SupervisedNode({
          nodeId,
          port: nodePorts[i - 1],
          dbPath: join(dir, `${nodeId}.sqlite`),
          logFile: join(dir, 'node.log'),
          env: {
            ...o.nodeEnv,
            KAFKA_BROKERS: broker.brokers,
            ...(apiKeys ? { API_KEYS: '', API_KEYS_FILE: apiKeys.file } : {}),
            ...(o.topicPrefix !== undefined
              ? { KAFKA_TOPIC_PREFIX: o.topicPrefix }
              : {}),
          },
          echo: !o.quiet,
          colorIndex: i - 1,
          readyTimeoutMs: o.readyTimeoutMs,
          onUnexpectedExit: unexpectedExit,
        }),
      );
    }
    log(`Starting ${o.nodes} node(s) on port(s) ${nodePorts.join(', ')}...`);
    const results = await Promise.allSettled(
      nodeProcesses.map((node) => node.start('ready')),
    );
    const failure = results.find((r) => r.status === 'rejected');
    if (failure) throw /** @type {PromiseRejectedResult} */ (failure).reason;
    for (const node of nodeProcesses)
      log(
        `${node.nodeId} ready at ${node.url} (pid ${node.pid}, db ${node.dbPath})`,
      );
    /** @type {ClusterNode[]} */
    const nodes = nodeProcesses.map((node) => ({
      nodeId: node.nodeId,
      port: node.port,
      url: node.url,
      dbPath: node.dbPath,
      logFile: node.logFile,
      get pid() {
        return node.pid;
      },
      get running() {
        return node.running;
      },
      get exited() {
        return node.exited;
      },
      start: () => node.start('ready'),
      stop: () => node.stop(),
      kill: () => node.kill(),
      signal: (signal) => node.signal(signal),
      restart: () => node.restart('ready'),
      logTail: () => node.logTail(),
    }));

    // --- nginx --------------------------------------------------------------------------------
    /** @type {ClusterNginx | null} */
    let nginx = null;
    if (nginxBin) {
      const proc = new SupervisedNginx({
        binary: nginxBin,
        runtimeDir: join(o.dataDir, 'nginx'),
        listenPort: nginxPort,
        upstreamPorts: nodePorts,
        tls,
        colorIndex: o.nodes,
        onUnexpectedExit: unexpectedExit,
      });
      nginxProcess = proc;
      log(
        `Starting nginx on port ${nginxPort}${proc.httpsUrl ? ` and ${tlsPort} (HTTPS)` : ''} (${nginxBin}, config ${proc.confPath})...`,
      );
      await proc.start();
      nginx = {
        port: nginxPort,
        url: proc.url,
        tlsPort: proc.tlsPort,
        httpsUrl: proc.httpsUrl,
        tlsCertFile: tls?.certFile ?? null,
        binary: nginxBin,
        confPath: proc.confPath,
        runtimeDir: proc.runtimeDir,
        get pid() {
          return proc.pid;
        },
        get running() {
          return proc.running;
        },
        start: () => proc.start(),
        stop: () => proc.stop(),
        kill: () => proc.kill(),
        restart: () => proc.restart(),
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
