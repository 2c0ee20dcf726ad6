import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findFreePort } from '../../tools/kafka/broker.mjs';
import { eventually } from '../support/eventually.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Pids of the processes whose command line mentions `text` (from /proc, like `pgrep -f`). */
function pidsMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.replaceAll('\0', ' ').includes(text))
        pids.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

/** Does the process run (and is not a zombie waiting for its parent)? */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen({ port, exclusive: true }, () =>
      server.close(() => done(true)),
    );
  });
}

/** A port P with P+1 .. P+nodes free too (the CLI's nodes use them). */
async function portRun(nodes: number): Promise<number> {
  for (;;) {
    const port = await findFreePort();
    if (port + nodes > 65535) continue;
    let free = true;
    for (let i = 1; i <= nodes && free; i++) free = await portFree(port + i);
    if (free) return port;
  }
}

/** Collects a child's stdout and stderr; resolves `until` once the text matches. */
function output(child: ChildProcess) {
  let text = '';
  child.stdout?.on('data', (d) => (text += String(d)));
  child.stderr?.on('data', (d) => (text += String(d)));
  return {
    text: () => text,
    until: (pattern: RegExp, timeoutMs: number) =>
      eventually(
        async () => {
          if (!pattern.test(text))
            throw new Error(`no ${pattern} in:\n${text}`);
        },
        timeoutMs,
        200,
      ),
  };
}

function exitOf(child: ChildProcess) {
  return new Promise<{ code: number | null; signal: string | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
}

describe('The process supervisor (tools/supervisor)', () => {
  it('npm run cluster: Ctrl-C (SIGINT) stops nginx, every node and the broker, and leaves no process behind', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'clusterlite-supervisor-'));
    const port = await portRun(2);
    const kafkaPort = await findFreePort();
    const env = { ...process.env };
    delete env.KAFKA_BROKERS;
    const cli = spawn(
      process.execPath,
      [
        'scripts/cluster.mjs',
        '--port',
        String(port),
        '--nodes',
        '2',
        '--kafka-port',
        String(kafkaPort),
        '--data-dir',
        dataDir,
        '--open',
      ],
      { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = exitOf(cli);
    const out = output(cli);
    try {
      await out.until(/ClusterLite is up: 2 node\(s\)/, 180_000);
      const nodePids = [
        ...out.text().matchAll(/ready at \S+ \(pid (\d+),/g),
      ].map((m) => Number(m[1]));
      expect(nodePids).toHaveLength(2);
      // The broker (java) and nginx (master and worker) name the data dir in their command lines.
      const others = pidsMentioning(dataDir);
      expect(others.length).toBeGreaterThanOrEqual(3);
      const watchdogs = pidsMentioning(`clusterlite-watchdog ${cli.pid} `);
      expect(watchdogs.length).toBe(4); // broker, two nodes, nginx
      const response = await fetch(`http://127.0.0.1:${port}/users`);
      expect(response.status).toBe(200);

      cli.kill('SIGINT');
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(out.text()).toContain('Cluster stopped.');
      await eventually(async () => {
        const left = [...nodePids, ...others, ...watchdogs].filter(alive);
        expect(left).toEqual([]);
      }, 20_000);
      expect(pidsMentioning(dataDir)).toEqual([]);
    } finally {
      cli.kill('SIGKILL');
    }
  });

  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    it(`a program killed with ${signal} takes its supervised node with it`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'clusterlite-supervised-'));
      const port = await findFreePort();
      const program = spawn(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `import { SupervisedNode } from ${JSON.stringify(join(ROOT, 'tools/supervisor/node.mjs'))};
           const node = new SupervisedNode({ nodeId: 'orphan', port: ${port},
             dbPath: ${JSON.stringify(join(dir, 'orphan.sqlite'))}, logFile: ${JSON.stringify(join(dir, 'node.log'))},
             env: { KAFKA_BROKERS: '', API_KEYS: '', LOG_LEVEL: 'warn' } });
           await node.start('live');
           console.log('node pid ' + node.pid);
           setInterval(() => {}, 1 << 30);`,
        ],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const exited = exitOf(program);
      const out = output(program);
      try {
        await out.until(/node pid \d+/, 90_000);
        const nodePid = Number(/node pid (\d+)/.exec(out.text())?.[1]);
        expect(alive(nodePid)).toBe(true);
        expect(
          (await fetch(`http://127.0.0.1:${port}/_cluster/health/live`)).status,
        ).toBe(200);

        program.kill(signal);
        expect((await exited).signal).toBe(signal);
        await eventually(async () => {
          expect(alive(nodePid)).toBe(false);
        }, 20_000);
        await expect(
          fetch(`http://127.0.0.1:${port}/_cluster/health/live`),
        ).rejects.toThrow();
      } finally {
        program.kill('SIGKILL');
      }
    });
  }
});
