import type pg from 'pg';
import type { ChunkPlan, ChunkPlanRequest, ChunkRange } from '../../core/chunk.js';
import type { StreamDescriptor } from '../../core/schema.js';
import { driverError } from './driver-error.js';
import { boundarySql, qualifiedTable, SAMPLE_ROWS, tableStatsSql } from './chunk-sql.js';

const WHOLE: ChunkPlan = { ranges: [{ kind: 'key', columns: [], lower: null, upper: null }], fingerprint: 'whole', method: 'one range' };

interface TableStats {
  readonly reltuples: number;
  readonly pages: string;
  readonly node: string;
  readonly kind: string;
}

/**
 * Split a table read into key ranges (a NOT NULL key with a btree ordering:
 * boundaries are quantiles of the keys, sampled on large tables), or heap page
 * ranges (ctid) when there is no usable key or the request asks for storage
 * order. Queries get one unbounded range;
 * so does a one-chunk request, with the fingerprint (cheap: validates a stored plan).
 */
export async function planPostgresChunks(
  client: pg.ClientBase,
  request: ChunkPlanRequest,
  descriptor: StreamDescriptor,
  defaultSchema: string,
): Promise<ChunkPlan> {
  const table = qualifiedTable(request.read, defaultSchema);
  if (table === undefined) return WHOLE;
  const stats = await tableStats(client, table, request.read.stream);
  if (!stats) return WHOLE;
  // Page ranges follow the heap as a plain sequential scan reads it; a key range reads its rows in the plan's order.
  const key = request.storageOrder && request.chunks > 1 && (stats.kind === 'r' || stats.kind === 'm') ? undefined : usableKey(request.key, descriptor);
  if (key) {
    const fingerprint = keyFingerprint(key, descriptor);
    if (request.chunks <= 1) return { ...WHOLE, fingerprint };
    return planKeyRanges(client, request, { table, key, descriptor, stats });
  }
  if (stats.kind !== 'r' && stats.kind !== 'm') return WHOLE;
  if (request.chunks <= 1) return { ...WHOLE, fingerprint: pageFingerprint(stats) };
  return planPageRanges(request.chunks, stats);
}

function keyFingerprint(key: readonly string[], descriptor: StreamDescriptor): string {
  const types = key.map((k) => descriptor.columns.find((c) => c.name === k)?.sourceType ?? '?');
  return `key:${JSON.stringify(key)}:${JSON.stringify(types)}`;
}

function pageFingerprint(stats: TableStats): string {
  return `pages:${stats.node}`;
}

async function tableStats(client: pg.ClientBase, table: string, stream: string): Promise<TableStats | undefined> {
  try {
    const result = await client.query<TableStats>(tableStatsSql(), [table]);
    return result.rows[0];
  } catch (error) {
    throw driverError(error, `size up ${table} for chunking`, { stream });
  }
}

/** The key if every column exists and is NOT NULL (a NULL key would fall outside every range). */
function usableKey(key: readonly string[], descriptor: StreamDescriptor): readonly string[] | undefined {
  if (key.length === 0) return undefined;
  const columns = key.map((k) => descriptor.columns.find((c) => c.name === k));
  return columns.every((c) => c !== undefined && !c.nullable) ? key : undefined;
}

interface KeyPlanInput {
  readonly table: string;
  readonly key: readonly string[];
  readonly descriptor: StreamDescriptor;
  readonly stats: TableStats;
}

/** Fewest heap pages a sample reads: SYSTEM sampling picks whole pages, and an overestimated row count must not leave it empty. */
const MIN_SAMPLE_PAGES = 64;

async function planKeyRanges(client: pg.ClientBase, request: ChunkPlanRequest, input: KeyPlanInput): Promise<ChunkPlan> {
  const { key, stats } = input;
  const pages = Math.max(1, Number(stats.pages));
  const percent = Math.max((100 * SAMPLE_ROWS) / Math.max(1, stats.reltuples), (100 * MIN_SAMPLE_PAGES) / pages);
  let sampled = stats.reltuples > SAMPLE_ROWS * 2 && percent < 100;
  let bounds = await keyBounds(client, request, input, sampled ? percent : undefined);
  if (sampled && bounds.length === 0) {
    // The sample found too few distinct keys (a skewed or mostly empty table): use every key.
    sampled = false;
    bounds = await keyBounds(client, request, input, undefined);
  }
  const ranges: ChunkRange[] = [];
  let lower: readonly string[] | null = null;
  for (const bound of bounds) {
    ranges.push({ kind: 'key', columns: key, lower, upper: bound });
    lower = bound;
  }
  ranges.push({ kind: 'key', columns: key, lower, upper: null });
  return {
    ranges,
    fingerprint: keyFingerprint(key, input.descriptor),
    method: `key (${key.join(', ')})${sampled ? ', boundaries from a sample' : ''}`,
  };
}

async function keyBounds(client: pg.ClientBase, request: ChunkPlanRequest, input: KeyPlanInput, samplePercent: number | undefined): Promise<(readonly string[])[]> {
  const sql = boundarySql({
    table: input.table,
    key: input.key,
    chunks: request.chunks,
    ...(samplePercent !== undefined ? { samplePercent } : {}),
    ...(request.read.where !== undefined ? { where: request.read.where } : {}),
  });
  try {
    const rows = (await client.query<Record<string, string>>(sql)).rows;
    return distinctBounds(rows.map((row) => input.key.map((_, i) => row[`k${i}`] ?? '')));
  } catch (error) {
    throw driverError(error, `choose key ranges for ${request.read.stream}`, { stream: request.read.stream });
  }
}

function distinctBounds(bounds: readonly (readonly string[])[]): (readonly string[])[] {
  const out: (readonly string[])[] = [];
  for (const bound of bounds) {
    const last = out[out.length - 1];
    if (!last || JSON.stringify(last) !== JSON.stringify(bound)) out.push(bound);
  }
  return out;
}

/**
 * Equal page ranges; the last is open so rows appended during the read are not
 * missed. A rewrite (VACUUM FULL, CLUSTER, ALTER TYPE) changes the file node,
 * hence the fingerprint, so a stored page plan is never resumed across one.
 */
function planPageRanges(chunks: number, stats: TableStats): ChunkPlan {
  const pages = Number(stats.pages);
  const n = Math.max(1, Math.min(chunks, pages));
  const step = Math.ceil(pages / n);
  const ranges: ChunkRange[] = [];
  for (let i = 0; i < n; i++) {
    const last = i === n - 1;
    ranges.push({ kind: 'pages', fromPage: i * step, toPage: last ? null : (i + 1) * step });
  }
  return { ranges, fingerprint: pageFingerprint(stats), method: `heap pages (ctid), ${pages} pages` };
}
