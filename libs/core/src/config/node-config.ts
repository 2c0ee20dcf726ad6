import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  SECRET_VARIABLES,
  kafkaSaslLogin,
  kafkaSecurityProblems,
  kafkaTlsSettings,
  type KafkaSaslLogin,
  type KafkaTlsSettings,
} from './kafka-security.js';
import { ApiKeyStore, parseApiKeys, type Role } from './api-keys.js';
import { EnvironmentVariables, durationMs } from './environment-variables.js';

export { EnvironmentVariables, durationMs } from './environment-variables.js';

/** Thrown when the environment is invalid; the message names every bad variable. */
export class InvalidConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'InvalidConfigurationError';
  }
}

/** Validates the raw environment; used as `ConfigModule.forRoot({ validate })`. */
export function validateEnvironment(
  raw: Record<string, unknown>,
): EnvironmentVariables {
  // An empty variable (`KAFKA_BROKERS=`) means unset, as in most shells' eyes.
  const set = Object.fromEntries(
    Object.entries(raw).filter(
      ([, value]) => !(typeof value === 'string' && value.trim() === ''),
    ),
  );
  const env = plainToInstance(EnvironmentVariables, set, {
    exposeDefaultValues: true,
  });
  const errors = validateSync(env, { skipMissingProperties: false });
  const problems = errors.map((error) => {
    const given = SECRET_VARIABLES.has(error.property)
      ? '(hidden)'
      : JSON.stringify(set[error.property]);
    // The last constraint is the outermost decorator: the type check before the range.
    const message =
      Object.values(error.constraints ?? {}).at(-1) ??
      `${error.property} is invalid`;
    return `${message} (got ${given})`;
  });
  if (problems.length === 0) problems.push(...kafkaSecurityProblems(env));
  if (
    env.KAFKA_MIN_INSYNC_REPLICAS !== undefined &&
    env.KAFKA_MIN_INSYNC_REPLICAS > env.KAFKA_REPLICATION_FACTOR
  )
    problems.push(
      `KAFKA_MIN_INSYNC_REPLICAS (${env.KAFKA_MIN_INSYNC_REPLICAS}) cannot exceed KAFKA_REPLICATION_FACTOR (${env.KAFKA_REPLICATION_FACTOR}): no write could be acknowledged`,
    );
  if (env.BOOTSTRAP_FROM && !env.KAFKA_BROKERS)
    problems.push(
      'BOOTSTRAP_FROM needs KAFKA_BROKERS: a node built from a snapshot catches up from the log',
    );
  problems.push(...apiKeyProblems(env));
  if (problems.length > 0) throw new InvalidConfigurationError(problems);
  return env;
}

/** Checks API_KEYS / API_KEYS_FILE / JWT_SECRET without ever quoting a secret. */
function apiKeyProblems(env: EnvironmentVariables): string[] {
  if (env.API_KEYS !== undefined && env.API_KEYS_FILE !== undefined)
    return ['set API_KEYS or API_KEYS_FILE, not both'];
  const problems = apiKeysOf(env).problems;
  if (env.JWT_SECRET !== undefined && env.JWT_SECRET.length < 32)
    problems.push('JWT_SECRET must be at least 32 characters');
  return problems;
}

function apiKeysOf(env: EnvironmentVariables): {
  keys: Map<string, Role>;
  problems: string[];
} {
  if (env.API_KEYS !== undefined) return parseApiKeys(env.API_KEYS, 'API_KEYS');
  if (env.API_KEYS_FILE === undefined) return { keys: new Map(), problems: [] };
  let text: string;
  try {
    text = readFileSync(env.API_KEYS_FILE, 'utf8');
  } catch (error) {
    return {
      keys: new Map(),
      problems: [
        `API_KEYS_FILE cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)} (got ${JSON.stringify(env.API_KEYS_FILE)})`,
      ],
    };
  }
  return parseApiKeys(text, 'API_KEYS_FILE');
}

export type NodeMode = 'cluster' | 'embedded';

/** The typed configuration of one node, built once from the validated environment. */
export class NodeConfig {
  readonly port: number;
  readonly nodeId: string;
  readonly dbPath: string;
  readonly kafkaBrokers: string[];
  readonly topicPrefix: string;
  readonly replicationFactor: number;
  readonly minInsyncReplicas: number;
  /** `retention.ms` and `retention.bytes` of the topics this node creates; -1 keeps the log for ever. */
  readonly retentionMs: number;
  readonly retentionBytes: number;
  /** Largest produce request (a write or a bulk write) this node sends; larger ones answer 413. */
  readonly maxMessageBytes: number;
  /** TLS to the brokers (KAFKA_SSL=true), or null for plaintext. */
  readonly kafkaTls: KafkaTlsSettings | null;
  /** SASL login to the brokers (KAFKA_SASL_MECHANISM), or null. */
  readonly kafkaSasl: KafkaSaslLogin | null;
  readonly writeTimeoutMs: number;
  readonly readWaitTimeoutMs: number;
  /** After a fetch of few events, the projection waits this long before the next (0: never). */
  readonly fetchLingerMs: number;
  /** After a produce request that carried several writes, the next waits this long (0: never). */
  readonly produceLingerMs: number;
  readonly bodyLimit: string;
  readonly corsOrigin: string;
  readonly logLevel: EnvironmentVariables['LOG_LEVEL'];
  /** Base URL of a peer (or nginx) to copy a snapshot from when this node has no file yet. */
  readonly bootstrapFrom: string | null;
  /** Sent as `Authorization: Bearer` to BOOTSTRAP_FROM (its `/_cluster/snapshot` is admin-only). */
  readonly bootstrapToken: string | null;
  /** Folder of scheduled snapshots, or null when the node takes none on its own. */
  readonly snapshotDir: string | null;
  readonly snapshotIntervalMs: number;
  readonly snapshotKeep: number;
  /** The accepted API keys; none means access control is off. */
  readonly apiKeys: ApiKeyStore;
  /** HS256 secret for JWT bearer tokens, or null. */
  readonly jwtSecret: string | null;
  readonly rateLimitRps: number;
  readonly maxChangeFeeds: number;
  readonly maxChangeFeedsPerClient: number;
  readonly maxBodyKeys: number;
  readonly maxCount: number;
  readonly maxPageChars: number;
  readonly trustProxy: string;

  constructor(env: EnvironmentVariables) {
    this.port = env.PORT;
    this.nodeId = env.NODE_ID;
    this.kafkaBrokers = env.KAFKA_BROKERS ? env.KAFKA_BROKERS.split(',') : [];
    // A file belongs to one log: embedded and cluster nodes never share a default file.
    this.dbPath =
      env.DB_PATH ??
      join(
        'data',
        this.kafkaBrokers.length > 0
          ? `${env.NODE_ID}.cluster.sqlite`
          : `${env.NODE_ID}.sqlite`,
      );
    this.topicPrefix = env.KAFKA_TOPIC_PREFIX;
    this.replicationFactor = env.KAFKA_REPLICATION_FACTOR;
    this.minInsyncReplicas =
      env.KAFKA_MIN_INSYNC_REPLICAS ??
      Math.min(2, env.KAFKA_REPLICATION_FACTOR);
    this.retentionMs = env.KAFKA_RETENTION_MS;
    this.retentionBytes = env.KAFKA_RETENTION_BYTES;
    this.maxMessageBytes = env.KAFKA_MAX_MESSAGE_BYTES;
    this.kafkaTls = kafkaTlsSettings(env);
    this.kafkaSasl = kafkaSaslLogin(env);
    this.writeTimeoutMs = env.WRITE_TIMEOUT_MS;
    this.readWaitTimeoutMs = env.READ_WAIT_TIMEOUT_MS;
    this.fetchLingerMs = env.KAFKA_FETCH_LINGER_MS;
    this.produceLingerMs = env.KAFKA_PRODUCE_LINGER_MS;
    this.bodyLimit = env.BODY_LIMIT;
    this.corsOrigin = env.CORS_ORIGIN;
    this.logLevel = env.LOG_LEVEL;
    this.bootstrapFrom = env.BOOTSTRAP_FROM ?? null;
    this.bootstrapToken = env.BOOTSTRAP_TOKEN ?? null;
    this.snapshotDir = env.SNAPSHOT_DIR ?? null;
    this.snapshotIntervalMs = Math.max(
      1_000,
      durationMs(env.SNAPSHOT_INTERVAL),
    );
    this.snapshotKeep = env.SNAPSHOT_KEEP;
    this.apiKeys = new ApiKeyStore(apiKeysOf(env).keys);
    this.jwtSecret = env.JWT_SECRET ?? null;
    this.rateLimitRps = env.RATE_LIMIT_RPS;
    this.maxChangeFeeds = env.MAX_CHANGE_FEEDS;
    this.maxChangeFeedsPerClient = env.MAX_CHANGE_FEEDS_PER_CLIENT;
    this.maxBodyKeys = env.MAX_BODY_KEYS;
    this.maxCount = env.MAX_COUNT;
    this.maxPageChars = env.MAX_PAGE_CHARS;
    this.trustProxy = env.TRUST_PROXY;
  }

  static fromEnvironment(
    raw: Record<string, unknown> = process.env,
  ): NodeConfig {
    return new NodeConfig(validateEnvironment(raw));
  }

  /** Whether requests need a bearer token: API keys or a JWT secret are configured. */
  get accessControl(): boolean {
    return this.apiKeys.enabled || this.jwtSecret !== null;
  }

  get mode(): NodeMode {
    return this.kafkaBrokers.length > 0 ? 'cluster' : 'embedded';
  }

  /** The Kafka topic (or embedded log stream) that carries one table's events. */
  topicFor(table: string): string {
    return `${this.topicPrefix}.${table}`;
  }

  /** How the node reaches Kafka, for logs: never a secret. */
  get kafkaSecurity(): string {
    const tls = this.kafkaTls
      ? `TLS${this.kafkaTls.caFile ? ` (CA ${this.kafkaTls.caFile})` : ''}${this.kafkaTls.certFile ? ` with client certificate ${this.kafkaTls.certFile}` : ''}`
      : 'plaintext';
    return this.kafkaSasl ? `${tls}, SASL ${this.kafkaSasl.describe()}` : tls;
  }

  get deadLetterTopic(): string {
    return `${this.topicPrefix}._dead-letter`;
  }

  /** Consumer group of this node: every node reads the whole log. */
  get consumerGroup(): string {
    return `${this.topicPrefix}-${this.nodeId}`;
  }
}
