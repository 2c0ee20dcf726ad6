import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { ConfigResourceTypes, ConfigSource, Kafka, logLevel } from 'kafkajs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startKafkaBroker,
  type KafkaBroker,
} from '../../tools/kafka/broker.mjs';
import {
  NodeProcess,
  eventually,
  uniqueTopicPrefix,
} from '../support/node-process.js';

const USER = 'clusterlite-app';
const PASSWORD = 'right-pw-5e1f9c0a';
const WRONG_PASSWORD = 'wrong-pw-73b2d4e8';
const json = { 'Content-Type': 'application/json' };

function write(node: NodeProcess, name: string) {
  return fetch(`${node.url}/users`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ name, email: `${name.toLowerCase()}@example.com` }),
  });
}

/** The node's log lines about the failed authentication: kafkajs's reason, or the node's own words. */
function refusalLines(node: NodeProcess): string[] {
  return node
    .logs()
    .split('\n')
    .filter((line) => /authentication/i.test(line));
}

describe('A Kafka whose only listener is SASL_SSL (SCRAM-SHA-512, private CA)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clusterlite-kafka-sasl-'));
  const topicPrefix = uniqueTopicPrefix('sasl');
  const passwordFile = join(dir, 'kafka-password');
  let broker: KafkaBroker;
  let a: NodeProcess;
  let b: NodeProcess;
  let refused: NodeProcess | undefined;

  const security = (password: Record<string, string>) => ({
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: broker.saslSsl!.caFile,
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: USER,
    ...password,
  });

  beforeAll(async () => {
    // A broker of its own: the shared one speaks PLAINTEXT.
    broker = await startKafkaBroker({
      dataDir: join(dir, 'kafka'),
      saslSsl: { users: { [USER]: PASSWORD } },
      readyTimeoutMs: 180_000,
    });
    writeFileSync(passwordFile, `${PASSWORD}\n`);
    a = await NodeProcess.start({
      nodeId: 'sasl-a',
      brokers: broker.brokers,
      topicPrefix,
      env: {
        ...security({ KAFKA_SASL_PASSWORD: PASSWORD }),
        KAFKA_MIN_INSYNC_REPLICAS: '1',
      },
    });
    b = await NodeProcess.start({
      nodeId: 'sasl-b',
      brokers: broker.brokers,
      topicPrefix,
      env: security({ KAFKA_SASL_PASSWORD_FILE: passwordFile }),
    });
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), refused?.kill()]);
    await broker?.stop();
  });

  it('replicates through it: a write on one node is read on the other, with the same checksums', async () => {
    const created = await write(a, 'Ada');
    expect(created.status).toBe(202);
    const { id, position } = await created.json();

    const read = await fetch(`${b.url}/users/${id}`, {
      headers: { 'ClusterLite-Position': position },
    });
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ id, name: 'Ada' });

    const second = await write(b, 'Grace');
    expect(second.status).toBe(202);
    const last = (await second.json()).position;
    await eventually(async () => {
      const [listA, listB] = await Promise.all(
        [a, b].map(async (node) =>
          (
            await fetch(`${node.url}/users`, {
              headers: { 'ClusterLite-Position': last },
            })
          ).json(),
        ),
      );
      expect(listA.map((user: { name: string }) => user.name).sort()).toEqual([
        'Ada',
        'Grace',
      ]);
      expect(listB).toEqual(listA);
    }, 30_000);
    const [statusA, statusB] = await Promise.all([a.status(), b.status()]);
    expect(statusA.tables).toEqual(statusB.tables);
    expect(
      statusA.tables.find((table: { table: string }) => table.table === 'users')
        .rows,
    ).toBe(2);
  });

  it('creates its topics through the admin client with KAFKA_MIN_INSYNC_REPLICAS', async () => {
    const admin = new Kafka({
      brokers: [broker.brokers],
      logLevel: logLevel.NOTHING,
      ssl: { ca: [readFileSync(broker.saslSsl!.caFile, 'utf8')] },
      sasl: { mechanism: 'scram-sha-512', username: USER, password: PASSWORD },
    }).admin();
    await admin.connect();
    try {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: `${topicPrefix}.users`,
            configNames: ['min.insync.replicas'],
          },
        ],
      });
      expect(resources[0].configEntries[0]).toMatchObject({
        configName: 'min.insync.replicas',
        configValue: '1',
        // Set on the topic itself, not inherited from the broker.
        configSource: ConfigSource.TOPIC_CONFIG,
      });
    } finally {
      await admin.disconnect();
    }
  });

  it('keeps secrets out of logs and status', async () => {
    for (const node of [a, b]) {
      expect(node.logs()).not.toContain(PASSWORD);
      expect(JSON.stringify(await node.status())).not.toContain(PASSWORD);
      const ready = await fetch(`${node.url}/_cluster/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.text()).not.toContain(PASSWORD);
    }
  });

  it('with a wrong password: not ready, writes answer 503, one clear log line without the password', async () => {
    writeFileSync(passwordFile, `${WRONG_PASSWORD}\n`);
    refused = await NodeProcess.start({
      nodeId: 'sasl-refused',
      brokers: broker.brokers,
      topicPrefix,
      env: security({ KAFKA_SASL_PASSWORD_FILE: passwordFile }),
      until: 'live',
    });
    const node = refused;

    const ready = await fetch(`${node.url}/_cluster/health/ready`);
    expect(ready.status).toBe(503);
    const readyBody = await ready.text();

    const rejected = await write(node, 'Nobody');
    expect(rejected.status).toBe(503);
    expect(rejected.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(rejected.headers.get('content-type')).toMatch(
      /^application\/problem\+json/,
    );
    const problem = await rejected.text();

    await eventually(async () => expect(refusalLines(node)).toHaveLength(1));
    // It keeps retrying (every write tries too) without saying it again.
    for (let attempt = 0; attempt < 3; attempt++)
      expect((await write(node, `Retry${attempt}`)).status).toBe(503);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const lines = refusalLines(node);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/refused authentication/);
    expect(lines[0]).toContain('SCRAM-SHA-512');
    expect(lines[0]).toContain(USER);

    const status = JSON.stringify(await node.status());
    for (const text of [node.logs(), status, readyBody, problem]) {
      expect(text).not.toContain(WRONG_PASSWORD);
      expect(text).not.toContain(PASSWORD);
    }
    // Reads still come from its own file.
    expect((await fetch(`${node.url}/users`)).status).toBe(200);
  });

  it('without the private CA: not ready, writes answer 503, one log line about the certificate', async () => {
    const untrusting = await NodeProcess.start({
      nodeId: 'sasl-no-ca',
      brokers: broker.brokers,
      topicPrefix,
      env: {
        ...security({ KAFKA_SASL_PASSWORD: PASSWORD }),
        KAFKA_SSL_CA_FILE: '',
      },
      until: 'live',
    });
    try {
      expect(
        (await fetch(`${untrusting.url}/_cluster/health/ready`)).status,
      ).toBe(503);
      expect((await write(untrusting, 'Untrusted')).status).toBe(503);
      const certificateLines = () =>
        untrusting
          .logs()
          .split('\n')
          .filter((line) => /certificate/i.test(line));
      await eventually(async () => expect(certificateLines()).toHaveLength(1));
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(certificateLines()).toHaveLength(1);
      expect(certificateLines()[0]).toMatch(
        /TLS with Kafka at .* failed .*: this node does not trust the broker's certificate \(KAFKA_SSL_CA_FILE/,
      );
      expect(untrusting.logs()).not.toContain(PASSWORD);
    } finally {
      await untrusting.kill();
    }
  });

  it('without any TLS or SASL setting: not ready, writes 503, and the log names the variables to set', async () => {
    const plaintext = await NodeProcess.start({
      nodeId: 'sasl-plaintext',
      brokers: broker.brokers,
      topicPrefix,
      until: 'live',
    });
    try {
      expect(
        (await fetch(`${plaintext.url}/_cluster/health/ready`)).status,
      ).toBe(503);
      expect((await write(plaintext, 'Plain')).status).toBe(503);
      await eventually(async () =>
        expect(plaintext.logs()).toMatch(
          /not reachable .*if the brokers require TLS or SASL, set KAFKA_SSL and KAFKA_SASL_\*/,
        ),
      );
    } finally {
      await plaintext.kill();
    }
  });

  it('picks up a corrected password file without a restart', async () => {
    const node = refused!;
    writeFileSync(passwordFile, `${PASSWORD}\n`);
    await eventually(
      async () =>
        expect((await fetch(`${node.url}/_cluster/health/ready`)).status).toBe(
          200,
        ),
      90_000,
      500,
    );
    const created = await write(node, 'Katherine');
    expect(created.status).toBe(202);
    const { id, position } = await created.json();
    const read = await fetch(`${a.url}/users/${id}`, {
      headers: { 'ClusterLite-Position': position },
    });
    expect(read.status).toBe(200);
    expect(node.logs()).not.toContain(PASSWORD);
  });
});
