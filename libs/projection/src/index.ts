export * from './applied-positions.js';
export * from './embedded/embedded-log.server.js';
export * from './entity-query.service.js';
export * from './kafka/kafka-projection.server.js';
export * from './log-end-offsets.js';
export * from './projection.module.js';
export * from './projection.service.js';
export * from './replica-status.service.js';
