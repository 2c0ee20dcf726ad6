import { Injectable, Logger } from '@nestjs/common';
import type { KafkaConfig } from 'kafkajs';
import { readFileSync } from 'node:fs';
import { rootCertificates, type ConnectionOptions } from 'node:tls';
import { NodeConfig } from '@clusterlite/core';
import { stopIdleRequestQueueChecks } from './idle-request-queue.js';
import { kafkaLogCreator } from './kafka-log-creator.js';

/**
 * Why Kafka and the node cannot talk: the brokers refused its login, the node does not trust
 * the brokers' certificate, or the brokers refused the node's (missing) client certificate.
 */
export type KafkaRefusal =
  'authentication' | 'certificate' | 'client-certificate';

/** Node's codes for a TLS alert from the broker: it turned the handshake down. */
const BROKER_ALERT = /^ERR_SSL_.*(ALERT|HANDSHAKE)/;
/** Node's codes for a broker certificate it cannot verify. */
const UNTRUSTED_CERTIFICATE =
  /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|DEPTH_ZERO/;

/** Lines kafkajs logs about a refusal, which `KafkaAccessReport` reports once instead. */
const REFUSAL_LINE =
  /authentication failed|SASL .*(mechanism|authentication)|certificate|alert (bad|unknown|handshake)/i;

/**
 * Whether `error` (or what it wraps) means the brokers refused this node's credentials or the
 * TLS handshake failed on a certificate: retrying with the same settings cannot succeed.
 */
export function kafkaRefusal(error: unknown): KafkaRefusal | null {
  let current: unknown = error;
  for (let depth = 0; current && depth < 6; depth++) {
    const { name, type, code, cause, originalError } = current as {
      name?: string;
      type?: string;
      code?: string;
      cause?: unknown;
      originalError?: unknown;
    };
    if (
      name === 'KafkaJSSASLAuthenticationError' ||
      type === 'SASL_AUTHENTICATION_FAILED'
    )
      return 'authentication';
    if (typeof code === 'string' && BROKER_ALERT.test(code))
      return 'client-certificate';
    if (typeof code === 'string' && UNTRUSTED_CERTIFICATE.test(code))
      return 'certificate';
    current = cause ?? originalError;
  }
  return null;
}

function readPem(file: string): string {
  return readFileSync(file, 'utf8');
}

/**
 * What every Kafka client of the node shares: brokers, TLS, SASL and a logger. Files are read
 * again on every connection (kafkajs copies `ssl` and reads `sasl.password` each time it
 * connects), so a rotated certificate or a corrected KAFKA_SASL_PASSWORD_FILE needs no restart.
 */
export function kafkaConnection(
  config: NodeConfig,
): Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl' | 'logCreator'> {
  // Every kafkajs client of the node connects with these settings: fix its request queues first.
  stopIdleRequestQueueChecks();
  const tls = config.kafkaTls;
  const sasl = config.kafkaSasl;
  let ssl: ConnectionOptions | undefined;
  if (tls) {
    ssl = {
      // Extra CAs beside the system's, not instead of them.
      get ca() {
        return tls.caFile
          ? [...rootCertificates, readPem(tls.caFile)]
          : undefined;
      },
      get cert() {
        return tls.certFile ? readPem(tls.certFile) : undefined;
      },
      get key() {
        return tls.keyFile ? readPem(tls.keyFile) : undefined;
      },
    };
  }
  return {
    brokers: [...config.kafkaBrokers],
    ...(ssl ? { ssl } : {}),
    ...(sasl
      ? {
          sasl: {
            mechanism: sasl.mechanism,
            username: sasl.username,
            get password() {
              return sasl.password();
            },
          } as KafkaConfig['sasl'],
        }
      : {}),
    logCreator: kafkaLogCreator('KafkaJS', isKafkaRefusalLine),
  };
}

/**
 * A line kafkajs logs about a refused login or certificate: kafkajs would repeat it on every
 * retry, and `KafkaAccessReport` says it once.
 */
export function isKafkaRefusalLine(text: string): boolean {
  return REFUSAL_LINE.test(text);
}

/**
 * Says once, clearly, that the brokers refused this node's login or certificate, and once
 * that they accept it again. The node keeps retrying meanwhile (see KafkaTopics).
 */
@Injectable()
export class KafkaAccessReport {
  private readonly logger = new Logger('KafkaAccess');
  private refusal: KafkaRefusal | null = null;

  constructor(private readonly config: NodeConfig) {}

  /** The refusal in force, or null. */
  get refused(): KafkaRefusal | null {
    return this.refusal;
  }

  /**
   * `error`, or when it is a refusal, a short stand-in for per-request messages (a 503's log
   * line, the readiness check): the refusal itself is reported once, here.
   */
  summarize(error: unknown): unknown {
    const refusal = kafkaRefusal(error);
    if (!refusal) return error;
    this.report(error);
    return new Error(
      refusal === 'authentication'
        ? "Kafka refused this node's login (logged once by KafkaAccess)"
        : 'TLS with Kafka failed (logged once by KafkaAccess)',
    );
  }

  /** Reports `error` if it is a refusal (once until access is back); false if it is not one. */
  report(error: unknown): boolean {
    const refusal = kafkaRefusal(error);
    if (!refusal) return false;
    if (this.refusal === refusal) return true;
    this.refusal = refusal;
    this.logger.error(this.describe(refusal, error));
    return true;
  }

  /** The brokers let the node in: say so if they had refused it. */
  accepted(): void {
    if (!this.refusal) return;
    this.refusal = null;
    this.logger.log(
      `Kafka at ${this.config.kafkaBrokers.join(',')} accepts this node now (${this.config.kafkaSecurity})`,
    );
  }

  private describe(refusal: KafkaRefusal, error: unknown): string {
    const brokers = this.config.kafkaBrokers.join(',');
    // OpenSSL's messages span lines; a log entry is one line.
    const reason = (error instanceof Error ? error.message : String(error))
      .replace(/\s+/g, ' ')
      .trim();
    const sasl = this.config.kafkaSasl;
    const after =
      'the node is not ready and answers writes 503; it keeps retrying' +
      (sasl?.rereadsPassword
        ? `, re-reading ${sasl.passwordSource} on each attempt`
        : '');
    if (refusal === 'authentication')
      return `Kafka at ${brokers} refused authentication: SASL ${sasl ? sasl.describe() : '(no KAFKA_SASL_MECHANISM set)'} (${reason}); ${after}`;
    const tls = this.config.kafkaTls;
    const why =
      refusal === 'certificate'
        ? `this node does not trust the broker's certificate (KAFKA_SSL_CA_FILE ${tls?.caFile ?? 'unset: system CAs only'})`
        : `the broker refused this node's client certificate (KAFKA_SSL_CERT_FILE ${tls?.certFile ?? 'unset: none sent'})`;
    return `TLS with Kafka at ${brokers} failed (${reason}): ${why}; ${after}`;
  }
}
