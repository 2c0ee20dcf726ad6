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
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { saslSslMaterial } from './sasl-ssl.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Default directory holding the broker jars (`tools/kafka/lib`). */
export const KAFKA_LIB_DIR = join(HERE, 'lib');
const POM = join(HERE, 'pom.xml');
const STATE_FILE = 'broker.json';
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;
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
 * @property {() => Promise<void>} stop SIGTERM, wait for exit (max ~20 s), then SIGKILL; idempotent
 * @property {() => Promise<void>} kill SIGKILL immediately and wait for exit
 */

// ---------------------------------------------------------------------------------------------
// Never leak a broker: every live java child is SIGKILLed when this node process exits.
// ---------------------------------------------------------------------------------------------

/** @type {Set<import('node:child_process').ChildProcess>} */
const liveChildren = new Set();
let exitHookInstalled = false;

function killAllChildrenSync() {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  liveChildren.clear();
}

/** @param {NodeJS.Signals} signal */
function onFatalSignal(signal) {
  // Only act when nobody else handles this signal: then node would die without running 'exit' handlers.
  // If the application has its own handler (e.g. start.mjs stops the broker gracefully), leave it alone.
  if (process.listenerCount(signal) > 1) return;
  killAllChildrenSync();
  process.removeListener(signal, onFatalSignal);
  process.kill(process.pid, signal);
}

function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', killAllChildrenSync);
  for (const signal of /** @type {NodeJS.Signals[]} */ ([
    'SIGINT',
    'SIGTERM',
    'SIGHUP',
  ])) {
    process.on(signal, onFatalSignal);
  }
}

/**
 * Covers the parent dying without running any JS (SIGKILL, OOM kill): a tiny detached shell
 * polls the parent and SIGKILLs the broker once the parent is gone. It exits with the broker.
 * @param {number} javaPid
 */
function spawnWatchdog(javaPid) {
  try {
    const script =
      'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; kill -9 "$2" 2>/dev/null; exit 0';
    const dog = spawn(
      '/bin/sh',
      ['-c', script, 'kafka-watchdog', String(process.pid), String(javaPid)],
      {
        detached: true,
        stdio: 'ignore',
      },
    );
    dog.on('error', () => {});
    dog.unref();
  } catch {
    /* best effort; the 'exit' hook still applies */
  }
}

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

/** @param {string} dir */
function hasKafkaJar(dir) {
  try {
    return readdirSync(dir).some(
      (f) =>
        /^kafka_2\.13-.*\.jar$/.test(f) &&
        !/-(sources|javadoc|test)\.jar$/.test(f),
    );
  } catch {
    return false;
  }
}

function javaBin() {
  return process.env.JAVA_HOME
    ? join(process.env.JAVA_HOME, 'bin', 'java')
    : 'java';
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
// Jars
// ---------------------------------------------------------------------------------------------

/** @type {Promise<string> | undefined} */
let ensuring;

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/** Colour only on a terminal, and never with NO_COLOR set (https://no-color.org). */
export function colourAllowed(/** @type {NodeJS.WriteStream} */ stream) {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR;
}

/**
 * Makes sure tools/kafka/lib holds the broker jars. If no kafka_2.13 jar is there, runs
 * `mvn -B -f tools/kafka/pom.xml dependency:copy-dependencies` once, after saying so, with
 * Maven's download lines as progress on stderr (stdout stays clean for scripts), its escape
 * codes stripped unless stderr is a terminal.
 * @returns {Promise<string>} the lib directory
 */
export function ensureKafkaJars() {
  if (hasKafkaJar(KAFKA_LIB_DIR)) return Promise.resolve(KAFKA_LIB_DIR);
  ensuring ??= new Promise((resolveJars, reject) => {
    process.stderr.write(
      `Downloading the Kafka broker jars (about 45 MB, once) from Maven Central into ${KAFKA_LIB_DIR}...\n`,
    );
    const child = spawn(
      'mvn',
      ['-B', '-f', POM, 'dependency:copy-dependencies'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const plain = !colourAllowed(process.stderr);
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (/** @type {Buffer} */ chunk) => {
        const text = chunk.toString('utf8');
        process.stderr.write(plain ? text.replace(ANSI, '') : text);
      });
    }
    child.on('error', (err) =>
      reject(
        new Error(`could not run mvn (is Maven installed?): ${err.message}`),
      ),
    );
    child.on('close', (code) => {
      if (code === 0 && hasKafkaJar(KAFKA_LIB_DIR)) resolveJars(KAFKA_LIB_DIR);
      else
        reject(
          new Error(
            `mvn dependency:copy-dependencies failed (exit ${code}); no kafka_2.13 jar in ${KAFKA_LIB_DIR}`,
          ),
        );
    });
  }).finally(() => {
    ensuring = undefined;
  });
  return ensuring;
}

// ---------------------------------------------------------------------------------------------
// Config files
// ---------------------------------------------------------------------------------------------

/**
 * @param {{ port: number, controllerPort: number, logDir: string, extra?: Record<string, string | number | boolean> }} p
 */
function serverProperties({ port, controllerPort, logDir, extra }) {
  /** @type {Record<string, string | number | boolean>} */
  const props = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'listener.security.protocol.map':
      'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': logDir,
    'num.partitions': 1,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 10,
    'group.initial.rebalance.delay.ms': 0,
    'auto.create.topics.enable': false,
    // 2-core machine: keep the thread pools small.
    'num.network.threads': 2,
    'num.io.threads': 4,
    'background.threads': 4,
    'num.recovery.threads.per.data.dir': 1,
    'log.cleaner.threads': 1,
    'log.cleaner.dedupe.buffer.size': 16 * 1024 * 1024,
    ...extra,
  };
  return (
    '# Generated by tools/kafka/broker.mjs; rewritten on every start.\n' +
    Object.entries(props)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') +
    '\n'
  );
}

// Kafka 3.x logs through reload4j (log4j 1 syntax); Kafka 4.x through log4j2. Write both.
// Everything goes to stdout, which is redirected into the broker log file. Root level WARN;
// start/stop milestones and consumer-group activity (rebalances, useful when a test hangs) at INFO.
/** @type {Record<string, 'INFO' | 'WARN' | 'ERROR'>} */
const LOG_LEVELS = {
  'kafka.Kafka': 'INFO',
  'kafka.server.KafkaRaftServer': 'INFO',
  'kafka.server.BrokerServer': 'INFO',
  'kafka.server.ControllerServer': 'INFO',
  'kafka.server.BrokerLifecycleManager': 'INFO',
  'kafka.coordinator.group.GroupCoordinator': 'INFO',
  'org.apache.kafka.coordinator.group': 'INFO',
  'kafka.tools.StorageTool': 'INFO',
  'org.apache.kafka.clients.NetworkClient': 'ERROR',
};
const LOG_PATTERN = '[%d] %p %m (%c)%n';

const LOG4J1 = [
  'log4j.rootLogger=WARN, stdout',
  'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
  'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
  `log4j.appender.stdout.layout.ConversionPattern=${LOG_PATTERN}`,
  ...Object.entries(LOG_LEVELS).map(
    ([name, level]) => `log4j.logger.${name}=${level}`,
  ),
  '',
].join('\n');

const LOG4J2 = [
  'status = warn',
  'name = kafka-test-broker',
  'appender.out.type = Console',
  'appender.out.name = STDOUT',
  'appender.out.layout.type = PatternLayout',
  `appender.out.layout.pattern = ${LOG_PATTERN}`,
  'rootLogger.level = warn',
  'rootLogger.appenderRef.out.ref = STDOUT',
  ...Object.entries(LOG_LEVELS).flatMap(([name, level], i) => [
    `logger.l${i}.name = ${name}`,
    `logger.l${i}.level = ${level.toLowerCase()}`,
  ]),
  '',
].join('\n');

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
  const exited =
    /** @type {Promise<{ code: number | null, signal: NodeJS.Signals | null }>} */ (
      new Promise((resolveExit) => {
        child.on('exit', (code, signal) => {
          exitInfo = { code, signal };
          liveChildren.delete(child);
          resolveExit(exitInfo);
        });
        child.on('error', (err) => {
          spawnError = err;
          liveChildren.delete(child);
          exitInfo ??= { code: null, signal: null };
          resolveExit(exitInfo);
        });
      })
    );
  // A forgotten broker must not keep node alive; the exit hook kills it when node exits.
  child.unref();
  if (child.pid !== undefined) {
    liveChildren.add(child);
    installExitHook();
    spawnWatchdog(child.pid);
  }

  /** @param {NodeJS.Signals} signal */
  const signalChild = (signal) => {
    if (exitInfo) return;
    try {
      child.kill(signal);
    } catch {
      /* gone */
    }
  };

  const kill = async () => {
    child.ref();
    signalChild('SIGKILL');
    await exited;
  };

  /** @type {Promise<void> | undefined} */
  let stopping;
  const stop = () => {
    stopping ??= (async () => {
      if (exitInfo) return;
      child.ref();
      signalChild('SIGTERM');
      const timer = setTimeout(() => signalChild('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    })();
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
  const admin = new Kafka({
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
          sasl: {
            mechanism: /** @type {'scram-sha-512' | 'scram-sha-256'} */ (
              security.mechanism.toLowerCase()
            ),
            username: security.broker.name,
            password: security.broker.password,
          },
        }
      : {}),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 3000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
