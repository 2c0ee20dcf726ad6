export * from './command.module.js';
export * from './command.service.js';
export * from './embedded/embedded-log.client.js';
export * from './kafka/kafka-topics.js';
