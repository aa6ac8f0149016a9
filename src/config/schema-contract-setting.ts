import { z } from 'zod';
import { CONTRACT_MODES } from '../core/schema-contract.js';

/**
 * The `schema_contract` stream setting: one mode for tables, columns and
 * data types at once (`freeze`), or a map naming some of them.
 */
const mode = (entity: string, when: string) =>
  z.enum(CONTRACT_MODES).optional().describe(`${entity}: ${when}. evolve | freeze | discard_row | discard_value.`);

export const schemaContractSettingSchema = z
  .union(
    [
      z.enum(CONTRACT_MODES).describe('One mode for tables, columns and data_type.'),
      z
        .strictObject({
          tables: mode('tables', 'when the target table does not exist. evolve (default) creates it; freeze fails; discard_row and discard_value discard the stream\'s rows'),
          columns: mode('columns', 'source columns the target lacks. evolve (default) adds them; freeze fails naming them; discard_row drops rows with a value in them; discard_value drops their values'),
          data_type: mode(
            'data_type',
            'a source type the target column cannot hold and cannot be widened to safely. freeze (default) fails naming both types; discard_row drops rows whose value does not fit; discard_value stores NULL instead; evolve adds a variant column <column>__v_<type> for them',
          ),
        })
        .describe('Modes per entity; entities not named come from the sync defaults, then Ferry\'s defaults.'),
    ],
    { error: 'expected evolve, freeze, discard_row or discard_value, or a map of tables/columns/data_type to one of them' },
  )
  .optional()
  .describe(
    'What the stream may change in its target (as dlt schema contracts): tables, columns, data_type, each evolve | freeze | discard_row | discard_value. Safe widening (int16 -> int64, varchar(n) -> longer, decimal precision up, ...) is always applied.',
  );
