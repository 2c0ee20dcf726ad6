import { ApiKeyStore, parseApiKeys, roleIncludes } from './api-keys.js';

const token = (name: string) => `${name}-0123456789abcdef`;

describe(ApiKeyStore.name, () => {
  const { keys } = parseApiKeys(
    `read:${token('r')},write:${token('w')},admin:${token('a')}`,
    'API_KEYS',
  );
  const store = new ApiKeyStore(keys);

  it('finds the role of each key', () => {
    expect(store.roleOf(token('r'))).toBe('read');
    expect(store.roleOf(token('w'))).toBe('write');
    expect(store.roleOf(token('a'))).toBe('admin');
  });

  it('knows no other token, not even a prefix or an extension of a key', () => {
    expect(store.roleOf(token('x'))).toBeNull();
    expect(store.roleOf(token('r').slice(0, -1))).toBeNull();
    expect(store.roleOf(`${token('r')}0`)).toBeNull();
    expect(store.roleOf('')).toBeNull();
  });

  it('is disabled without keys', () => {
    expect(new ApiKeyStore(new Map()).enabled).toBe(false);
    expect(store.enabled).toBe(true);
  });
});

describe(parseApiKeys.name, () => {
  it('reads a file: one entry a line, comments and blank lines skipped', () => {
    const { keys, problems } = parseApiKeys(
      `# keys\nread:${token('r')}\n\nadmin:${token('a')}\n`,
      'API_KEYS_FILE',
    );
    expect(problems).toEqual([]);
    expect([...keys.values()]).toEqual(['read', 'admin']);
  });

  it.each([
    [`owner:${token('o')}`, /API_KEYS entry 1 must be read:<token>/],
    ['read:short', /API_KEYS entry 1: a token is 16-512 characters/],
    [`read:${token('r')}!`, /16-512 characters/],
    [`read:${token('r')},admin:${token('r')}`, /entry 2: the same token/],
    ['', /API_KEYS lists no key/],
  ])('refuses %j, naming the variable and never the token', (text, message) => {
    const { problems } = parseApiKeys(text, 'API_KEYS');
    expect(problems.join('\n')).toMatch(message);
    expect(problems.join('\n')).not.toContain('0123456789abcdef');
  });
});

describe(roleIncludes.name, () => {
  it('orders the roles read < write < admin', () => {
    expect(roleIncludes('admin', 'write')).toBe(true);
    expect(roleIncludes('write', 'read')).toBe(true);
    expect(roleIncludes('write', 'admin')).toBe(false);
    expect(roleIncludes('read', 'write')).toBe(false);
  });
});
