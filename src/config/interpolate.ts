/** Variables available to `${VAR}` references: unset variables are absent or `undefined`. */
export type Variables = Readonly<Record<string, string | undefined>>;

export interface Interpolation {
  readonly value: string;
  /** Whether any `${...}` was replaced (so the value may hold a secret from the environment). */
  readonly replaced: boolean;
  /** Problems, each naming the variable or the bad reference; empty when the value is usable. */
  readonly problems: readonly string[];
}

const REFERENCE = /\$\$\{|\$\{([^}]*)(\})?/g;
const NAME_AND_DEFAULT = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

/**
 * Replace `${VAR}` and `${VAR:-default}` in `text`. Like a shell, the default
 * applies when the variable is unset or empty; `$${` is a literal `${`.
 * Defaults cannot contain `}` or nested references.
 *
 * @example interpolate('postgres://${HOST:-localhost}/app', {}) // value 'postgres://localhost/app'
 */
export function interpolate(text: string, variables: Variables): Interpolation {
  const problems: string[] = [];
  let replaced = false;
  const value = text.replace(REFERENCE, (match: string, inner: string | undefined, close: string | undefined) => {
    if (match === '$${') return '${';
    replaced = true;
    if (close === undefined) {
      problems.push(`unterminated variable reference "${match}": expected \${NAME} or \${NAME:-default}`);
      return '';
    }
    const parts = NAME_AND_DEFAULT.exec(inner ?? '');
    if (!parts) {
      problems.push(`invalid variable reference "${match}": expected \${NAME} or \${NAME:-default} (write $\${ for a literal \${)`);
      return '';
    }
    const [, name = '', fallback] = parts;
    const found = variables[name];
    if (found !== undefined && (found !== '' || fallback === undefined)) return found;
    if (fallback !== undefined) return fallback;
    problems.push(`environment variable ${name} is not set and has no default; set it in the environment or in .env, or write \${${name}:-default}`);
    return '';
  });
  return { value, replaced, problems };
}

/**
 * The real environment wins over the project's `.env` file; a variable set to
 * `undefined` counts as unset.
 */
export function mergeVariables(environment: Variables, dotenv: Variables): Variables {
  const merged: Record<string, string | undefined> = { ...dotenv };
  for (const [name, value] of Object.entries(environment)) if (value !== undefined) merged[name] = value;
  return merged;
}
