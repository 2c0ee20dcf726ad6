import { StorageRetry } from './storage-retry.js';

function sqliteError(code: string): Error {
  return Object.assign(new Error(`${code}: failed`), { code });
}

describe(StorageRetry.name, () => {
  it('retries a fault of the environment until it clears, reporting it meanwhile', async () => {
    const retry = new StorageRetry();
    let calls = 0;
    const seen: (string | null)[] = [];
    const result = await retry.run('members:0', async () => {
      seen.push(retry.fault?.reason ?? null);
      if (++calls < 4) throw sqliteError('SQLITE_BUSY');
      return 'applied';
    });
    expect(result).toBe('applied');
    expect(calls).toBe(4);
    expect(seen).toEqual([
      null,
      'SQLITE_BUSY: failed',
      'SQLITE_BUSY: failed',
      'SQLITE_BUSY: failed',
    ]);
    expect(retry.fault).toBeNull();
  });

  it('hands any other error back at once: the event decides it', async () => {
    const retry = new StorageRetry();
    let calls = 0;
    await expect(
      retry.run('members:0', async () => {
        calls++;
        throw sqliteError('SQLITE_CONSTRAINT');
      }),
    ).rejects.toThrow('SQLITE_CONSTRAINT');
    expect(calls).toBe(1);
    expect(retry.fault).toBeNull();
  });

  it('stops retrying when told to, keeping the fault reported', async () => {
    const retry = new StorageRetry();
    let calls = 0;
    await expect(
      retry.run(
        'members:0',
        async () => {
          calls++;
          throw sqliteError('SQLITE_IOERR');
        },
        { keepGoing: () => calls < 2 },
      ),
    ).rejects.toThrow('SQLITE_IOERR');
    expect(calls).toBe(2);
    expect(retry.fault).toMatchObject({
      work: 'members:0',
      attempts: 1,
      reason: 'SQLITE_IOERR: failed',
    });
  });
});
