import { LogStops } from '@clusterlite/core';
import { AppliedPositions } from './applied-positions.js';
import type { LogIdentity } from './log-identity.js';
import { messageFingerprint } from './log-gaps.js';
import { ResumeGuard } from './resume-guard.js';

const TOPIC = 'clusterlite.users';
const message = (offset: number, value = `event-${offset}`) => ({
  offset: String(offset),
  value: Buffer.from(value),
});

function guardAt(applied: number | null) {
  const positions = new AppliedPositions();
  if (applied !== null)
    positions.advance(
      TOPIC,
      0,
      BigInt(applied),
      messageFingerprint(Buffer.from(`event-${applied}`)),
    );
  const stops = new LogStops();
  const guard = new ResumeGuard({} as LogIdentity, stops, positions);
  return { guard, stops, positions };
}

describe(ResumeGuard.name, () => {
  it('resumes at the applied offset, to see its message again, and applies once it matches', () => {
    const { guard, positions } = guardAt(4);
    expect(guard.resumeAt(TOPIC, 0, { low: 0n, high: 9n })).toBe(4n);
    expect(guard.admit(TOPIC, 0, [message(4), message(5)])).toEqual({
      kind: 'apply',
    });
    positions.advance(TOPIC, 0, 5n, messageFingerprint(message(5).value));
    expect(guard.admit(TOPIC, 0, [message(6)])).toEqual({ kind: 'apply' });
  });

  it('sends a batch fetched from elsewhere back once, then stops the topic', () => {
    const { guard, stops } = guardAt(4);
    guard.resumeAt(TOPIC, 0, null);
    expect(guard.admit(TOPIC, 0, [message(7)])).toEqual({
      kind: 'seek',
      offset: 4n,
    });
    expect(guard.admit(TOPIC, 0, [message(7)])).toEqual({ kind: 'hold' });
    expect(stops.reasonFor(TOPIC)).toMatch(/no longer on the log/);
  });

  it('stops a re-created topic and holds every later batch', () => {
    const { guard, stops } = guardAt(4);
    guard.resumeAt(TOPIC, 0, { low: 0n, high: 9n });
    expect(guard.admit(TOPIC, 0, [message(4, 'another event')])).toEqual({
      kind: 'hold',
    });
    expect(stops.reasonFor(TOPIC)).toMatch(/re-created/);
    expect(guard.admit(TOPIC, 0, [message(5)])).toEqual({ kind: 'hold' });
    expect(stops.reasonFor('clusterlite.products')).toBeNull();
  });

  it('does not resume a partition whose next event was removed, nor one beyond the log end', () => {
    expect(guardAt(4).guard.resumeAt(TOPIC, 0, { low: 6n, high: 9n })).toBe(
      null,
    );
    const { guard, stops } = guardAt(4);
    expect(guard.resumeAt(TOPIC, 0, { low: 0n, high: 2n })).toBeNull();
    expect(stops.reasonFor(TOPIC)).toMatch(/beyond the log end/);
  });

  it('starts a new node at offset 0 unless the log lost its beginning', () => {
    expect(guardAt(null).guard.resumeAt(TOPIC, 0, { low: 0n, high: 3n })).toBe(
      0n,
    );
    expect(
      guardAt(null).guard.resumeAt(TOPIC, 0, { low: 3n, high: 9n }),
    ).toBeNull();
  });
});
