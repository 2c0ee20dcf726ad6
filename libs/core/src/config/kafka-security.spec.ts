import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidConfigurationError, NodeConfig } from './node-config.js';

const dir = mkdtempSync(join(tmpdir(), 'kafka-security-spec-'));
const pem = join(dir, 'ca.pem');
writeFileSync(
  pem,
  '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
);
const notPem = join(dir, 'not.pem');
writeFileSync(notPem, 'hello');
const secret = 'secret-3c9f1d';
const passwordFile = join(dir, 'password');
writeFileSync(passwordFile, `${secret}\n`);

const cluster = { KAFKA_BROKERS: 'kafka.example.com:9096' };
const scram = {
  ...cluster,
  KAFKA_SSL: 'true',
  KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
  KAFKA_SASL_USERNAME: 'alice',
};

describe(`${NodeConfig.name}: Kafka TLS and SASL`, () => {
  it('builds TLS and a SASL login from the variables, mechanism in lower case', () => {
    const config = NodeConfig.fromEnvironment({
      ...scram,
      KAFKA_SSL_CA_FILE: pem,
      KAFKA_SASL_PASSWORD: secret,
    });
    expect(config.kafkaTls).toEqual({
      caFile: pem,
      certFile: null,
      keyFile: null,
    });
    expect(config.kafkaSasl?.mechanism).toBe('scram-sha-512');
    expect(config.kafkaSasl?.username).toBe('alice');
    expect(config.kafkaSasl?.password()).toBe(secret);
    expect(config.kafkaSecurity).toBe(
      `TLS (CA ${pem}), SASL SCRAM-SHA-512 as user "alice"`,
    );
  });

  it('never shows the password when the configuration is printed', () => {
    const config = NodeConfig.fromEnvironment({
      ...scram,
      KAFKA_SASL_PASSWORD: secret,
    });
    expect(JSON.stringify(config)).not.toContain(secret);
    expect(String(config.kafkaSasl?.describe())).not.toContain(secret);
    expect(config.kafkaSecurity).not.toContain(secret);
  });

  it('re-reads KAFKA_SASL_PASSWORD_FILE on every call, without its trailing newline', () => {
    const file = join(dir, 'rotating');
    writeFileSync(file, 'first\n');
    const login = NodeConfig.fromEnvironment({
      ...scram,
      KAFKA_SASL_PASSWORD_FILE: file,
    }).kafkaSasl!;
    expect(login.password()).toBe('first');
    writeFileSync(file, 'second');
    expect(login.password()).toBe('second');
  });

  it('is plaintext without SASL when no security variable is set', () => {
    const config = NodeConfig.fromEnvironment(cluster);
    expect(config.kafkaTls).toBeNull();
    expect(config.kafkaSasl).toBeNull();
    expect(config.kafkaSecurity).toBe('plaintext');
  });

  it.each([
    ['KAFKA_SSL', { ...cluster, KAFKA_SSL: 'yes' }],
    ['KAFKA_SSL_CA_FILE', { ...cluster, KAFKA_SSL_CA_FILE: pem }],
    [
      'KAFKA_SSL_CA_FILE',
      { ...cluster, KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: join(dir, 'none') },
    ],
    [
      'KAFKA_SSL_CA_FILE',
      { ...cluster, KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: notPem },
    ],
    [
      'KAFKA_SSL_KEY_FILE',
      { ...cluster, KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: pem },
    ],
    [
      'KAFKA_SASL_MECHANISM',
      { ...scram, KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_PASSWORD: secret },
    ],
    ['KAFKA_SASL_MECHANISM', { ...cluster, KAFKA_SASL_PASSWORD: secret }],
    [
      'KAFKA_SASL_USERNAME',
      { ...scram, KAFKA_SASL_USERNAME: '', KAFKA_SASL_PASSWORD: secret },
    ],
    ['KAFKA_SASL_PASSWORD', scram],
    [
      'KAFKA_SASL_PASSWORD_FILE',
      {
        ...scram,
        KAFKA_SASL_PASSWORD: secret,
        KAFKA_SASL_PASSWORD_FILE: passwordFile,
      },
    ],
    [
      'KAFKA_SASL_PASSWORD_FILE',
      { ...scram, KAFKA_SASL_PASSWORD_FILE: join(dir, 'missing') },
    ],
  ])(
    'stops with a message naming %s, never the password',
    (name, environment) => {
      let thrown: unknown;
      try {
        NodeConfig.fromEnvironment(environment);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(InvalidConfigurationError);
      expect((thrown as Error).message).toContain(name);
      expect((thrown as Error).message).not.toContain(secret);
    },
  );
});
