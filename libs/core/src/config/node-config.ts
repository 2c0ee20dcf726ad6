import { plainToInstance, Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  validateSync,
} from 'class-validator';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiKeyStore, parseApiKeys, type Role } from './api-keys.js';

const BROKER_LIST = /^[A-Za-z0-9.-]+:\d{1,5}(,[A-Za-z0-9.-]+:\d{1,5})*$/;

/**
 * The environment a node reads at startup. Every variable is optional: with
 * none set, `npm start` runs one embedded node on port 8082.
 */
export class EnvironmentVariables {
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
    const given = set[error.property];
    // The last constraint is the outermost decorator: the type check before the range.
    const message =
      Object.values(error.constraints ?? {}).at(-1) ??
      `${error.property} is invalid`;
    return `${message} (got ${JSON.stringify(given)})`;
  });
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
  readonly writeTimeoutMs: number;
  readonly readWaitTimeoutMs: number;
  readonly bodyLimit: string;
  readonly corsOrigin: string;
  readonly logLevel: EnvironmentVariables['LOG_LEVEL'];
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
    this.dbPath = env.DB_PATH ?? join('data', `${env.NODE_ID}.sqlite`);
    this.kafkaBrokers = env.KAFKA_BROKERS ? env.KAFKA_BROKERS.split(',') : [];
    this.topicPrefix = env.KAFKA_TOPIC_PREFIX;
    this.replicationFactor = env.KAFKA_REPLICATION_FACTOR;
    this.writeTimeoutMs = env.WRITE_TIMEOUT_MS;
    this.readWaitTimeoutMs = env.READ_WAIT_TIMEOUT_MS;
    this.bodyLimit = env.BODY_LIMIT;
    this.corsOrigin = env.CORS_ORIGIN;
    this.logLevel = env.LOG_LEVEL;
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

  get deadLetterTopic(): string {
    return `${this.topicPrefix}._dead-letter`;
  }

  /** Consumer group of this node: every node reads the whole log. */
  get consumerGroup(): string {
    return `${this.topicPrefix}-${this.nodeId}`;
  }
}
