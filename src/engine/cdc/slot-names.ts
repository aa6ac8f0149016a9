import { ConfigError } from '../../core/errors.js';

/** Slot names: lower-case letters, digits and underscores, at most 63 bytes (Postgres' rule). */
const SLOT_NAME = /^[a-z0-9_]{1,63}$/;

/** `ferry_<sync>` with every other character folded to `_`: the default slot and publication name. */
export function defaultCdcName(sync: string): string {
  const folded = `ferry_${sync.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
  return folded.slice(0, 63);
}

/** Refuse a slot or publication name Postgres would reject or that would need quoting in replication commands. */
export function checkCdcName(name: string, key: string, sync: string): string {
  if (!SLOT_NAME.test(name)) {
    throw new ConfigError(`cdc ${key} "${name}" is not a valid name`, {
      sync,
      key: `cdc.${key}`,
      hint: 'use lower-case letters, digits and underscores, at most 63 characters',
    });
  }
  return name;
}
