import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  copyFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findFreePort } from '../../tools/kafka/broker.mjs';
import {
  mismatches,
  parseCurlOutput,
  walkthroughSteps,
  type CommandStep,
  type Step,
} from './readme-blocks.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** What a newcomer types that the scratch copy has already: Node 24 runs this test; node_modules is linked. */
const ALREADY_DONE = [/^source scripts\/use-node24\.sh$/, /^npm ci$/];
/** The ports the README names, each replaced by a free one so that nothing else is disturbed. */
const README_PORTS = [8082, 8083, 8084, 8085, 9092];
const START_TIMEOUT_MS = 150_000;
const STOP_TIMEOUT_MS = 15_000;
/** A newcomer reads a moment after writing: an eventual read may take that long to show a write. */
const READ_RETRY_MS = 10_000;

/** A long-running command (a node, the broker), as a newcomer leaves one running in a terminal. */
interface Service {
  command: string;
  child: ChildProcess;
  output: string[];
  exited: Promise<void>;
}

const outputOf = (service: Service) => service.output.join('').slice(-4_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Folders of a working tree that a fresh clone does not have. */
const NOT_IN_A_CLONE = new Set([
  '.git',
  'node_modules',
  'dist',
  'data',
  '.cluster',
  'coverage',
  '.test-run',
]);
const JARS = join('tools', 'kafka', 'lib');

/**
 * The files a fresh clone of this working tree would have (what git tracks, plus new files
 * not ignored); without git, every file outside the folders a clone lacks. Files only: a
 * linked node_modules or jar folder is linked again, not copied.
 */
function sourceFiles(): string[] {
  try {
    return execFileSync(
      'git',
      ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
      { cwd: REPO },
    )
      .toString()
      .split('\0')
      .filter(
        (file) =>
          file &&
          existsSync(join(REPO, file)) &&
          lstatSync(join(REPO, file)).isFile(),
      );
  } catch {
    return readdirSync(REPO, { recursive: true, withFileTypes: true })
      .filter(
        (entry) =>
          entry.isFile() &&
          !relative(REPO, join(entry.parentPath, entry.name)).startsWith(
            JARS,
          ) &&
          !relative(REPO, join(entry.parentPath, entry.name))
            .split(sep)
            .some((part) => NOT_IN_A_CLONE.has(part)),
      )
      .map((entry) => relative(REPO, join(entry.parentPath, entry.name)));
  }
}

/**
 * Follows the README in a scratch copy of this working tree, block by marked block: it types
 * the commands (the README's ports swapped for free ones), writes the files it shows, and
 * compares every answer with the one the README prints under the command.
 */
describe('The README, followed as a newcomer does', () => {
  let scratch: string;
  const ports = new Map<number, number>();
  /** Long-running commands by the port they listen on (a second `npm start` replaces the first). */
  const services = new Map<number, Service>();
  let lastCreatedId: string | undefined;

  const env = (): NodeJS.ProcessEnv => {
    const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    // The newcomer's shell has none of the test run's settings.
    for (const name of [
      'KAFKA_BROKERS',
      'PORT',
      'DB_PATH',
      'NODE_ID',
      'LOG_LEVEL',
      'FORCE_COLOR',
    ])
      delete base[name];
    return base;
  };

  const localise = (command: string) =>
    command
      .replace(/\s+#\s.*$/, '')
      .replace(/\b(8082|8083|8084|8085|9092)\b/g, (port) =>
        String(ports.get(Number(port))),
      );

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'clusterlite-walkthrough-'));
    const files = sourceFiles();
    for (const file of files) {
      mkdirSync(dirname(join(scratch, file)), { recursive: true });
      copyFileSync(join(REPO, file), join(scratch, file));
    }
    symlinkSync(join(REPO, 'node_modules'), join(scratch, 'node_modules'));
    const jars = join(REPO, JARS);
    if (existsSync(jars)) symlinkSync(jars, join(scratch, JARS));
    for (const port of README_PORTS) {
      let free: number;
      do free = await findFreePort();
      while ([...ports.values()].includes(free));
      ports.set(port, free);
    }
  });

  afterAll(async () => {
    await Promise.all([...services.values()].map(stop));
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  async function stop(service: Service): Promise<void> {
    const pid = service.child.pid;
    if (pid === undefined || service.child.exitCode !== null) return;
    const signal = (name: NodeJS.Signals) => {
      try {
        process.kill(-pid, name);
      } catch {
        // already gone
      }
    };
    signal('SIGTERM');
    const timer = setTimeout(() => signal('SIGKILL'), STOP_TIMEOUT_MS);
    await service.exited;
    clearTimeout(timer);
  }

  /** Starts a command that keeps running, like a newcomer's second terminal; resolves once it serves. */
  async function startService(step: CommandStep, command: string) {
    const kafka = /^npm run kafka$/.test(command);
    const ownPort = /\bPORT=(\d+)/.exec(command)?.[1];
    const port = kafka ? ports.get(9092)! : Number(ownPort ?? ports.get(8082));
    const running = services.get(port);
    if (running) await stop(running); // Ctrl-C in that terminal
    const line = kafka ? `${command} -- --port ${port}` : command;
    const child = spawn('bash', ['-c', line], {
      cwd: scratch,
      env: { ...env(), ...(ownPort || kafka ? {} : { PORT: String(port) }) },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service: Service = {
      command: line,
      child,
      output: [],
      exited: new Promise((resolveExit) =>
        child.once('exit', () => resolveExit()),
      ),
    };
    child.stdout?.on('data', (chunk: Buffer) =>
      service.output.push(chunk.toString()),
    );
    child.stderr?.on('data', (chunk: Buffer) =>
      service.output.push(chunk.toString()),
    );
    services.set(port, service);
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(
          `README line ${step.line}: \`${line}\` exited (${child.exitCode}) instead of serving:\n${outputOf(service)}`,
        );
      if (
        kafka
          ? outputOf(service).includes('Kafka broker ready at')
          : await ready(port)
      )
        return;
      if (Date.now() > deadline)
        throw new Error(
          `README line ${step.line}: \`${line}\` did not serve within ${START_TIMEOUT_MS / 1000} s:\n${outputOf(service)}`,
        );
      await sleep(500);
    }
  }

  async function ready(port: number): Promise<boolean> {
    try {
      const response = await fetch(
        `http://127.0.0.1:${port}/_cluster/health/ready`,
        {
          signal: AbortSignal.timeout(2_000),
        },
      );
      await response.arrayBuffer();
      return response.status === 200;
    } catch {
      return false;
    }
  }

  function runToEnd(
    command: string,
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolveRun, reject) => {
      const child = spawn('bash', ['-c', command], {
        cwd: scratch,
        env: env(),
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolveRun({ code, stdout, stderr }));
    });
  }

  async function runCommand(step: CommandStep) {
    let command = localise(step.command);
    if (ALREADY_DONE.some((done) => done.test(command))) return;
    if (command.includes('<id>')) {
      if (!lastCreatedId)
        throw new Error(`README line ${step.line}: <id> before any create`);
      command = command.replaceAll('<id>', lastCreatedId);
    }
    if (/(^|\s)npm (start|run start:prod|run kafka)$/.test(command)) {
      await startService(step, command);
      return;
    }
    const isRead = !/\s-X\s+(POST|PUT|PATCH|DELETE)\b/.test(command);
    const deadline = Date.now() + (isRead ? READ_RETRY_MS : 0);
    for (;;) {
      const { code, stdout, stderr } = await runToEnd(command);
      const answer = parseCurlOutput(stdout);
      const wrong =
        code === 0
          ? mismatches(step.expected, answer)
          : [`exit code ${code}: ${stderr}`];
      if (wrong.length === 0) {
        if (/\s-X\s+POST\b/.test(command)) {
          try {
            lastCreatedId = (JSON.parse(answer.body) as { id?: string }).id;
          } catch {
            // not a create answer
          }
        }
        return;
      }
      if (Date.now() > deadline) {
        expect
          .soft(
            wrong,
            `README line ${step.line}: ${step.command}\nanswered:\n${stdout}`,
          )
          .toEqual([]);
        throw new Error(
          `README line ${step.line}: the answer differs from the README`,
        );
      }
      await sleep(250);
    }
  }

  async function run(step: Step) {
    if (step.kind === 'file') {
      mkdirSync(dirname(join(scratch, step.path)), { recursive: true });
      writeFileSync(join(scratch, step.path), step.content);
      return;
    }
    await runCommand(step);
  }

  it('runs every marked block in order, and every answer is the one the README shows', async () => {
    const steps = walkthroughSteps(
      readFileSync(join(REPO, 'README.md'), 'utf8'),
    );
    const commands = steps.filter((step) => step.kind === 'command');
    expect(
      commands.filter((step) => step.expected.length > 0).length,
    ).toBeGreaterThanOrEqual(8);
    expect(
      steps.filter((step) => step.kind === 'file').map((step) => step.path),
    ).toEqual([
      'apps/node/src/entities/order.entity.ts',
      'apps/node/src/entities/index.ts',
    ]);
    for (const step of steps) await run(step);
  });
});
