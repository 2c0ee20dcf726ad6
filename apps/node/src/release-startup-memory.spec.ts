import { setTimeout as sleep } from 'node:timers/promises';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import {
  releaseMemoryNow,
  releaseStartupMemory,
} from './release-startup-memory.js';

/** Keeps the event loop busy (a spin of 40 ms every 45 ms) until `ms` have passed. */
async function busyFor(ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const spinUntil = Date.now() + 40;
    while (Date.now() < spinUntil);
    await sleep(5);
  }
}

describe('releaseMemoryNow', () => {
  it('runs a full collection on this Node.js and leaves gc() unexposed to later contexts', () => {
    expect(releaseMemoryNow()).toBe(true);
    expect(runInNewContext('typeof gc')).toBe('undefined');
  });
});

describe('releaseStartupMemory', () => {
  it('releases once, after the delay, on a quiet node', async () => {
    const releases: number[] = [];
    const started = Date.now();
    releaseStartupMemory(100, 5, () => releases.push(Date.now() - started));
    await sleep(50);
    expect(releases).toEqual([]);
    await sleep(400);
    expect(releases).toHaveLength(1);
    expect(releases[0]).toBeGreaterThanOrEqual(95);
  });

  it('waits while the node is busy (catching up, serving) and releases in the first quiet interval', async () => {
    let releasedAt: number | null = null;
    const started = Date.now();
    releaseStartupMemory(100, 50, () => (releasedAt = Date.now() - started));
    await busyFor(600);
    expect(releasedAt).toBeNull();
    await sleep(400);
    expect(releasedAt).toBeGreaterThanOrEqual(600);
  });

  it('gives up on a node busy for all of its tries', async () => {
    let released = false;
    releaseStartupMemory(100, 3, () => (released = true));
    await busyFor(600);
    await sleep(300);
    expect(released).toBe(false);
  });
});
