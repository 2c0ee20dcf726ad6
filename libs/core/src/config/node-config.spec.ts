import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  InvalidConfigurationError,
  NodeConfig,
  durationMs,
} from './node-config.js';

describe(NodeConfig.name, () => {
  it('defaults to one embedded node on port 8082 with a file under data/', () => {
    const config = NodeConfig.fromEnvironment({});
    expect(config).toMatchObject({
      port: 8082,
      nodeId: 'node-1',
      dbPath: 'data/node-1.sqlite',
      mode: 'embedded',
    });
  });

  it('runs in cluster mode when KAFKA_BROKERS is set, with a consumer group per node', () => {
    const config = NodeConfig.fromEnvironment({
      KAFKA_BROKERS: '127.0.0.1:9092,kafka:9092',
      NODE_ID: 'node-2',
    });
    expect(config.mode).toBe('cluster');
    expect(config.kafkaBrokers).toEqual(['127.0.0.1:9092', 'kafka:9092']);
    expect(config.consumerGroup).toBe('clusterlite-node-2');
    expect(config.topicFor('users')).toBe('clusterlite.users');
  });

  it('creates topics with the replication factor and min.insync.replicas it is given', () => {
    const config = NodeConfig.fromEnvironment({
      KAFKA_BROKERS: 'b1:9092',
      KAFKA_REPLICATION_FACTOR: '3',
      KAFKA_MIN_INSYNC_REPLICAS: '2',
    });
    expect(config.replicationFactor).toBe(3);
    expect(config.minInsyncReplicas).toBe(2);
    // Unset: 2 once there are replicas to spare, else 1 (see KAFKA_MIN_INSYNC_REPLICAS).
    expect(NodeConfig.fromEnvironment({}).minInsyncReplicas).toBe(1);
  });

  it('gives a cluster node its own default file: a file belongs to one log', () => {
    expect(
      NodeConfig.fromEnvironment({ KAFKA_BROKERS: '127.0.0.1:9092' }).dbPath,
    ).toBe('data/node-1.cluster.sqlite');
  });

  it('keeps the log for ever and asks two in-sync replicas of three by default', () => {
    expect(NodeConfig.fromEnvironment({})).toMatchObject({
      retentionMs: -1,
      retentionBytes: -1,
      maxMessageBytes: 1_000_000,
      minInsyncReplicas: 1,
    });
    expect(
      NodeConfig.fromEnvironment({ KAFKA_REPLICATION_FACTOR: '3' })
        .minInsyncReplicas,
    ).toBe(2);
  });

  it('treats an empty variable as unset', () => {
    expect(
      NodeConfig.fromEnvironment({ KAFKA_BROKERS: '', PORT: '' }),
    ).toMatchObject({ mode: 'embedded', port: 8082 });
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['NODE_ID', 'node 1'],
    ['KAFKA_BROKERS', 'localhost'],
    ['WRITE_TIMEOUT_MS', '5'],
    ['KAFKA_MIN_INSYNC_REPLICAS', '2'],
    ['BOOTSTRAP_FROM', 'node-1:8082'],
    ['BOOTSTRAP_FROM', 'ftp://node-1/'],
    ['SNAPSHOT_INTERVAL', 'hourly'],
    ['SNAPSHOT_KEEP', '0'],
    ['KAFKA_RETENTION_MS', '-2'],
    ['KAFKA_MAX_MESSAGE_BYTES', '10'],
    ['KAFKA_FETCH_LINGER_MS', '-1'],
    ['KAFKA_FETCH_LINGER_MS', '5000'],
    ['KAFKA_PRODUCE_LINGER_MS', '1.5'],
  ])('stops with a message naming %s when it is %j', (name, value) => {
    expect(() => NodeConfig.fromEnvironment({ [name]: value })).toThrow(
      InvalidConfigurationError,
    );
    expect(() => NodeConfig.fromEnvironment({ [name]: value })).toThrow(
      new RegExp(name),
    );
  });

  it('bootstraps from a peer URL in cluster mode and schedules snapshots from a duration', () => {
    const config = NodeConfig.fromEnvironment({
      KAFKA_BROKERS: '127.0.0.1:9092',
      BOOTSTRAP_FROM: 'http://node-1:8082',
      SNAPSHOT_DIR: '/backups',
      SNAPSHOT_INTERVAL: '15m',
      SNAPSHOT_KEEP: '3',
    });
    expect(config).toMatchObject({
      bootstrapFrom: 'http://node-1:8082',
      snapshotDir: '/backups',
      snapshotIntervalMs: 900_000,
      snapshotKeep: 3,
    });
    expect(durationMs('90')).toBe(90_000);
  });

  it('refuses BOOTSTRAP_FROM without KAFKA_BROKERS, naming it', () => {
    expect(() =>
      NodeConfig.fromEnvironment({ BOOTSTRAP_FROM: 'http://127.0.0.1:8082' }),
    ).toThrow(/BOOTSTRAP_FROM needs KAFKA_BROKERS/);
  });

  it('is open without API_KEYS, and requires keys with it', () => {
    expect(NodeConfig.fromEnvironment({}).apiKeys.enabled).toBe(false);
    const config = NodeConfig.fromEnvironment({
      API_KEYS: 'read:reader-0123456789abcdef, admin:admin-0123456789abcdef',
    });
    expect(config.apiKeys.size).toBe(2);
    expect(config.apiKeys.roleOf('admin-0123456789abcdef')).toBe('admin');
  });

  it('reads API_KEYS_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clusterlite-keys-'));
    const file = join(dir, 'keys');
    writeFileSync(file, 'write:writer-0123456789abcdef\n');
    expect(
      NodeConfig.fromEnvironment({ API_KEYS_FILE: file }).apiKeys.roleOf(
        'writer-0123456789abcdef',
      ),
    ).toBe('write');
    expect(() =>
      NodeConfig.fromEnvironment({ API_KEYS_FILE: join(dir, 'missing') }),
    ).toThrow(/API_KEYS_FILE cannot be read: ENOENT/);
  });

  it('stops on a bad key, naming API_KEYS but not the token', () => {
    const attempt = () =>
      NodeConfig.fromEnvironment({ API_KEYS: 'root:secret-0123456789abcdef' });
    expect(attempt).toThrow(/API_KEYS entry 1/);
    expect(attempt).not.toThrow(/secret/);
  });

  it.each(['RATE_LIMIT_RPS', 'MAX_CHANGE_FEEDS', 'MAX_BODY_KEYS', 'MAX_COUNT'])(
    'stops with a message naming %s when it is not a number',
    (name) => {
      expect(() => NodeConfig.fromEnvironment({ [name]: 'lots' })).toThrow(
        new RegExp(name),
      );
    },
  );

  it('turns access control on with JWT_SECRET alone, and refuses a short one without quoting it', () => {
    const config = NodeConfig.fromEnvironment({
      JWT_SECRET: 'a-secret-of-32-characters-or-more!',
    });
    expect(config.accessControl).toBe(true);
    expect(config.apiKeys.enabled).toBe(false);
    const attempt = () =>
      NodeConfig.fromEnvironment({ JWT_SECRET: 'short-secret' });
    expect(attempt).toThrow(/JWT_SECRET must be at least 32 characters/);
    expect(attempt).not.toThrow(/short-secret/);
  });
});
