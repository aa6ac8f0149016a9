export * from './schema.js';
export * from './values.js';
export * from './errors.js';
export * from './connector.js';
export * from './checkpoint.js';
export * from './chunk.js';
export * from './ferry-columns.js';
export * from './mirror-guard.js';
