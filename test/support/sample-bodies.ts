import { randomUUID } from 'node:crypto';

/** The sample entities of apps/node/src/entities. */
export const SAMPLE_TABLES = ['users', 'products'] as const;
export type SampleTable = (typeof SAMPLE_TABLES)[number];

/** A short id no other test uses, e.g. `users-3f2a9c1e`. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A valid create/replace body of `table`; its unique fields (sku) are fresh. */
export function validBody(
  table: SampleTable,
  overrides: object = {},
): Record<string, unknown> {
  const base =
    table === 'users'
      ? { name: 'Ada Lovelace', email: `${uniqueId('ada')}@example.com` }
      : {
          name: 'Espresso cup',
          sku: uniqueId('SKU'),
          price: 4.5,
          tags: ['kitchen'],
          available: true,
        };
  return { ...base, ...overrides };
}

/** A valid PATCH body of `table`. */
export function patchBody(table: SampleTable): Record<string, unknown> {
  return table === 'users' ? { name: 'Ada King' } : { price: 5 };
}

/** A body that fails validation: a required field is missing. */
export function invalidBody(table: SampleTable): Record<string, unknown> {
  return table === 'users'
    ? { name: 'No email' }
    : { name: 'No price', sku: uniqueId('SKU') };
}
