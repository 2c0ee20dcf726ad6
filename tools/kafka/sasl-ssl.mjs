// @ts-check
/**
 * A SASL_SSL listener for the test broker of tools/kafka/broker.mjs: a fresh private CA and a
 * broker keystore (openssl + keytool), SCRAM users written into the storage when it is formatted,
 * and the server.properties that make SASL_SSL the only listener clients can reach.
 * The controller listener stays PLAINTEXT on 127.0.0.1 (KRaft combined mode, one node).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * @typedef {object} SaslSslOptions
 * @property {Record<string, string>} users SCRAM users clients may log in as: name -> password
 * @property {'SCRAM-SHA-512' | 'SCRAM-SHA-256'} [mechanism] default SCRAM-SHA-512
 * @property {boolean} [clientCertificate] mutual TLS: clients must also show a certificate signed
 *   by the CA (`ssl.client.auth=required`); one is made for them
 */

/**
 * @typedef {object} SaslSslMaterial
 * @property {string} caFile PEM of the CA that signed the broker's certificate
 * @property {{ certFile: string, keyFile: string } | undefined} client with clientCertificate: a
 *   client certificate and key (PEM) signed by the CA
 * @property {'SCRAM-SHA-512' | 'SCRAM-SHA-256'} mechanism
 * @property {{ name: string, password: string }} broker the broker's own (inter-broker) user
 * @property {Record<string, string | number | boolean>} serverProperties
 * @property {string[]} formatArgs extra `StorageTool format` arguments (the SCRAM users)
 */

/**
 * Runs a command; rejects with its output when it fails.
 * @param {string} cmd
 * @param {string[]} args
 */
function run(cmd, args) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolveRun(undefined)
        : reject(
            new Error(`${cmd} ${args[0]} failed (exit ${code}):\n${output}`),
          ),
    );
  });
}

function keytoolBin() {
  return process.env.JAVA_HOME
    ? join(process.env.JAVA_HOME, 'bin', 'keytool')
    : 'keytool';
}

/**
 * Makes (once per directory; reused on restart) a CA, a broker certificate for 127.0.0.1 and
 * localhost signed by it, a PKCS12 keystore holding that certificate and a truststore holding the
 * CA, for the broker's own inter-broker connection.
 * @param {string} dir
 * @returns {Promise<{ caFile: string, caKey: string, keystore: string, truststore: string, storePassword: string }>}
 */
async function ensureCertificates(dir) {
  mkdirSync(dir, { recursive: true });
  const caFile = join(dir, 'ca.pem');
  const keystore = join(dir, 'broker.p12');
  const truststore = join(dir, 'truststore.p12');
  const passwordFile = join(dir, 'store-password');
  const caKey = join(dir, 'ca.key');
  if (existsSync(truststore) && existsSync(passwordFile)) {
    return {
      caFile,
      caKey,
      keystore,
      truststore,
      storePassword: readFileSync(passwordFile, 'utf8'),
    };
  }
  const storePassword = randomBytes(12).toString('hex');
  const brokerKey = join(dir, 'broker.key');
  const brokerCsr = join(dir, 'broker.csr');
  const brokerCert = join(dir, 'broker.pem');
  const extensions = join(dir, 'broker.ext');
  writeFileSync(
    extensions,
    'subjectAltName=IP:127.0.0.1,DNS:localhost\n' +
      'extendedKeyUsage=serverAuth,clientAuth\n',
  );
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    caKey,
    '-out',
    caFile,
    '-days',
    '7',
    '-subj',
    '/CN=ClusterLite test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await run('openssl', [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    brokerKey,
    '-out',
    brokerCsr,
    '-subj',
    '/CN=127.0.0.1',
  ]);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    brokerCsr,
    '-CA',
    caFile,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-out',
    brokerCert,
    '-days',
    '7',
    '-extfile',
    extensions,
  ]);
  await run('openssl', [
    'pkcs12',
    '-export',
    '-in',
    brokerCert,
    '-inkey',
    brokerKey,
    '-certfile',
    caFile,
    '-name',
    'broker',
    '-out',
    keystore,
    '-passout',
    `pass:${storePassword}`,
  ]);
  await run(keytoolBin(), [
    '-importcert',
    '-noprompt',
    '-alias',
    'ca',
    '-file',
    caFile,
    '-keystore',
    truststore,
    '-storetype',
    'PKCS12',
    '-storepass',
    storePassword,
  ]);
  writeFileSync(passwordFile, storePassword);
  return { caFile, caKey, keystore, truststore, storePassword };
}

/**
 * A client certificate and key signed by the CA, for mutual TLS (made once per directory).
 * @param {string} dir @param {string} caFile @param {string} caKey
 */
async function ensureClientCertificate(dir, caFile, caKey) {
  const certFile = join(dir, 'client.pem');
  const keyFile = join(dir, 'client.key');
  if (existsSync(certFile)) return { certFile, keyFile };
  const csr = join(dir, 'client.csr');
  const extensions = join(dir, 'client.ext');
  writeFileSync(extensions, 'extendedKeyUsage=clientAuth\n');
  await run('openssl', [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    csr,
    '-subj',
    '/CN=clusterlite-client',
  ]);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    caFile,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-out',
    certFile,
    '-days',
    '7',
    '-extfile',
    extensions,
  ]);
  return { certFile, keyFile };
}

/**
 * Everything the broker needs to speak only SASL_SSL to clients.
 * @param {{ dir: string, port: number, controllerPort: number, options: SaslSslOptions }} p
 * @returns {Promise<SaslSslMaterial>}
 */
export async function saslSslMaterial({ dir, port, controllerPort, options }) {
  const mechanism = options.mechanism ?? 'SCRAM-SHA-512';
  const { caFile, caKey, keystore, truststore, storePassword } =
    await ensureCertificates(dir);
  const client = options.clientCertificate
    ? await ensureClientCertificate(dir, caFile, caKey)
    : undefined;
  // The broker's own user, stable across restarts of the same data dir (it is in the storage).
  const brokerPasswordFile = join(dir, 'broker-user-password');
  if (!existsSync(brokerPasswordFile))
    writeFileSync(brokerPasswordFile, randomBytes(12).toString('hex'));
  const broker = {
    name: 'broker',
    password: readFileSync(brokerPasswordFile, 'utf8'),
  };
  const users = { ...options.users, [broker.name]: broker.password };
  const jaas = `org.apache.kafka.common.security.scram.ScramLoginModule required username="${broker.name}" password="${broker.password}";`;
  return {
    caFile,
    client,
    mechanism,
    broker,
    serverProperties: {
      listeners: `SASL_SSL://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      'advertised.listeners': `SASL_SSL://127.0.0.1:${port}`,
      'listener.security.protocol.map':
        'SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name': 'SASL_SSL',
      'sasl.enabled.mechanisms': mechanism,
      'sasl.mechanism.inter.broker.protocol': mechanism,
      [`listener.name.sasl_ssl.${mechanism.toLowerCase()}.sasl.jaas.config`]:
        jaas,
      'ssl.keystore.type': 'PKCS12',
      'ssl.keystore.location': keystore,
      'ssl.keystore.password': storePassword,
      'ssl.key.password': storePassword,
      'ssl.truststore.type': 'PKCS12',
      'ssl.truststore.location': truststore,
      'ssl.truststore.password': storePassword,
      'ssl.endpoint.identification.algorithm': 'https',
      // On a SASL_SSL listener Kafka applies ssl.client.auth only with the listener prefix.
      ...(client
        ? { 'listener.name.sasl_ssl.ssl.client.auth': 'required' }
        : {}),
    },
    formatArgs: Object.entries(users).flatMap(([name, password]) => [
      '--add-scram',
      `${mechanism}=[name=${name},password=${password}]`,
    ]),
  };
}
