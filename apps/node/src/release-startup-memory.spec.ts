import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { releaseStartupMemory } from './release-startup-memory.js';

describe('releaseStartupMemory', () => {
  it('runs a full collection on this Node.js and leaves gc() unexposed to later contexts', () => {
    expect(releaseStartupMemory()).toBe(true);
    expect(runInNewContext('typeof gc')).toBe('undefined');
  });
});
