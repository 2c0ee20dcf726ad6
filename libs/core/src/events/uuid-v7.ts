import { randomFillSync } from 'node:crypto';

/** Random bytes drawn from the system at a time: one call per 256 ids instead of one per id. */
const POOL_BYTES = 16 * 256;
const pool = Buffer.alloc(POOL_BYTES);
let used = POOL_BYTES;

const HEX = Array.from({ length: 256 }, (_, byte) =>
  byte.toString(16).padStart(2, '0'),
);

/** The id being made (reused: read into the string before the next call). */
const bytes = new Uint8Array(16);

/** Last timestamp used and the 31-bit counter within it (as the `uuid` package's v7). */
let lastMs = -Infinity;
let sequence = 0;

/**
 * A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then a counter that starts random each
 * millisecond and counts up within it, then random bits. Ids made by one process are strictly
 * increasing, as with `v7()` of the `uuid` package, whose layout this follows; only the source
 * of the random bytes differs (a pooled `randomFillSync` instead of `getRandomValues` per id).
 */
export function uuidV7(): string {
  if (used === POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const offset = used;
  used += 16;
  const random = pool;
  const now = Date.now();
  if (now > lastMs) {
    sequence =
      ((random[offset + 6] & 0x7f) << 24) |
      (random[offset + 7] << 16) |
      (random[offset + 8] << 8) |
      random[offset + 9];
    lastMs = now;
  } else {
    sequence = (sequence + 1) | 0;
    if (sequence === 0) lastMs++;
  }
  const ms = lastMs;
  const b = bytes;
  b[0] = (ms / 0x10000000000) & 0xff;
  b[1] = (ms / 0x100000000) & 0xff;
  b[2] = (ms / 0x1000000) & 0xff;
  b[3] = (ms / 0x10000) & 0xff;
  b[4] = (ms / 0x100) & 0xff;
  b[5] = ms & 0xff;
  b[6] = 0x70 | ((sequence >>> 28) & 0x0f);
  b[7] = (sequence >>> 20) & 0xff;
  b[8] = 0x80 | ((sequence >>> 14) & 0x3f);
  b[9] = (sequence >>> 6) & 0xff;
  b[10] = ((sequence << 2) & 0xff) | (random[offset + 10] & 0x03);
  for (let index = 11; index < 16; index++) b[index] = random[offset + index];
  return (
    HEX[b[0]] +
    HEX[b[1]] +
    HEX[b[2]] +
    HEX[b[3]] +
    '-' +
    HEX[b[4]] +
    HEX[b[5]] +
    '-' +
    HEX[b[6]] +
    HEX[b[7]] +
    '-' +
    HEX[b[8]] +
    HEX[b[9]] +
    '-' +
    HEX[b[10]] +
    HEX[b[11]] +
    HEX[b[12]] +
    HEX[b[13]] +
    HEX[b[14]] +
    HEX[b[15]]
  );
}
