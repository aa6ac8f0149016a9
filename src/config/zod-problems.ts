import type { ZodType, z } from 'zod';
import { redact } from '../core/errors.js';
import { suggestion } from './did-you-mean.js';
import type { KeyPath, Problem } from './yaml-file.js';
import { keysAt, unknownKeyMessage } from './zod-shape.js';

type Issue = z.core.$ZodIssue;

/** Keys whose values are never shown in errors, whether written out or interpolated from the environment. */
const SECRET_KEY = /pass(word|wd)?|pwd|secret|token|url|uri|dsn|credential|auth|private|(?<!primary_)key/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

const EXPECTED: Readonly<Record<string, string>> = {
  string: 'text',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'a map',
  record: 'a map',
  null: 'nothing',
};

/**
 * Turn zod issues into problems a user can act on: the key path, what was
 * expected, what was found (secrets redacted) and "did you mean" for typos.
 * `schema` is the one that produced the issues; `prefix` is where its input
 * sits in the file (e.g. `connections.pg`).
 */
export function problemsFromZod(issues: readonly Issue[], context: { schema: ZodType; input: unknown; prefix?: KeyPath }): Problem[] {
  return issues.flatMap((issue) => problemsOf(issue, [], context));
}

function problemsOf(issue: Issue, base: KeyPath, context: { schema: ZodType; input: unknown; prefix?: KeyPath }): Problem[] {
  const local = [...base, ...issue.path.filter((s): s is string | number => typeof s !== 'symbol')];
  const path = [...(context.prefix ?? []), ...local];
  const value = valueAt(context.input, local);
  const found = describeFound(value, path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = keysAt(context.schema, local);
      return issue.keys.map((key) => ({ path: [...path, key], part: 'key', message: unknownKeyMessage(key, known) }));
    }
    case 'invalid_union': {
      // The one branch that got past the type check is what the user meant (a map of streams, not a list).
      const meant = issue.errors.filter((branch) => !branch.every((i) => i.code === 'invalid_type' && i.path.length === 0));
      if (meant.length === 1) return (meant[0] ?? []).flatMap((i) => problemsOf(i, local, context));
      return [{ path, part: 'value', message: `${issue.message}, found ${found}` }];
    }
    case 'invalid_type':
      if (value === undefined && path.length > 0) return [{ path, part: 'key', message: `missing required key (${EXPECTED[issue.expected] ?? issue.expected})` }];
      if ((value === undefined || value === null) && path.length === 0) return [{ path, part: 'value', message: `expected ${EXPECTED[issue.expected] ?? issue.expected}, found an empty file` }];
      return [{ path, part: 'value', message: `expected ${EXPECTED[issue.expected] ?? issue.expected}, found ${found}` }];
    case 'invalid_value': {
      const values = issue.values.map(String);
      const hint = typeof value === 'string' && !isSecretKey(String(path.at(-1))) ? suggestion(value, values) : '';
      return [{ path, part: 'value', message: `expected one of ${values.join(', ')}, found ${found}${hint}` }];
    }
    case 'too_small':
      return [{ path, part: 'value', message: `expected ${tooSmallText(issue)}, found ${found}` }];
    case 'too_big':
      return [{ path, part: 'value', message: `expected ${issue.origin === 'array' ? `at most ${issue.maximum} items` : `at most ${issue.maximum}`}, found ${found}` }];
    default:
      return [{ path, part: 'value', message: issue.message.startsWith('expected') ? `${issue.message}, found ${found}` : issue.message }];
  }
}

function tooSmallText(issue: z.core.$ZodIssueTooSmall): string {
  if (issue.origin === 'array') return `at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}`;
  if (issue.origin === 'string') return issue.minimum === 1 ? 'a non-empty text' : `at least ${issue.minimum} characters`;
  return issue.inclusive ? `at least ${issue.minimum}` : `more than ${issue.minimum}`;
}

function valueAt(input: unknown, path: KeyPath): unknown {
  let current = input;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

/** How a found value is shown: quoted text, numbers as written, and `<redacted>` for anything under a secret-looking key. */
export function describeFound(value: unknown, path: KeyPath): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (path.some((s) => typeof s === 'string' && isSecretKey(s))) return '<redacted>';
  return typeof value === 'string' ? JSON.stringify(redact(value)) : String(value);
}
