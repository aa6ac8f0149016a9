import type { ContractReport } from '../core/schema-contract.js';

/**
 * The contract report of a chunked stream: what every chunk's writer dropped,
 * added up (each chunk opens its own writer under the stream's contract).
 */
export function sumContractReports(a: ContractReport | undefined, b: ContractReport | undefined): ContractReport | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const columns: Record<string, { rows: number; values: number }> = {};
  for (const report of [a, b]) {
    for (const [name, n] of Object.entries(report.columns)) {
      const sum = columns[name] ?? { rows: 0, values: 0 };
      columns[name] = { rows: sum.rows + n.rows, values: sum.values + n.values };
    }
  }
  return {
    rowsDiscarded: a.rowsDiscarded + b.rowsDiscarded,
    valuesDiscarded: a.valuesDiscarded + b.valuesDiscarded,
    columns,
    widened: [...new Set([...a.widened, ...b.widened])],
    variants: [...new Set([...a.variants, ...b.variants])],
    tableDiscarded: a.tableDiscarded || b.tableDiscarded,
  };
}
