/** Project configuration: YAML files -> validated {@link Project}, JSON Schema, scaffolding, stream patterns. */
export { loadProject, findProjectDir, type LoadOptions } from './load-project.js';
export { ConfigErrors, formatIssue, type ConfigIssue } from './config-errors.js';
export { projectJsonSchema, syncJsonSchema, EDITOR_SETUP, type JsonSchema } from './json-schema.js';
export { scaffoldProject, type ScaffoldOptions } from './scaffold.js';
export { matchesPattern, expandColumns, isGlob } from './stream-pattern.js';
export { interpolate, type Variables } from './interpolate.js';
export type * from './project.js';
export { NULL_CURSOR_POLICIES } from './project.js';
