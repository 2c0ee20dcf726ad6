import { gapAtResume, messageFingerprint, verifyResume } from './log-gaps.js';

const message = (offset: number, value: string) => ({
  offset: String(offset),
  value: Buffer.from(value),
});

describe(gapAtResume.name, () => {
  it('lets a partition resume anywhere from the log start to its end', () => {
    expect(gapAtResume('t:0', null, { low: 0n, high: 0n })).toBeNull();
    expect(gapAtResume('t:0', 4n, { low: 0n, high: 5n })).toBeNull();
    expect(gapAtResume('t:0', 4n, { low: 5n, high: 9n })).toBeNull();
  });

  it('stops a partition whose next offset was removed', () => {
    expect(gapAtResume('t:0', 3n, { low: 5n, high: 9n })).toMatch(
      /below the log start \(5\)/,
    );
    expect(gapAtResume('t:0', null, { low: 2n, high: 9n })).toMatch(
      /offset 0\) is below the log start/,
    );
  });

  it('stops a partition whose stored position is beyond the log end', () => {
    expect(gapAtResume('t:0', 7n, { low: 0n, high: 3n })).toMatch(
      /beyond the log end \(3\)/,
    );
  });
});

describe(verifyResume.name, () => {
  const applied = messageFingerprint(Buffer.from('event-4'));

  it('verifies the message at the applied offset by its fingerprint', () => {
    expect(
      verifyResume('t:0', 4n, applied, [
        message(4, 'event-4'),
        message(5, 'event-5'),
      ]),
    ).toEqual({ kind: 'verified' });
  });

  it('waits when the batch ends before the applied offset', () => {
    expect(
      verifyResume('t:0', 4n, applied, [message(0, 'a'), message(1, 'b')]),
    ).toEqual({ kind: 'pending' });
  });

  it('stops on another message at that offset (a re-created topic)', () => {
    const verdict = verifyResume('t:0', 4n, applied, [message(4, 'other')]);
    expect(verdict.kind).toBe('gap');
    expect((verdict as { reason: string }).reason).toMatch(/re-created/);
  });

  it('stops when the applied offset is gone', () => {
    expect(verifyResume('t:0', 4n, applied, [message(6, 'x')]).kind).toBe(
      'gap',
    );
  });
});
