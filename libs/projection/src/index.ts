export * from './applied-positions.js';
export * from './entity-query.service.js';
export * from './projection.module.js';
export * from './projection.service.js';
export * from './replica-status.service.js';
export * from './schema-versions.js';
export * from './dead-letter-redrives.js';
