export * from './applied-positions.js';
export * from './entity-query.service.js';
export * from './projection.module.js';
export * from './projection.service.js';
export * from './replica-status.service.js';
export * from './storage-retry.js';
export * from './resume-guard.js';
export * from './table-checksums.js';
