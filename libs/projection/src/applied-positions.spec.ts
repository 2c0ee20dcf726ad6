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
});
