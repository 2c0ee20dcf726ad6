import { plainToInstance, Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsUrl,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  validateSync,
} from 'class-validator';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  SECRET_VARIABLES,
  kafkaSaslLogin,
  kafkaSecurityProblems,
  kafkaTlsSettings,
  type KafkaSaslLogin,
  type KafkaSecurityVariables,
  type KafkaTlsSettings,
} from './kafka-security.js';

const DURATION = /^(\d+)(ms|s|m|h)?$/;
const DURATION_UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** `90`, `90s`, `15m`, `1h`, `500ms` in milliseconds (a bare number is seconds). */
export function durationMs(value: string): number {
  const [, amount, unit = 's'] = DURATION.exec(value) ?? [];
  return (
    Number(amount) * DURATION_UNIT_MS[unit as keyof typeof DURATION_UNIT_MS]
  );
}
import { ApiKeyStore, parseApiKeys, type Role } from './api-keys.js';

const BROKER_LIST = /^[A-Za-z0-9.-]+:\d{1,5}(,[A-Za-z0-9.-]+:\d{1,5})*$/;

/**
 * The environment a node reads at startup. Every variable is optional: with
 * none set, `npm start` runs one embedded node on port 8082.
 */
export class EnvironmentVariables implements KafkaSecurityVariables {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT = 8082;

  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, {
    message: 'NODE_ID must be 1-64 letters, digits, "_" or "-"',
  })
  NODE_ID = 'node-1';

  @IsOptional()
  @IsString()
  DB_PATH?: string;

  @IsOptional()
  @Matches(BROKER_LIST, {
    message:
      'KAFKA_BROKERS must be a comma-separated list of host:port, e.g. 127.0.0.1:9092',
  })
  KAFKA_BROKERS?: string;

  @IsOptional()
  @Matches(/^[a-z][a-z0-9_-]{0,62}$/, {
    message:
      'KAFKA_TOPIC_PREFIX must be lower-case letters, digits, "_" or "-"',
  })
  KAFKA_TOPIC_PREFIX = 'clusterlite';

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(5)
  KAFKA_REPLICATION_FACTOR = 1;

  /** Unset: 2 when the replication factor is 2 or more, else 1. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(5)
  KAFKA_MIN_INSYNC_REPLICAS?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(-1)
  KAFKA_RETENTION_MS = -1;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(-1)
  KAFKA_RETENTION_BYTES = -1;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1_024)
  @Max(100 * 1024 * 1024)
  KAFKA_MAX_MESSAGE_BYTES = 1_000_000;

  @IsOptional()
  @IsIn(['true', 'false'], { message: 'KAFKA_SSL must be true or false' })
  KAFKA_SSL?: string;

  @IsOptional()
  @IsString()
  KAFKA_SSL_CA_FILE?: string;

  @IsOptional()
  @IsString()
  KAFKA_SSL_CERT_FILE?: string;

  @IsOptional()
  @IsString()
  KAFKA_SSL_KEY_FILE?: string;

  @IsOptional()
  @Matches(/^(plain|scram-sha-256|scram-sha-512)$/i, {
    message:
      'KAFKA_SASL_MECHANISM must be plain, scram-sha-256 or scram-sha-512',
  })
  KAFKA_SASL_MECHANISM?: string;

  @IsOptional()
  @IsString()
  KAFKA_SASL_USERNAME?: string;

  @IsOptional()
  @IsString()
  KAFKA_SASL_PASSWORD?: string;

  @IsOptional()
  @IsString()
  KAFKA_SASL_PASSWORD_FILE?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(60_000)
  WRITE_TIMEOUT_MS = 5_000;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(60_000)
  READ_WAIT_TIMEOUT_MS = 5_000;

  @IsOptional()
  @Matches(/^\d+(b|kb|mb)$/, {
    message: 'BODY_LIMIT must look like 100kb or 1mb',
  })
  BODY_LIMIT = '1mb';

  @IsOptional()
  @IsString()
  CORS_ORIGIN = '*';

  /** `role:token` entries (read, write, admin), comma-separated. Unset: the node is open. */
  @IsOptional()
  @IsString()
  API_KEYS?: string;

  /** A file with the same entries, one a line. */
  @IsOptional()
  @IsString()
  API_KEYS_FILE?: string;

  /** HS256 secret of JWTs whose `role` claim grants a role (in addition to API keys). */
  @IsOptional()
  @IsString()
  JWT_SECRET?: string;

  /** Requests per second per client (token, else address); 0 turns the limit off. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  RATE_LIMIT_RPS = 0;

  /** Open change feeds on this node, all clients together. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000)
  MAX_CHANGE_FEEDS = 1_000;

  /** Open change feeds per client (token, else address). */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000)
  MAX_CHANGE_FEEDS_PER_CLIENT = 32;

  /** Keys per JSON object in a request body. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(16)
  @Max(100_000)
  MAX_BODY_KEYS = 256;

  /** Rows `count=true` counts at most; past it X-Total-Count is capped. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  MAX_COUNT = 100_000;

  /** Express `trust proxy`: whose X-Forwarded-For names the client (rate limits, feeds per client). */
  @IsOptional()
  @IsString()
  TRUST_PROXY = 'loopback';

  @IsOptional()
  @IsUrl(
    {
      protocols: ['http', 'https'],
      require_protocol: true,
      require_tld: false,
    },
    {
      message:
        'BOOTSTRAP_FROM must be the http(s) URL of a peer node or of nginx, e.g. http://127.0.0.1:8082',
    },
  )
  BOOTSTRAP_FROM?: string;

  /** An admin key of the peer BOOTSTRAP_FROM names, when it requires API keys. */
  @IsOptional()
  @IsString()
  BOOTSTRAP_TOKEN?: string;

  @IsOptional()
  @IsString()
  SNAPSHOT_DIR?: string;

  @IsOptional()
  @Matches(DURATION, {
    message:
      'SNAPSHOT_INTERVAL must be a duration such as 900 (seconds), 15m or 1h',
  })
  SNAPSHOT_INTERVAL = '1h';

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10_000)
  SNAPSHOT_KEEP = 24;

  @IsOptional()
  @IsIn(['error', 'warn', 'log', 'debug', 'verbose'])
  LOG_LEVEL: 'error' | 'warn' | 'log' | 'debug' | 'verbose' = 'log';
}

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
