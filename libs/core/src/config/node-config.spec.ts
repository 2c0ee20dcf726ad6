import { InvalidConfigurationError, NodeConfig } from './node-config.js';

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
    ['KAFKA_RETENTION_MS', '-2'],
    ['KAFKA_MAX_MESSAGE_BYTES', '10'],
  ])('stops with a message naming %s when it is %j', (name, value) => {
    expect(() => NodeConfig.fromEnvironment({ [name]: value })).toThrow(
      InvalidConfigurationError,
    );
    expect(() => NodeConfig.fromEnvironment({ [name]: value })).toThrow(
      new RegExp(name),
    );
  });
});
