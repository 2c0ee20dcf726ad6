import { LogPosition, PositionWaitTimeoutError } from '@clusterlite/core';
import { AppliedPositions } from './applied-positions.js';

const at = (offset: number) =>
  new LogPosition('clusterlite.users', 0, BigInt(offset));

describe(AppliedPositions.name, () => {
  it('resolves a wait at once when the position is already applied', async () => {
    const positions = new AppliedPositions();
    positions.advance('clusterlite.users', 0, 5n);
    await expect(positions.waitFor(at(5), 10)).resolves.toBeUndefined();
  });

  it('resolves a wait when the position is reached later', async () => {
    const positions = new AppliedPositions();
    const waiting = positions.waitFor(at(3), 1_000);
    positions.advance('clusterlite.users', 0, 2n);
    positions.advance('clusterlite.users', 0, 3n);
    await expect(waiting).resolves.toBeUndefined();
  });

  it('rejects with a timeout error naming the position', async () => {
    const positions = new AppliedPositions();
    await expect(positions.waitFor(at(1), 20)).rejects.toBeInstanceOf(
      PositionWaitTimeoutError,
    );
  });

  it('never moves backwards', () => {
    const positions = new AppliedPositions();
    positions.advance('clusterlite.users', 0, 9n);
    positions.advance('clusterlite.users', 0, 4n);
    expect(positions.get('clusterlite.users', 0)).toBe(9n);
  });

  it('ends a linger as soon as a reader waits for a position of its partition, and not for another', async () => {
    vi.useFakeTimers();
    try {
      const positions = new AppliedPositions();
      let ended = false;
      void positions
        .lingerUnlessAwaited('clusterlite.users', 0, 10)
        .then(() => (ended = true));
      // A wait on another partition, or for a position already applied, does not end it.
      positions.advance('clusterlite.users', 0, 4n);
      void positions
        .waitFor(new LogPosition('clusterlite.users', 1, 0n), 1_000)
        .catch(() => undefined);
      await positions.waitFor(at(4), 1_000);
      await vi.advanceTimersByTimeAsync(5);
      expect(ended).toBe(false);
      const waiting = positions.waitFor(at(5), 1_000);
      await vi.advanceTimersByTimeAsync(0);
      expect(ended).toBe(true);
      // While that reader waits, a linger ends at once; once it is served, lingers last again.
      await expect(
        positions.lingerUnlessAwaited('clusterlite.users', 0, 10),
      ).resolves.toBeUndefined();
      positions.advance('clusterlite.users', 0, 5n);
      await waiting;
      let again = false;
      void positions
        .lingerUnlessAwaited('clusterlite.users', 0, 10)
        .then(() => (again = true));
      await vi.advanceTimersByTimeAsync(9);
      expect(again).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(again).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
