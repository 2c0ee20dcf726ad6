// @ts-check
/**
 * What bench/run.mjs (ClusterLite) and bench/original.mjs (the original Go ClusterLite) share:
 * progress lines, percentiles, memory and CPU readings, waiting for a URL, and autocannon loads.
 */
import autocannon from 'autocannon';
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';

// ---------------------------------------------------------------------------------------------
// Progress output
// ---------------------------------------------------------------------------------------------

const T0 = performance.now();
let progressLabel = 'bench';
/** Names the script in progress lines. @param {string} label */
export function setProgressLabel(label) {
  progressLabel = label;
}
/** Seconds since this script started. */
export function elapsedSeconds() {
  return (performance.now() - T0) / 1000;
}
/** @param {string} message */
export function progress(message) {
  const s = elapsedSeconds().toFixed(1).padStart(6);
  process.stdout.write(`[${progressLabel} ${s}s] ${message}\n`);
}

/** @param {number} ms */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** @param {number} x @param {number} [digits] */
export const round = (x, digits = 1) =>
  Number.isFinite(x) ? Number(x.toFixed(digits)) : x;
/** @param {number} n */
export const fmtInt = (n) => Math.round(n).toLocaleString('en-US');

/**
 * Percentiles of a list of numbers (nearest rank).
 * @param {number[]} values
 */
export function stats(values) {
  if (values.length === 0)
    return { count: 0, p50: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN };
  const sorted = Float64Array.from(values).sort();
  const at = (/** @type {number} */ p) =>
    sorted[
      Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))
    ];
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    p50: round(at(0.5), 2),
    p90: round(at(0.9), 2),
    p99: round(at(0.99), 2),
    max: round(sorted[sorted.length - 1], 2),
    mean: round(sum / sorted.length, 2),
  };
}

// ---------------------------------------------------------------------------------------------
// Process helpers: memory, spawned nodes
// ---------------------------------------------------------------------------------------------

/** Resident set size of a process in MiB (from /proc), or NaN. @param {number | undefined} pid */
export function rssMiB(pid) {
  if (!pid) return NaN;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(
      readFileSync(`/proc/${pid}/status`, 'utf8'),
    );
    return match ? Number(match[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Resident set size of a process and all its descendants in MiB: a whole node. @param {number | undefined} pid */
export function treeRssMiB(pid) {
  if (!pid) return NaN;
  let sum = rssMiB(pid);
  for (const child of childrenOf(pid)) sum += treeRssMiB(child) || 0;
  return sum;
}

/** @param {number} pid @returns {number[]} */
function childrenOf(pid) {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8')
        .split(' ')
        .filter(Boolean)
        .map(Number),
    );
  } catch {
    return [];
  }
}

/** Samples the RSS of some processes (each with its descendants) every 250 ms and keeps the maximum of each. */
export class RssSampler {
  /** @param {Record<string, number | undefined>} pids */
  constructor(pids) {
    this.pids = pids;
    /** @type {Record<string, number>} */
    this.max = {};
    this.timer = setInterval(() => this.sample(), 250);
    this.sample();
  }
  sample() {
    for (const [name, pid] of Object.entries(this.pids)) {
      const rss = treeRssMiB(pid);
      if (Number.isFinite(rss))
        this.max[name] = Math.max(this.max[name] ?? 0, rss);
    }
  }
  stop() {
    clearInterval(this.timer);
    this.sample();
    return Object.fromEntries(
      Object.entries(this.max).map(([k, v]) => [k, round(v, 1)]),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Other load on the machine: CPU used by processes that are not this benchmark's
// ---------------------------------------------------------------------------------------------

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** Busy and total jiffies of all CPUs (from /proc/stat). */
function machineJiffies() {
  const fields = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const idle = fields[3] + (fields[4] ?? 0);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** CPU jiffies used by this process and every descendant (alive, or exited and reaped). */
function ownJiffies() {
  /** @type {Map<number, number[]>} */
  const parentOf = new Map();
  /** @type {Map<number, number>} */
  const used = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pid = Number(entry);
      const ppid = Number(rest[1]);
      // utime stime cutime cstime: fields 14-17, i.e. rest[11..14]
      used.set(
        pid,
        Number(rest[11]) +
          Number(rest[12]) +
          Number(rest[13]) +
          Number(rest[14]),
      );
      parentOf.set(ppid, [...(parentOf.get(ppid) ?? []), pid]);
    } catch {
      /* gone */
    }
  }
  let sum = 0;
  const stack = [process.pid];
  while (stack.length > 0) {
    const pid = /** @type {number} */ (stack.pop());
    sum += used.get(pid) ?? 0;
    stack.push(...(parentOf.get(pid) ?? []));
  }
  return sum;
}

/** Measures, over a window, how much CPU processes outside this benchmark used. */
export function cpuWindow() {
  const machine = machineJiffies();
  const own = ownJiffies();
  const started = performance.now();
  return () => {
    const m = machineJiffies();
    const o = ownJiffies();
    const seconds = (performance.now() - started) / 1000;
    const cores = os.cpus().length;
    const busy = (m.busy - machine.busy) / CLOCK_TICKS;
    const mine = (o - own) / CLOCK_TICKS;
    return {
      seconds: round(seconds, 1),
      machineBusyPercent: round((busy / (seconds * cores)) * 100, 0),
      otherProcessesPercent: round(
        (Math.max(0, busy - mine) / (seconds * cores)) * 100,
        0,
      ),
    };
  };
}

/**
 * Polls `url` until it answers 200; resolves with the time it did (performance.now()).
 * @param {string} url @param {number} timeoutMs @param {{ readonly running: boolean }} [owner] fails early once it stops running
 */
export async function waitFor200(url, timeoutMs, owner) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (owner && !owner.running)
      throw new Error(`process exited before ${url} answered`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.status === 200) return performance.now();
    } catch {
      /* not yet */
    }
    if (performance.now() > deadline)
      throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await sleep(20);
  }
}

// ---------------------------------------------------------------------------------------------
// Load generation (autocannon), with progress lines and exact latencies
// ---------------------------------------------------------------------------------------------

/**
 * Runs the autocannon instances `launch` starts (passing each to `track`), prints a progress
 * line every 2 s and collects the latency of each 2xx answer (exact, in ms).
 * @param {string} label @param {number} duration seconds
 * @param {(track: (instance: any) => any) => Promise<any[]> | any[]} launch
 */
async function loadWith(label, duration, launch) {
  /** @type {number[]} */
  const latencies = [];
  /** @type {Record<string, number>} */
  const statusCounts = {};
  let window = 0;
  const started = performance.now();
  const ticker = setInterval(() => {
    progress(
      `  ${label}: ${Math.round((performance.now() - started) / 1000)}/${duration} s, ${fmtInt(window / 2)} req/s`,
    );
    window = 0;
  }, 2_000);
  const track = (/** @type {any} */ instance) => {
    instance.on(
      'response',
      (
        /** @type {any} */ _client,
        /** @type {number} */ statusCode,
        /** @type {number} */ _bytes,
        /** @type {number} */ responseTime,
      ) => {
        statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
        window++;
        if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
      },
    );
    return instance;
  };
  const cpu = cpuWindow();
  const ownCpu = process.cpuUsage();
  const results = await Promise.all(await launch(track));
  const generatorCpu = process.cpuUsage(ownCpu);
  // One instance: the time autocannon measured; several started apart: from the first to the last.
  const seconds =
    results.length === 1
      ? results[0].duration
      : (performance.now() - started) / 1000;
  clearInterval(ticker);
  const machine = cpu();
  if (machine.otherProcessesPercent >= 5)
    progress(
      `  !! other processes used ${machine.otherProcessesPercent}% of the machine's CPU during ${label}`,
    );
  const sum = (/** @type {(r: any) => number} */ pick) =>
    results.reduce((total, r) => total + pick(r), 0);
  return {
    machine,
    durationSeconds: round(seconds, 2),
    requests: sum((r) => r.requests.sent),
    ok2xx: latencies.length,
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    statusCounts,
    okPerSecond: round(latencies.length / seconds, 0),
    // autocannon runs in this process: its share of one core, a ceiling of its own on 2 cores.
    loadGeneratorCpuPercent: round(
      ((generatorCpu.user + generatorCpu.system) / 1e6 / seconds) * 100,
      0,
    ),
    latencyMs: stats(latencies),
  };
}

/**
 * Runs autocannon as configured (fixed connections for a fixed time).
 * @param {string} label @param {{ url: string, duration: number, connections?: number } & Record<string, unknown>} options autocannon's options
 */
export function load(label, options) {
  return loadWith(label, options.duration, (track) => [
    track(autocannon({ ...options, excludeErrorStats: true })),
  ]);
}

/**
 * A fixed, evenly paced rate of requests. autocannon's own rate limit (`overallRate`) lets each
 * connection send its whole quota for a second at once, then wait for the next second: a burst
 * at the start of every second, not a fixed rate. Instead, run `clients` autocannon instances of
 * one connection and `rate / clients` requests per second each, started `1000 / clients` ms apart.
 * @param {string} label
 * @param {{ url: string, rate: number, clients: number, duration: number, requests: any[] }} options
 */
export function pacedLoad(label, { url, rate, clients, duration, requests }) {
  return loadWith(label, duration, async (track) => {
    const runs = [];
    for (let i = 0; i < clients; i++) {
      runs.push(
        track(
          autocannon({
            url,
            connections: 1,
            connectionRate: rate / clients,
            duration,
            requests,
            excludeErrorStats: true,
          }),
        ),
      );
      await sleep(1000 / clients);
    }
    return runs;
  });
}

/**
 * GET /users/{id} over `ids`, a stride of 7919 apart (not the order they were written in): the
 * one read load of ClusterLite's scenario, its ceilings and the original, so all read the same.
 * @param {string[]} ids
 */
export function readByIdRequest(ids) {
  let pick = 0;
  return {
    method: /** @type {const} */ ('GET'),
    setupRequest: (/** @type {any} */ request) => ({
      ...request,
      path: `/users/${ids[(pick = (pick + 7919) % ids.length)]}`,
    }),
  };
}

/**
 * POST /users with a new name and email each time; `onAccepted` gets each 202's body.
 * @param {string} tag makes the emails unique across runs against one database
 * @param {(answer: { id: string, position: string }) => void} [onAccepted]
 */
export function createUserRequest(tag, onAccepted) {
  let seq = 0;
  return {
    method: /** @type {const} */ ('POST'),
    path: '/users',
    headers: { 'content-type': 'application/json' },
    setupRequest: (/** @type {any} */ request) => {
      const i = seq++;
      return {
        ...request,
        body: JSON.stringify({
          name: `Bench User ${i}`,
          email: `user-${tag}${i}@bench.example`,
        }),
      };
    },
    onResponse: (/** @type {number} */ status, /** @type {string} */ body) => {
      if (status === 202 && onAccepted) onAccepted(JSON.parse(body));
    },
  };
}
