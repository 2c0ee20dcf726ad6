import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { releaseMemoryNow } from './release-startup-memory.js';

describe('releaseMemoryNow', () => {
  it('runs a full collection on this Node.js and leaves gc() unexposed to later contexts', () => {
    expect(releaseMemoryNow()).toBe(true);
    expect(runInNewContext('typeof gc')).toBe('undefined');
  });
});
