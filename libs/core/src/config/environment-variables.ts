import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsUrl,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { type KafkaSecurityVariables } from './kafka-security.js';

const DURATION = /^(\d+)(ms|s|m|h)?$/;
const DURATION_UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** `90`, `90s`, `15m`, `1h`, `500ms` in milliseconds (a bare number is seconds). */
export function durationMs(value: string): number {
  const [, amount, unit = 's'] = DURATION.exec(value) ?? [];
  return (
    Number(amount) * DURATION_UNIT_MS[unit as keyof typeof DURATION_UNIT_MS]
  );
}

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

  /** How long a fetch that brought few events holds the next one, so that it brings more. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000)
  KAFKA_FETCH_LINGER_MS = 10;

  /** Under concurrent writes, how long a produce request waits for more writes to join it. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000)
  KAFKA_PRODUCE_LINGER_MS = 5;

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

  /** Characters in one page of a list, a history or the dead letters, at most: it ends early, with its Link. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1024)
  @Max(1_073_741_824)
  MAX_PAGE_CHARS = 4_194_304;

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
