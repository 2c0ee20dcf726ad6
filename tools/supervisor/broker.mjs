// @ts-check
/**
 * The Kafka broker as a restartable supervised process (tools/kafka/broker.mjs starts one), or
 * an external broker that is only named.
 */
import { readFileSync } from 'node:fs';
import { startKafkaBroker } from '../kafka/broker.mjs';
import { ClusterError } from './managed.mjs';

export {
  ensureKafkaJars,
  findFreePort,
  startKafkaBroker,
} from '../kafka/broker.mjs';

/** @typedef {import('./cluster.d.mts').ClusterBroker} ClusterBroker */

/** @param {string} file @param {number} lines */
export function tailFile(file, lines) {
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
 * Starts a broker in `dataDir` and returns a handle that can stop, kill and restart it.
 * @param {{ dataDir: string, port: number | undefined, heapMb?: number,
 *   onUnexpectedExit: (name: string, code: number | null, signal: NodeJS.Signals | null, tail: string) => void }} options
 * @returns {Promise<{ broker: ClusterBroker, startupMs: number }>}
 */
export async function startSupervisedBroker(options) {
  /** @type {import('../kafka/broker.mjs').KafkaBroker | undefined} */
  let current;
  let running = false;
  let expectExit = false;
  const launch = async () => {
    const b = await startKafkaBroker({
      dataDir: options.dataDir,
      port: options.port,
      heapMb: options.heapMb,
    });
    current = b;
    running = true;
    expectExit = false;
    void b.exited.then(({ code, signal }) => {
      if (current !== b) return;
      running = false;
      if (!expectExit)
        options.onUnexpectedExit(
          'kafka',
          code,
          signal,
          tailFile(b.logFile, 30),
        );
    });
    return b;
  };
  const first = await launch();
  const stop = async () => {
    expectExit = true;
    await current?.stop();
  };
  /** @type {ClusterBroker} */
  const broker = {
    brokers: first.brokers,
    external: false,
    port: first.port,
    dataDir: options.dataDir,
    logFile: first.logFile,
    get pid() {
      return running ? current?.pid : undefined;
    },
    get running() {
      return running;
    },
    stop,
    kill: async () => {
      expectExit = true;
      await current?.kill();
    },
    restart: async () => {
      await stop();
      await launch();
    },
  };
  return { broker, startupMs: first.startupMs };
}

/**
 * A broker started elsewhere (KAFKA_BROKERS): named only, never stopped from here.
 * @param {string} brokers
 * @returns {ClusterBroker}
 */
export function externalBroker(brokers) {
  return {
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
