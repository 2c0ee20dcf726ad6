// @ts-check
/** The machine and the versions a benchmark ran on, for its report. */
import sqlite3 from 'sqlite3';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, findNginx } from '../tools/supervisor/cluster.mjs';
import { KAFKA_LIB_DIR } from '../tools/kafka/broker.mjs';
import { round } from './lib.mjs';

// ---------------------------------------------------------------------------------------------
// Environment facts for the report
// ---------------------------------------------------------------------------------------------

/**
 * What a command prints: its standard output, or its standard error when that is where it
 * writes (`java -version`, `nginx -v`); null if it cannot run.
 * @param {string} cmd @param {string[]} argv
 */
function tryRun(cmd, argv) {
  const run = spawnSync(cmd, argv, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (run.error) return null;
  return (
    run.stdout.trim() || run.stderr.trim() || (run.status === 0 ? '' : null)
  );
}

/** @param {string} name */
function packageVersion(name) {
  try {
    return JSON.parse(
      readFileSync(
        join(REPO_ROOT, 'node_modules', name, 'package.json'),
        'utf8',
      ),
    ).version;
  } catch {
    return null;
  }
}

export function environment() {
  const kafkaJar = readdirSync(KAFKA_LIB_DIR).find((f) =>
    /^kafka_2\.13-[\d.]+\.jar$/.test(f),
  );
  const nginx = findNginx();
  // Earlier results in bench/results do not make the code differ from the commit.
  const dirty = tryRun('git', [
    'status',
    '--porcelain',
    '--untracked-files=no',
    '--',
    '.',
    ':(exclude)bench/results',
  ]);
  return {
    commit: tryRun('git', ['rev-parse', 'HEAD']),
    commitShort: tryRun('git', ['rev-parse', '--short', 'HEAD']),
    workingTreeChanged: Boolean(dirty),
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? null,
      memoryGiB: round(os.totalmem() / 1024 ** 3, 1),
      os: `${os.type()} ${os.release()} ${os.arch()}`,
    },
    versions: {
      node: process.version,
      kafkaBroker: kafkaJar
        ? kafkaJar.replace(/^kafka_2\.13-/, '').replace(/\.jar$/, '')
        : null,
      java: (tryRun('java', ['-version']) ?? '').split('\n')[0] || null,
      kafkajs: packageVersion('kafkajs'),
      nodeSqlite: process.versions.sqlite ?? null,
      sqlite3: packageVersion('sqlite3'),
      sqlite:
        /** @type {{ VERSION?: string }} */ (/** @type {unknown} */ (sqlite3))
          .VERSION ?? null,
      nestCore: packageVersion('@nestjs/core'),
      typeorm: packageVersion('typeorm'),
      nginx: nginx
        ? (tryRun(nginx, ['-v']) ?? '').replace(
            /^nginx version: (nginx\/)?/,
            '',
          )
        : null,
      autocannon: packageVersion('autocannon'),
    },
  };
}
