import { z } from 'zod';

export const HOOK_RUN_ON = ['success', 'failure', 'always'] as const;
export type HookRunOn = (typeof HOOK_RUN_ON)[number];

const hookObject = z
  .strictObject({
    sql: z.string().min(1).describe('SQL statement run on the destination, e.g. "analyze raw.orders".'),
    run_on: z
      .enum(HOOK_RUN_ON)
      .default('success')
      .describe('When it runs: success (default; after the data committed), failure (the stream or sync failed), always.'),
  })
  .describe('A hook: {sql, run_on}.');

/** A hook as written: the SQL alone, or `{sql, run_on}`. */
export const hookSchema = z
  .union([z.string().min(1).transform((sql) => ({ sql, run_on: 'success' as const })), hookObject], {
    error: 'expected a SQL statement or {sql, run_on}',
  })
  .describe('A SQL statement (runs on success) or {sql, run_on}.');

export const hooksSchema = z
  .strictObject({
    after: z
      .array(hookSchema)
      .default([])
      .describe(
        'Statements run in order on the destination after the data committed (or failed). A failing success hook fails the run (the data stays committed) and later hooks do not run; a failing failure hook is recorded and does not replace the original error.',
      ),
  })
  .optional()
  .describe('SQL hooks run on the destination: {after: [...]}. Output and errors are recorded on the run.');

export type HookEntry = z.output<typeof hookObject>;
