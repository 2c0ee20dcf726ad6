#!/usr/bin/env node
// Local single-node Kafka (KRaft) for development (`npm run kafka`):
//   node tools/kafka/start.mjs [--port 9092] [--controller-port 9093] [--data-dir data/kafka] [--heap-mb 512]
//     [--sasl-ssl USER:PASSWORD]   only a SASL_SSL listener (SCRAM-SHA-512, a fresh private CA); the
//                                  user is created when the data dir is formatted: use a new one
//   node tools/kafka/start.mjs --install   # only download the jars (`npm run kafka:install`)
// Ctrl-C / SIGTERM stops the broker cleanly; data survives in --data-dir. Its default, data/kafka,
// is not the broker of `npm run cluster` (.cluster/kafka): `npm run cluster:fresh` leaves it alone.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { ensureKafkaJars, startKafkaBroker } from './broker.mjs';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '9092' },
    'controller-port': { type: 'string' },
    'data-dir': { type: 'string', default: 'data/kafka' },
    'heap-mb': { type: 'string' },
    'sasl-ssl': { type: 'string' },
    install: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(
    'usage: node tools/kafka/start.mjs [--port 9092] [--controller-port N] [--data-dir data/kafka] [--heap-mb 512] [--sasl-ssl USER:PASSWORD] [--install]',
  );
  process.exit(0);
}

/** @param {string | undefined} v @param {string} name */
function int(v, name) {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`invalid --${name}: ${v}`);
    process.exit(2);
  }
  return n;
}

const dataDir = resolve(values['data-dir']);
const saslUser = values['sasl-ssl']?.match(/^([^:]+):(.+)$/);
if (values['sasl-ssl'] !== undefined && !saslUser) {
  console.error('invalid --sasl-ssl: expected USER:PASSWORD');
  process.exit(2);
}
let stopping = false;
let firstSignalAt = 0;
/** @type {import('./broker.mjs').KafkaBroker | undefined} */
let broker;

/** @param {NodeJS.Signals} signal */
async function shutdown(signal) {
  if (stopping) {
    // Some supervisors (e.g. `timeout`) deliver the same signal twice at once; only a later one escalates.
    if (Date.now() - firstSignalAt < 1000) return;
    console.log(`${signal} again: killing the broker`);
    await broker?.kill();
    process.exit(1);
  }
  stopping = true;
  firstSignalAt = Date.now();
  if (!broker) {
    console.log(`${signal} while starting: killing the broker`);
    process.exit(130); // the supervisor's exit hook (tools/supervisor/children.mjs) SIGKILLs the java process
  }
  console.log(`${signal}: stopping Kafka broker...`);
  await broker.stop();
  console.log('Kafka broker stopped');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

if (values.install) {
  try {
    console.log(`Kafka broker jars in ${await ensureKafkaJars()}`);
    process.exit(0);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}

try {
  await ensureKafkaJars();
  broker = await startKafkaBroker({
    dataDir,
    port: int(values.port, 'port'),
    controllerPort: int(values['controller-port'], 'controller-port'),
    heapMb: int(values['heap-mb'], 'heap-mb'),
    saslSsl: saslUser ? { users: { [saslUser[1]]: saslUser[2] } } : undefined,
  });
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}

console.log(`Kafka broker ready at ${broker.brokers}`);
console.log(
  `  pid ${broker.pid}, data ${dataDir}, log ${broker.logFile}, started in ${broker.startupMs} ms; Ctrl-C to stop`,
);
if (broker.saslSsl && saslUser) {
  console.log(
    `  SASL_SSL only; a node connects with:\n` +
      `  KAFKA_BROKERS=${broker.brokers} KAFKA_SSL=true KAFKA_SSL_CA_FILE=${broker.saslSsl.caFile} ` +
      `KAFKA_SASL_MECHANISM=${broker.saslSsl.mechanism.toLowerCase()} KAFKA_SASL_USERNAME=${saslUser[1]} KAFKA_SASL_PASSWORD=<the password>`,
  );
}
// The child is unref'd by the harness; keep this process alive until a signal or the broker dies.
const keepAlive = setInterval(() => {}, 1 << 30);
const { code, signal } = await broker.exited;
clearInterval(keepAlive);
if (!stopping) {
  console.error(
    `Kafka broker exited unexpectedly (code ${code}, signal ${signal}); see ${broker.logFile}`,
  );
  process.exit(1);
}
