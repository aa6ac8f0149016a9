import type { Logger } from '../core/connector.js';

/** A logger that drops everything: for one-off commands whose output is their result. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
