// @ts-check
/**
 * The one way ClusterLite's programs stop and clean up their child processes (broker, nodes,
 * nginx): `supervise` every child once it is spawned, `terminate` it to stop it.
 *
 * - `terminate`: the given signal (SIGTERM), then SIGKILL after STOP_TIMEOUT_MS.
 * - Cleanup when the parent goes away: SIGKILL every supervised child on 'exit'; on SIGINT,
 *   SIGTERM or SIGHUP when the program has no handler of its own (then node would die without
 *   'exit'); and a tiny detached watchdog shell per child for a parent killed without running
 *   any JS (SIGKILL, OOM kill).
 */
import { spawn } from 'node:child_process';

/** SIGTERM, then SIGKILL after this many ms: the one stop timeout for every supervised process. */
export const STOP_TIMEOUT_MS = 15_000;

/** @typedef {import('node:child_process').ChildProcess} ChildProcess */
/** @typedef {{ code: number | null, signal: NodeJS.Signals | null }} ExitInfo */

/** @type {Set<ChildProcess>} */
const live = new Set();
let hooksInstalled = false;

/** @param {ChildProcess} child */
function hasExited(child) {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * Signals a child and, when it leads its own process group (spawned detached), the whole group.
 * @param {ChildProcess} child @param {NodeJS.Signals} signal
 */
export function signalTree(child, signal) {
  if (hasExited(child) || child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* gone */
    }
  }
}

/** SIGKILLs every supervised child that still runs (synchronous: safe in an 'exit' handler). */
export function killAll() {
  for (const child of live) signalTree(child, 'SIGKILL');
  live.clear();
}

/** @param {NodeJS.Signals} signal */
function onFatalSignal(signal) {
  // Only when nobody else handles the signal: a program with its own handler (the cluster
  // command stops everything in order) stays in charge.
  if (process.listenerCount(signal) > 1) return;
  killAll();
  process.removeListener(signal, onFatalSignal);
  process.kill(process.pid, signal);
}

function installHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAll);
  for (const signal of /** @type {NodeJS.Signals[]} */ ([
    'SIGINT',
    'SIGTERM',
    'SIGHUP',
  ]))
    process.on(signal, onFatalSignal);
}

/**
 * Covers the parent dying without running any JS: a detached shell polls both pids and SIGKILLs
 * the child (its group when it leads one) once the parent is gone. It exits with the child.
 * @param {number} pid
 */
function spawnWatchdog(pid) {
  try {
    const script =
      'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; ' +
      'kill -0 "$2" 2>/dev/null && { kill -9 -"$2" 2>/dev/null || kill -9 "$2" 2>/dev/null; }; exit 0';
    const dog = spawn(
      '/bin/sh',
      ['-c', script, 'clusterlite-watchdog', String(process.pid), String(pid)],
      { detached: true, stdio: 'ignore' },
    );
    dog.on('error', () => {});
    dog.unref();
  } catch {
    /* best effort; the exit hook still applies */
  }
}

/**
 * Puts a freshly spawned child under the cleanup above and returns a promise of its exit.
 * @param {ChildProcess} child
 * @returns {Promise<ExitInfo>}
 */
export function supervise(child) {
  /** @type {Promise<ExitInfo>} */
  const exited = new Promise((resolveExit) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolveExit({ code, signal });
    });
    child.once('error', () => {
      live.delete(child);
      if (child.pid === undefined || hasExited(child))
        resolveExit({ code: child.exitCode, signal: child.signalCode });
    });
  });
  if (child.pid !== undefined) {
    live.add(child);
    installHooks();
    spawnWatchdog(child.pid);
  }
  return exited;
}

/**
 * Stops a supervised child: `signal` (default SIGTERM), then SIGKILL after STOP_TIMEOUT_MS.
 * Resolves once it has exited.
 * @param {ChildProcess} child @param {Promise<unknown>} exited from `supervise`
 * @param {NodeJS.Signals} [signal]
 */
export async function terminate(child, exited, signal = 'SIGTERM') {
  if (hasExited(child) || child.pid === undefined) return;
  child.ref();
  signalTree(child, signal);
  const timer = setTimeout(() => signalTree(child, 'SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * A crash: SIGKILL now, resolves once the child has exited.
 * @param {ChildProcess} child @param {Promise<unknown>} exited
 */
export async function killNow(child, exited) {
  if (hasExited(child) || child.pid === undefined) return;
  child.ref();
  signalTree(child, 'SIGKILL');
  await exited;
}
