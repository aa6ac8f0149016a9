import type { Column, LogicalType } from '../../src/core/schema.js';
import { FIDELITY_LEVELS, type FidelityLevel } from '../../src/core/type-fidelity.js';
import type { ColumnResult, PairResult } from './pair-copy.js';

/**
 * The rows of the matrix: logical kinds, with decimals split where engines
 * differ (DuckDB and Parquet DECIMAL hold at most 38 digits).
 */
export const TYPE_CLASSES = [
  'boolean', 'int16', 'int32', 'int64', 'float32', 'float64', 'decimal(p,s), p <= 38', 'decimal, p > 38 or unconstrained',
  'string', 'bytes', 'json', 'uuid', 'date', 'time', 'timetz', 'timestamp', 'timestamptz', 'interval',
] as const;
export type TypeClass = (typeof TYPE_CLASSES)[number];

export function typeClassOf(type: LogicalType): TypeClass {
  if (type.kind !== 'decimal') return type.kind;
  return type.precision !== undefined && type.precision >= 1 && type.precision <= 38 ? 'decimal(p,s), p <= 38' : 'decimal, p > 38 or unconstrained';
}

/** A column standing for its class when asking a destination what it declares. */
export function representativeColumn(typeClass: TypeClass): Column {
  const type: LogicalType =
    typeClass === 'decimal(p,s), p <= 38' ? { kind: 'decimal', precision: 12, scale: 2 } : typeClass === 'decimal, p > 38 or unconstrained' ? { kind: 'decimal' } : { kind: typeClass };
  return { name: 'c', type, nullable: true };
}

/** What a cell shows: the declared level, verified, or `CHANGED` when a value changed (the test fails). */
export type CellText = FidelityLevel | 'CHANGED';
const RANK: readonly CellText[] = [...FIDELITY_LEVELS, 'CHANGED'];

function worse(a: CellText, b: CellText): CellText {
  return RANK.indexOf(a) >= RANK.indexOf(b) ? a : b;
}

/**
 * Problems with a pair: a value that changed, a column declared `exact` that
 * did not come back exact, a column declared `refused` that was written.
 * Empty when the declarations hold.
 */
export function pairProblems(pair: PairResult): string[] {
  return pair.columns.flatMap((c) => {
    if (c.comparison.outcome === 'empty') return [];
    const where = `${pair.source} -> ${pair.destination} ${c.table}.${c.comparison.expected.name} (${c.comparison.expected.sourceType ?? c.comparison.expected.type.kind})`;
    const { outcome, example = '' } = c.comparison;
    if (outcome === 'differs') return [`${where}: declared ${c.declared.level}, a value changed: ${example}`];
    if (c.declared.level === 'exact' && outcome !== 'exact') return [`${where}: declared exact, came back ${outcome}: ${example}`];
    if (c.declared.level === 'refused') return [`${where}: declared refused, but was written`];
    return [];
  });
}

/** Measured level per type class of one pair (the weakest level among its columns). */
export function pairCells(columns: readonly ColumnResult[]): Map<TypeClass, CellText> {
  const cells = new Map<TypeClass, CellText>();
  for (const c of columns) {
    if (c.comparison.outcome === 'empty') continue;
    const key = typeClassOf(c.comparison.expected.type);
    const level: CellText = c.comparison.outcome === 'differs' ? 'CHANGED' : c.declared.level;
    cells.set(key, worse(cells.get(key) ?? 'exact', level));
  }
  return cells;
}

/** Markdown table rows. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [header, header.map(() => '---'), ...rows].map((r) => `| ${r.map(cell).join(' | ')} |`).join('\n');
}

/** One table per source: rows are type classes, columns destinations, cells the measured level. */
export function matrixSection(source: string, pairs: readonly PairResult[], destinations: readonly string[]): string {
  const cells = new Map(pairs.map((p) => [p.destination, pairCells(p.columns)]));
  const rows = TYPE_CLASSES.filter((t) => pairs.some((p) => cells.get(p.destination)?.has(t))).map((t) => [
    t,
    ...destinations.map((d) => cells.get(d)?.get(t) ?? '—'),
  ]);
  return markdownTable(['type', ...destinations], rows);
}
