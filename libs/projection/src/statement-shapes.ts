/**
 * Multi-row statements and IN lists in a few lengths only (powers of two), so the writer's
 * prepared-statement cache keeps them: a length of its own for every batch would prepare,
 * and soon evict, a new statement each time.
 */

/** The largest power of two not above `count` (0 for 0). */
export function largestPowerOfTwo(count: number): number {
  if (count <= 0) return 0;
  let length = 1;
  while (length * 2 <= count) length *= 2;
  return length;
}

/** The smallest power of two not below `count` (1 for 0 or 1). */
export function paddedLength(count: number): number {
  let length = 1;
  while (length < count) length *= 2;
  return length;
}

/** `?, ?, …` for an IN list of `count` values, padded to `paddedLength(count)`. */
export function inListPlaceholders(count: number): string {
  return Array.from({ length: paddedLength(count) }, () => '?').join(', ');
}

/** `values` (not empty) with its last one repeated up to the padded length: an IN list ignores repeats. */
export function paddedInList<T>(values: readonly T[]): T[] {
  const length = paddedLength(values.length);
  const result = values.slice();
  while (result.length < length) result.push(values[values.length - 1]);
  return result;
}

/** Consecutive slices of `items`, each at most `max` long and a power of two. */
export function powerOfTwoChunks<T>(items: readonly T[], max: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length;) {
    const length = largestPowerOfTwo(Math.min(max, items.length - start));
    chunks.push(items.slice(start, start + length));
    start += length;
  }
  return chunks;
}
