export * from './migration-refused.js';
export * from './schema-diff.js';
export * from './schema-snapshot.js';
export * from './table-ddl.js';
export * from './schema-check.js';
