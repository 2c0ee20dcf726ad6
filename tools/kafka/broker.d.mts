/** Type declarations for tools/kafka/broker.mjs (real single-node KRaft Kafka broker for tests and scripts). */

/** Default directory holding the broker jars (`tools/kafka/lib`). */
export declare const KAFKA_LIB_DIR: string;

export interface StartKafkaBrokerOptions {
  /** Absolute dir for logs/metadata; formatted with kafka.tools.StorageTool if it has no meta.properties yet. */
  dataDir: string;
  /** Client listener port on 127.0.0.1. Default: the port stored in dataDir on restart, else a free port. */
  port?: number;
  /** Controller listener port. Default: the port stored in dataDir on restart, else another free port. */
  controllerPort?: number;
  /** Broker stdout/stderr go here (default `${dataDir}/broker.log`). */
  logFile?: string;
  /** JVM max heap in MB (default 512). */
  heapMb?: number;
  /** Directory with the Kafka jars (default tools/kafka/lib). */
  libDir?: string;
  /** Extra or overriding server.properties entries. */
  serverProperties?: Record<string, string | number | boolean>;
  /** Extra JVM arguments. */
  jvmArgs?: string[];
  /** Readiness timeout in ms (default 60000). */
  readyTimeoutMs?: number;
  /**
   * Clients reach the broker only over SASL_SSL: a fresh CA and broker keystore in `${dataDir}/tls`
   * (openssl + keytool), these SCRAM users (name -> password) added when the storage is formatted.
   */
  saslSsl?: {
    users: Record<string, string>;
    mechanism?: 'SCRAM-SHA-512' | 'SCRAM-SHA-256';
    /** Mutual TLS: clients must also show a certificate signed by the CA; one is made for them. */
    clientCertificate?: boolean;
  };
}

export interface KafkaBroker {
  /** "127.0.0.1:<port>" */
  brokers: string;
  port: number;
  controllerPort: number;
  pid: number;
  dataDir: string;
  logFile: string;
  /** Milliseconds from the start call to readiness (includes formatting on first start). */
  startupMs: number;
  /** With the saslSsl option: the CA file (PEM) to trust, the SCRAM mechanism to use, and a client certificate. */
  saslSsl?: {
    caFile: string;
    mechanism: 'SCRAM-SHA-512' | 'SCRAM-SHA-256';
    client?: { certFile: string; keyFile: string };
  };
  /** Resolves when the java process exits (for whatever reason). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after the supervisor's shared stop timeout (15 s); idempotent. */
  stop(): Promise<void>;
  /** SIGKILL immediately and wait for exit. */
  kill(): Promise<void>;
}

/** Starts (or restarts, when dataDir already holds a formatted log) a KRaft broker; resolves when kafkajs can list topics. */
export declare function startKafkaBroker(
  options: StartKafkaBrokerOptions,
): Promise<KafkaBroker>;

/** Returns the lib dir; runs `mvn -q -B -f tools/kafka/pom.xml dependency:copy-dependencies` if it has no kafka_2.13 jar. */
export declare function ensureKafkaJars(): Promise<string>;

/** Colour only on a terminal, and never with NO_COLOR set. */
export declare function colourAllowed(stream: NodeJS.WriteStream): boolean;

/** A port that was free on 127.0.0.1 a moment ago. */
export declare function findFreePort(): Promise<number>;
