export * from './command.module.js';
export * from './command.service.js';
