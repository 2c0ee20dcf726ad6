import { createHash, timingSafeEqual } from 'node:crypto';

/** What a key may do; each role includes the ones before it. */
export const ROLES = ['read', 'write', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const TOKEN = /^[A-Za-z0-9._~-]{16,512}$/;

/** True when `role` includes `required` (admin ⊃ write ⊃ read). */
export function roleIncludes(role: Role, required: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(required);
}

/**
 * Parses `role:token` entries separated by commas or new lines (blank lines and
 * `#` comments skipped, for a file). Problems name the variable and the entry
 * number, never the token: the message ends up in logs.
 */
export function parseApiKeys(
  text: string,
  variable: string,
): { keys: Map<string, Role>; problems: string[] } {
  const keys = new Map<string, Role>();
  const problems: string[] = [];
  const entries = text
    .split(/[,\n]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '' && !entry.startsWith('#'));
  entries.forEach((entry, index) => {
    const at = `${variable} entry ${index + 1}`;
    const colon = entry.indexOf(':');
    const role = entry.slice(0, colon).trim();
    const token = entry.slice(colon + 1).trim();
    if (colon < 0 || !(ROLES as readonly string[]).includes(role)) {
      problems.push(
        `${at} must be read:<token>, write:<token> or admin:<token>`,
      );
    } else if (!TOKEN.test(token)) {
      problems.push(
        `${at}: a token is 16-512 characters from A-Z a-z 0-9 . _ ~ -`,
      );
    } else if (keys.has(token) && keys.get(token) !== role) {
      problems.push(`${at}: the same token is listed with two roles`);
    } else {
      keys.set(token, role as Role);
    }
  });
  if (entries.length === 0) problems.push(`${variable} lists no key`);
  return { keys, problems };
}

/**
 * The keys a node accepts. Tokens are kept as SHA-256 digests and a presented
 * token is compared with every one of them in constant time (equal-length
 * digests, no early exit), so neither the answer time nor its failure tells
 * how much of a token was right.
 */
export class ApiKeyStore {
  private readonly digests: { digest: Buffer; role: Role }[];

  constructor(keys: ReadonlyMap<string, Role>) {
    this.digests = [...keys].map(([token, role]) => ({
      digest: digestOf(token),
      role,
    }));
  }

  /** With no keys the node is open. */
  get enabled(): boolean {
    return this.digests.length > 0;
  }

  get size(): number {
    return this.digests.length;
  }

  /** The role of `token`, or null for a token no key has. */
  roleOf(token: string): Role | null {
    const presented = digestOf(token);
    let found: Role | null = null;
    for (const key of this.digests) {
      if (timingSafeEqual(presented, key.digest)) found = key.role;
    }
    return found;
  }
}

function digestOf(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
