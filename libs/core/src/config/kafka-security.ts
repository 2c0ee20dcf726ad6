import { readFileSync } from 'node:fs';

export const SASL_MECHANISMS = [
  'plain',
  'scram-sha-256',
  'scram-sha-512',
] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** Variables whose values are never repeated in a message. */
export const SECRET_VARIABLES = new Set([
  'KAFKA_SASL_PASSWORD',
  'BOOTSTRAP_TOKEN',
]);

/** The security variables as they come from the environment (validated by `kafkaSecurityProblems`). */
export interface KafkaSecurityVariables {
  KAFKA_SSL?: string;
  KAFKA_SSL_CA_FILE?: string;
  KAFKA_SSL_CERT_FILE?: string;
  KAFKA_SSL_KEY_FILE?: string;
  KAFKA_SASL_MECHANISM?: string;
  KAFKA_SASL_USERNAME?: string;
  KAFKA_SASL_PASSWORD?: string;
  KAFKA_SASL_PASSWORD_FILE?: string;
}

/** TLS to the brokers: extra CAs (PEM) beside the system's, and a client certificate for mutual TLS. */
export interface KafkaTlsSettings {
  caFile: string | null;
  certFile: string | null;
  keyFile: string | null;
}

/**
 * The SASL login of every Kafka client of the node. The password stays inside: it is
 * handed to kafkajs only, never to a log, a status or an error message.
 */
export class KafkaSaslLogin {
  readonly #secret: string | null;
  readonly #secretFile: string | null;
  #lastRead: string | null = null;

  constructor(
    readonly mechanism: SaslMechanism,
    readonly username: string,
    password: { value: string } | { file: string },
  ) {
    this.#secret = 'value' in password ? password.value : null;
    this.#secretFile = 'file' in password ? password.file : null;
  }

  /** Where the password comes from, for messages: the file's path, never its content. */
  get passwordSource(): string {
    return this.#secretFile
      ? `KAFKA_SASL_PASSWORD_FILE ${this.#secretFile}`
      : 'KAFKA_SASL_PASSWORD';
  }

  /** True when the password is re-read (from its file) on every connection attempt. */
  get rereadsPassword(): boolean {
    return this.#secretFile !== null;
  }

  /**
   * The password to log in with. Read from KAFKA_SASL_PASSWORD_FILE on every call, so a
   * corrected or rotated secret takes effect on the next connection, without a restart;
   * while the file cannot be read, the last password read stays in use.
   */
  password(): string {
    if (this.#secretFile === null) return this.#secret ?? '';
    try {
      this.#lastRead = readPasswordFile(this.#secretFile);
    } catch {
      // Keep the last good one: a secret being rewritten is briefly missing.
    }
    return this.#lastRead ?? '';
  }

  /** e.g. `SCRAM-SHA-512 as user "alice"`. */
  describe(): string {
    return `${this.mechanism.toUpperCase()} as user "${this.username}"`;
  }

  toJSON(): object {
    return { mechanism: this.mechanism, username: this.username };
  }
}

/** A password file holds the secret; one trailing newline (as editors and `echo` write) is not part of it. */
export function readPasswordFile(file: string): string {
  return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
}

function unreadable(
  variable: string,
  file: string,
  pem: boolean,
): string | null {
  try {
    const text = readFileSync(file, 'utf8');
    if (pem && !text.includes('-----BEGIN '))
      return `${variable} must be a PEM file (no "-----BEGIN" line in ${file})`;
    if (!pem && text.replace(/\r?\n$/, '') === '')
      return `${variable} names an empty file (${file})`;
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    return `${variable} cannot be read: ${file} (${code})`;
  }
}

/** What is wrong with the TLS and SASL variables together; every message names its variable. */
export function kafkaSecurityProblems(env: KafkaSecurityVariables): string[] {
  const problems: string[] = [];
  const ssl = env.KAFKA_SSL === 'true';
  for (const variable of [
    'KAFKA_SSL_CA_FILE',
    'KAFKA_SSL_CERT_FILE',
    'KAFKA_SSL_KEY_FILE',
  ] as const) {
    const file = env[variable];
    if (file === undefined) continue;
    if (!ssl) problems.push(`${variable} needs KAFKA_SSL=true`);
    const problem = unreadable(variable, file, true);
    if (problem) problems.push(problem);
  }
  if (
    (env.KAFKA_SSL_CERT_FILE === undefined) !==
    (env.KAFKA_SSL_KEY_FILE === undefined)
  )
    problems.push(
      'KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together (mutual TLS): set both or neither',
    );

  const login = [
    'KAFKA_SASL_USERNAME',
    'KAFKA_SASL_PASSWORD',
    'KAFKA_SASL_PASSWORD_FILE',
  ] as const;
  if (env.KAFKA_SASL_MECHANISM === undefined) {
    for (const variable of login)
      if (env[variable] !== undefined)
        problems.push(
          `${variable} needs KAFKA_SASL_MECHANISM (${SASL_MECHANISMS.join(', ')})`,
        );
    return problems;
  }
  if (env.KAFKA_SASL_USERNAME === undefined)
    problems.push(
      `KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM=${env.KAFKA_SASL_MECHANISM}`,
    );
  if (
    (env.KAFKA_SASL_PASSWORD === undefined) ===
    (env.KAFKA_SASL_PASSWORD_FILE === undefined)
  )
    problems.push(
      'Set exactly one of KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE with KAFKA_SASL_MECHANISM',
    );
  if (env.KAFKA_SASL_PASSWORD_FILE !== undefined) {
    const problem = unreadable(
      'KAFKA_SASL_PASSWORD_FILE',
      env.KAFKA_SASL_PASSWORD_FILE,
      false,
    );
    if (problem) problems.push(problem);
  }
  return problems;
}

/** The TLS settings of validated variables, or null when KAFKA_SSL is not true. */
export function kafkaTlsSettings(
  env: KafkaSecurityVariables,
): KafkaTlsSettings | null {
  if (env.KAFKA_SSL !== 'true') return null;
  return {
    caFile: env.KAFKA_SSL_CA_FILE ?? null,
    certFile: env.KAFKA_SSL_CERT_FILE ?? null,
    keyFile: env.KAFKA_SSL_KEY_FILE ?? null,
  };
}

/** The SASL login of validated variables, or null when KAFKA_SASL_MECHANISM is unset. */
export function kafkaSaslLogin(
  env: KafkaSecurityVariables,
): KafkaSaslLogin | null {
  if (env.KAFKA_SASL_MECHANISM === undefined) return null;
  return new KafkaSaslLogin(
    env.KAFKA_SASL_MECHANISM.toLowerCase() as SaslMechanism,
    env.KAFKA_SASL_USERNAME ?? '',
    env.KAFKA_SASL_PASSWORD_FILE !== undefined
      ? { file: env.KAFKA_SASL_PASSWORD_FILE }
      : { value: env.KAFKA_SASL_PASSWORD ?? '' },
  );
}
