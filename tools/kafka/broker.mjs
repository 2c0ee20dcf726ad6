// @ts-check
/**
 * Real single-node Apache Kafka broker (KRaft, combined broker+controller) for tests and scripts.
 * No Docker, no ZooKeeper: the jars come from Maven Central via tools/kafka/pom.xml.
 *
 *   import { ensureKafkaJars, startKafkaBroker } from '../tools/kafka/broker.mjs';
 *   await ensureKafkaJars();
 *   const broker = await startKafkaBroker({ dataDir: '/tmp/x/kafka' });
 *   // ... new Kafka({ brokers: [broker.brokers] }) ...
 *   await broker.stop();
 *
 * Layout of dataDir: server.properties, log4j.properties, log4j2.properties, broker.json
 * (ports + cluster id, reused on restart), broker.log, logs/ (log.dirs, incl. KRaft metadata).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { saslSslMaterial } from './sasl-ssl.mjs';
import { killNow, supervise, terminate } from '../supervisor/children.mjs';
import {
  KAFKA_LIB_DIR,
  LOG4J1,
  LOG4J2,
  hasKafkaJar,
  javaBin,
  serverProperties,
} from './files.mjs';

export { KAFKA_LIB_DIR, colourAllowed, ensureKafkaJars } from './files.mjs';

const STATE_FILE = 'broker.json';
const READY_TIMEOUT_MS = 60_000;
// Same class in Kafka 3.9 and 4.1 (kafka_2.13 core jar).
const STORAGE_TOOL = 'kafka.tools.StorageTool';

/**
 * @typedef {object} StartKafkaBrokerOptions
 * @property {string} dataDir absolute dir for logs/metadata; formatted if it has no meta.properties yet
 * @property {number} [port] client listener port on 127.0.0.1 (default: stored port on restart, else a free port)
 * @property {number} [controllerPort] controller listener port (default: stored port on restart, else a free port)
 * @property {string} [logFile] broker stdout/stderr (default `${dataDir}/broker.log`)
 * @property {number} [heapMb] JVM max heap in MB (default 512)
 * @property {string} [libDir] directory with the Kafka jars (default tools/kafka/lib)
 * @property {Record<string, string | number | boolean>} [serverProperties] extra/overriding server.properties entries
 * @property {string[]} [jvmArgs] extra JVM arguments
 * @property {number} [readyTimeoutMs] readiness timeout (default 60000)
 * @property {import('./sasl-ssl.mjs').SaslSslOptions} [saslSsl] clients reach the broker only over
 *   SASL_SSL (SCRAM users, certificate from a fresh CA in `${dataDir}/tls`); default PLAINTEXT
 */

/**
 * @typedef {object} KafkaBroker
 * @property {string} brokers "127.0.0.1:<port>"
 * @property {number} port
 * @property {number} controllerPort
 * @property {number} pid
 * @property {string} dataDir
 * @property {string} logFile
 * @property {number} startupMs milliseconds from spawn request to readiness
 * @property {{ caFile: string, mechanism: string, client?: { certFile: string, keyFile: string } } | undefined} saslSsl
 *   with the saslSsl option: the CA to trust, the SCRAM mechanism clients must use, and with
 *   clientCertificate a client certificate and key
 * @property {Promise<{ code: number | null, signal: NodeJS.Signals | null }>} exited resolves when the java process exits
 * @property {() => Promise<void>} stop SIGTERM, then SIGKILL after the supervisor's STOP_TIMEOUT_MS; idempotent
 * @property {() => Promise<void>} kill SIGKILL immediately and wait for exit
 */

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** @returns {Promise<number>} a port that was free on 127.0.0.1 a moment ago */
export function findFreePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() =>
        port
          ? resolvePort(port)
          : reject(new Error('could not determine a free port')),
      );
    });
  });
}

/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A Kafka cluster id: 16 random bytes, base64url without padding, not starting with '-' (CLI-safe). */
function randomClusterId() {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/**
 * @param {string} file
 * @param {number} [lines]
 */
function tail(file, lines = 40) {
  try {
    const text = readFileSync(file, 'utf8');
    return text
      .split('\n')
      .slice(-lines - 1)
      .join('\n')
      .trimEnd();
  } catch {
    return '(no broker log)';
  }
}

/**
 * Runs a command with stdout/stderr appended to `logFile`, resolves with the exit code.
 * @param {string} cmd
 * @param {string[]} args
 * @param {string} logFile
 * @returns {Promise<number | null>}
 */
function runToLog(cmd, args, logFile) {
  return new Promise((resolveRun, reject) => {
    const fd = openSync(logFile, 'a');
    const child = spawn(cmd, args, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    child.on('error', reject);
    child.on('exit', (code) => resolveRun(code));
  });
}

// ---------------------------------------------------------------------------------------------
// Broker
// ---------------------------------------------------------------------------------------------

/**
 * Starts (or restarts, when dataDir already holds a formatted log) a single-node KRaft broker
 * and resolves once a kafkajs admin client can list topics.
 * @param {StartKafkaBrokerOptions} options
 * @returns {Promise<KafkaBroker>}
 */
export async function startKafkaBroker(options) {
  const t0 = Date.now();
  if (!options || !options.dataDir)
    throw new Error('startKafkaBroker: dataDir is required');
  const dataDir = resolve(options.dataDir);
  const libDir = resolve(options.libDir ?? KAFKA_LIB_DIR);
  if (!hasKafkaJar(libDir)) {
    throw new Error(
      `no kafka_2.13 jar in ${libDir}; call ensureKafkaJars() first (or run npm run kafka:install)`,
    );
  }
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = resolve(options.logFile ?? join(dataDir, 'broker.log'));
  mkdirSync(dirname(logFile), { recursive: true });
  const heapMb = options.heapMb ?? 512;
  const readyTimeoutMs = options.readyTimeoutMs ?? READY_TIMEOUT_MS;

  // Ports and cluster id survive restarts of the same dataDir.
  const statePath = join(dataDir, STATE_FILE);
  /** @type {{ port?: number, controllerPort?: number, clusterId?: string }} */
  let state = {};
  if (existsSync(statePath)) {
    try {
      state = JSON.parse(readFileSync(statePath, 'utf8'));
    } catch {
      state = {};
    }
  }
  const port = options.port ?? state.port ?? (await findFreePort());
  let controllerPort =
    options.controllerPort ?? state.controllerPort ?? (await findFreePort());
  while (controllerPort === port) controllerPort = await findFreePort();
  const formatted = existsSync(join(logDir, 'meta.properties'));
  const clusterId = (formatted && state.clusterId) || randomClusterId();
  const security = options.saslSsl
    ? await saslSslMaterial({
        dir: join(dataDir, 'tls'),
        port,
        controllerPort,
        options: options.saslSsl,
      })
    : undefined;

  const serverProps = join(dataDir, 'server.properties');
  const log4j1 = join(dataDir, 'log4j.properties');
  const log4j2 = join(dataDir, 'log4j2.properties');
  writeFileSync(
    serverProps,
    serverProperties({
      port,
      controllerPort,
      logDir,
      extra: { ...security?.serverProperties, ...options.serverProperties },
    }),
  );
  writeFileSync(log4j1, LOG4J1);
  writeFileSync(log4j2, LOG4J2);
  writeFileSync(
    statePath,
    JSON.stringify({ port, controllerPort, clusterId }, null, 2) + '\n',
  );

  const classpath = `${libDir}/*`;
  const logArgs = [
    `-Dlog4j.configuration=file:${log4j1}`,
    `-Dlog4j2.configurationFile=${log4j2}`,
    `-Dkafka.logs.dir=${dataDir}`,
  ];

  if (!formatted) {
    const code = await runToLog(
      javaBin(),
      [
        '-Xmx256m',
        '-XX:TieredStopAtLevel=1',
        ...logArgs,
        '-cp',
        classpath,
        STORAGE_TOOL,
        'format',
        '-t',
        clusterId,
        '-c',
        serverProps,
        ...(security?.formatArgs ?? []),
      ],
      logFile,
    );
    if (code !== 0 || !existsSync(join(logDir, 'meta.properties'))) {
      throw new Error(
        `Kafka storage format failed (exit ${code}). Last lines of ${logFile}:\n${tail(logFile)}`,
      );
    }
  }

  const jvmArgs = [
    `-Xmx${heapMb}m`,
    `-Xms${Math.min(heapMb, 128)}m`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    ...logArgs,
    ...(options.jvmArgs ?? []),
  ];
  const fd = openSync(logFile, 'a');
  const child = spawn(
    javaBin(),
    [...jvmArgs, '-cp', classpath, 'kafka.Kafka', serverProps],
    {
      stdio: ['ignore', fd, fd],
      detached: true, // own process group: a terminal Ctrl-C reaches node only, which then stops the broker
    },
  );
  closeSync(fd);

  /** @type {{ code: number | null, signal: NodeJS.Signals | null } | undefined} */
  let exitInfo;
  /** @type {Error | undefined} */
  let spawnError;
  child.on('error', (err) => {
    spawnError = err;
  });
  // The supervisor SIGKILLs it when this process exits; a forgotten broker must not keep node alive.
  const supervised = supervise(child);
  const exited = supervised.then((info) => (exitInfo = info));
  child.unref();

  const kill = () => killNow(child, exited);

  /** @type {Promise<void> | undefined} */
  let stopping;
  const stop = () => {
    stopping ??= terminate(child, exited);
    return stopping;
  };

  // Readiness: a kafkajs admin can connect and list topics.
  const brokers = `127.0.0.1:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  /** @type {unknown} */
  let lastError;
  for (;;) {
    if (exitInfo) {
      const why = spawnError
        ? `could not start java: ${spawnError.message}`
        : `exited early (code ${exitInfo.code}, signal ${exitInfo.signal})`;
      throw new Error(
        `Kafka broker ${why}. Last lines of ${logFile}:\n${tail(logFile)}`,
      );
    }
    if (Date.now() > deadline) {
      await kill();
      const detail =
        lastError instanceof Error ? lastError.message : String(lastError);
      throw new Error(
        `Kafka broker on ${brokers} not ready after ${readyTimeoutMs} ms (last error: ${detail}). Last lines of ${logFile}:\n${tail(logFile)}`,
      );
    }
    try {
      await probe(brokers, security);
      break;
    } catch (err) {
      lastError = err;
      await Promise.race([sleep(250), exited]);
    }
  }

  return {
    brokers,
    port,
    controllerPort,
    pid: /** @type {number} */ (child.pid),
    dataDir,
    logFile,
    startupMs: Date.now() - t0,
    saslSsl: security
      ? {
          caFile: security.caFile,
          mechanism: security.mechanism,
          client: security.client,
        }
      : undefined,
    exited,
    stop,
    kill,
  };
}

/**
 * @param {string} brokers
 * @param {import('./sasl-ssl.mjs').SaslSslMaterial} [security] log in as the broker's own user
 */
async function probe(brokers, security) {
  /** @type {import('kafkajs').KafkaConfig} */
  const config = {
    clientId: 'kafka-broker-readiness',
    brokers: [brokers],
    ...(security
      ? {
          ssl: {
            ca: [readFileSync(security.caFile, 'utf8')],
            ...(security.client
              ? {
                  cert: readFileSync(security.client.certFile, 'utf8'),
                  key: readFileSync(security.client.keyFile, 'utf8'),
                }
              : {}),
          },
          sasl: /** @type {import('kafkajs').SASLOptions} */ ({
            mechanism: security.mechanism.toLowerCase(),
            username: security.broker.name,
            password: security.broker.password,
          }),
        }
      : {}),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 3000,
    retry: { retries: 0 },
  };
  const admin = new Kafka(config).admin();
  try {
    await admin.connect();
    await admin.listTopics();
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
