import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startKafkaBroker,
  type KafkaBroker,
} from '../../tools/kafka/broker.mjs';
import { NodeProcess, uniqueTopicPrefix } from '../support/node-process.js';
import { eventually } from '../support/eventually.js';

const USER = 'clusterlite-mtls';
const PASSWORD = 'mtls-pw-0b7d2c91';

describe('A SASL_SSL Kafka that also requires client certificates (mutual TLS)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clusterlite-kafka-mtls-'));
  const topicPrefix = uniqueTopicPrefix('mtls');
  let broker: KafkaBroker;
  const nodes: NodeProcess[] = [];

  const security = () => ({
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: broker.saslSsl!.caFile,
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: USER,
    KAFKA_SASL_PASSWORD: PASSWORD,
  });

  beforeAll(async () => {
    broker = await startKafkaBroker({
      dataDir: join(dir, 'kafka'),
      saslSsl: { users: { [USER]: PASSWORD }, clientCertificate: true },
      readyTimeoutMs: 180_000,
    });
  });

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.kill()));
    await broker?.stop();
  });

  it('accepts a node with KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE: it is ready and takes writes', async () => {
    const node = await NodeProcess.start({
      nodeId: 'mtls-cert',
      brokers: broker.brokers,
      topicPrefix,
      env: {
        ...security(),
        KAFKA_SSL_CERT_FILE: broker.saslSsl!.client!.certFile,
        KAFKA_SSL_KEY_FILE: broker.saslSsl!.client!.keyFile,
      },
    });
    nodes.push(node);
    const created = await fetch(`${node.url}/users`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Mutual', email: 'mutual@example.com' }),
    });
    expect(created.status).toBe(202);
    const { id, position } = await created.json();
    const read = await fetch(`${node.url}/users/${id}`, {
      headers: { 'ClusterLite-Position': position },
    });
    expect(read.status).toBe(200);
  });

  it('refuses a node without a client certificate: not ready, writes 503, one log line about the certificate', async () => {
    const node = await NodeProcess.start({
      nodeId: 'mtls-none',
      brokers: broker.brokers,
      topicPrefix,
      env: security(),
      until: 'live',
    });
    nodes.push(node);
    expect((await fetch(`${node.url}/_cluster/health/ready`)).status).toBe(503);
    const write = await fetch(`${node.url}/users`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Anonymous', email: 'anon@example.com' }),
    });
    expect(write.status).toBe(503);
    const certificateLines = () =>
      node
        .logs()
        .split('\n')
        .filter((line) => /certificate/i.test(line));
    await eventually(
      async () => expect(certificateLines()).toHaveLength(1),
      15_000,
      200,
    );
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(certificateLines()).toHaveLength(1);
    expect(certificateLines()[0]).toMatch(
      /TLS with Kafka at .* failed .*: the broker refused this node's client certificate/,
    );
    expect(node.logs()).not.toContain(PASSWORD);
  });
});
