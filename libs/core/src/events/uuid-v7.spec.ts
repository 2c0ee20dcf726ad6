import { validate, version } from 'uuid';
import { uuidV7 } from './uuid-v7.js';

describe(uuidV7.name, () => {
  it('makes valid version-7 UUIDs, strictly increasing, with the current time', () => {
    const before = Date.now();
    const ids = Array.from({ length: 5_000 }, () => uuidV7());
    const after = Date.now();
    for (const id of ids) {
      expect(validate(id)).toBe(true);
      expect(version(id)).toBe(7);
      expect(id[19]).toMatch(/[89ab]/);
    }
    for (let index = 1; index < ids.length; index++)
      expect(ids[index] > ids[index - 1]).toBe(true);
    const ms = parseInt(ids[0].replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after + 1);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
