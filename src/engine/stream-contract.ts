import { ConfigError, type ErrorContext } from '../core/errors.js';
import { expandContract, resolveContract, type SchemaContract } from '../core/schema-contract.js';
import type { StreamSettings } from '../config/project.js';

/**
 * A stream's schema contract from its own settings and its sync's defaults.
 * `schema_change` is kept as shorthand for `schema_contract.columns`; giving
 * both for columns at one level is refused rather than guessed.
 *
 * @example streamContract({ schema_change: 'freeze' }, { schema_contract: 'discard_row' }, where) // tables/data_type discard_row, columns freeze
 */
export function streamContract(stream: StreamSettings, defaults: StreamSettings, where: ErrorContext): SchemaContract {
  return resolveContract([levelOf(stream, where, 'stream'), levelOf(defaults, where, 'defaults')]);
}

function levelOf(settings: StreamSettings, where: ErrorContext, level: string): Partial<SchemaContract> {
  const expanded = expandContract(settings.schema_contract);
  if (settings.schema_change === undefined) return expanded;
  if (expanded.columns !== undefined) {
    throw new ConfigError(`${level === 'stream' ? 'the stream' : 'sync defaults'} set both schema_change and schema_contract${typeof settings.schema_contract === 'string' ? '' : '.columns'}`, {
      ...where,
      key: level === 'stream' ? 'schema_change' : 'defaults.schema_change',
      hint: `schema_change is shorthand for schema_contract.columns; keep one: schema_contract: { columns: ${expanded.columns} }`,
    });
  }
  return { ...expanded, columns: settings.schema_change };
}
