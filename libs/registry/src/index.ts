export * from './entity-definition.js';
export * from './entity-ports.js';
export * from './entity-registry.js';
export * from './field.decorator.js';
export * from './registry.module.js';
export * from './replicated-entity.decorator.js';
export * from './list-query.model.js';
export * from './validation-docs.js';
