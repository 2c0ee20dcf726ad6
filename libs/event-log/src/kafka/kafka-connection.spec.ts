import { Logger } from '@nestjs/common';
import {
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSSASLAuthenticationError,
} from 'kafkajs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { NodeConfig } from '@clusterlite/core';
import {
  KafkaAccessReport,
  kafkaConnection,
  kafkaRefusal,
} from './kafka-connection.js';

const dir = mkdtempSync(join(tmpdir(), 'kafka-connection-spec-'));
const ca = join(dir, 'ca.pem');
const caPem =
  '-----BEGIN CERTIFICATE-----\nMIIBprivateCA\n-----END CERTIFICATE-----\n';
writeFileSync(ca, caPem);
const passwordFile = join(dir, 'password');
writeFileSync(passwordFile, 'old-secret\n');

function secured(): NodeConfig {
  return NodeConfig.fromEnvironment({
    KAFKA_BROKERS: '127.0.0.1:9093',
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: ca,
    KAFKA_SASL_MECHANISM: 'scram-sha-256',
    KAFKA_SASL_USERNAME: 'alice',
    KAFKA_SASL_PASSWORD_FILE: passwordFile,
  });
}

// kafkajs's typings declare no constructor arguments; it takes a message like its other errors.
const SaslError = KafkaJSSASLAuthenticationError as unknown as new (
  message: string,
) => Error;
const refusedLogin = () =>
  new SaslError('SASL SCRAM SHA256 authentication failed: invalid credentials');
const untrustedCertificate = () =>
  new KafkaJSNumberOfRetriesExceeded(
    new KafkaJSConnectionError(
      'Connection error: self-signed certificate in certificate chain',
      { code: 'SELF_SIGNED_CERT_IN_CHAIN' },
    ),
    { retryCount: 0, retryTime: 0 },
  );

describe('kafkaConnection', () => {
  it('trusts the extra CA beside the system CAs and logs in with the mechanism and user', () => {
    const connection = kafkaConnection(secured());
    const ssl = connection.ssl as { ca: string[] };
    expect(ssl.ca).toContain(caPem);
    expect(ssl.ca).toEqual(expect.arrayContaining([...rootCertificates]));
    expect(connection.sasl).toMatchObject({
      mechanism: 'scram-sha-256',
      username: 'alice',
      password: 'old-secret',
    });
  });

  it('reads a corrected password file on the next connection', () => {
    const connection = kafkaConnection(secured());
    writeFileSync(passwordFile, 'new-secret\n');
    expect((connection.sasl as { password: string }).password).toBe(
      'new-secret',
    );
    writeFileSync(passwordFile, 'old-secret\n');
  });

  it('neither encrypts nor logs in for a plaintext cluster', () => {
    const connection = kafkaConnection(
      NodeConfig.fromEnvironment({ KAFKA_BROKERS: '127.0.0.1:9092' }),
    );
    expect(connection.ssl).toBeUndefined();
    expect(connection.sasl).toBeUndefined();
  });
});

describe('kafkaRefusal', () => {
  it('tells a refused login, a refused certificate and anything else apart', () => {
    expect(kafkaRefusal(refusedLogin())).toBe('authentication');
    expect(kafkaRefusal(untrustedCertificate())).toBe('certificate');
    expect(
      kafkaRefusal(
        new KafkaJSConnectionError(
          'Connection error: ssl/tls alert bad certificate',
          { code: 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE' },
        ),
      ),
    ).toBe('client-certificate');
    expect(
      kafkaRefusal(
        new KafkaJSConnectionError('Connection error: connect ECONNREFUSED', {
          code: 'ECONNREFUSED',
        }),
      ),
    ).toBeNull();
  });
});

describe(KafkaAccessReport.name, () => {
  afterEach(() => vi.restoreAllMocks());

  it('says once that the brokers refused the login, with mechanism and user, and once that they accept it again', () => {
    const errors = vi
      .spyOn(Logger.prototype, 'error')
      .mockImplementation(() => undefined);
    const logs = vi
      .spyOn(Logger.prototype, 'log')
      .mockImplementation(() => undefined);
    const report = new KafkaAccessReport(secured());

    expect(report.report(refusedLogin())).toBe(true);
    expect(report.report(refusedLogin())).toBe(true);
    expect(report.report(new Error('connect ECONNREFUSED'))).toBe(false);
    expect(errors).toHaveBeenCalledTimes(1);
    const line = String(errors.mock.calls[0][0]);
    expect(line).toContain('refused authentication');
    expect(line).toContain('SCRAM-SHA-256 as user "alice"');
    expect(line).toContain(passwordFile);
    expect(line).not.toContain('old-secret');
    expect(report.refused).toBe('authentication');

    report.accepted();
    report.accepted();
    expect(logs).toHaveBeenCalledTimes(1);
    expect(report.refused).toBeNull();
    report.report(untrustedCertificate());
    expect(errors).toHaveBeenCalledTimes(2);
    expect(String(errors.mock.calls[1][0])).toContain(
      "this node does not trust the broker's certificate",
    );
  });
});
