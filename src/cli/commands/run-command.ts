import type { Command } from 'commander';
import { ConfigError, EXIT_CODES } from '../../core/errors.js';
import type { Project } from '../../config/project.js';
import type { RunResult } from '../../engine/run-sync.js';
import { formatTable, streamTiming } from '../format-table.js';
import { watermarkTable } from '../run-extras-view.js';
import { LOG_FORMATS, ProgressView, type LogFormat } from '../progress-view.js';
import { withProject, type GlobalOptions } from '../project-session.js';

interface RunFlags extends GlobalOptions {
  readonly select?: string[];
  readonly stream?: string[];
  readonly fullRefresh?: boolean;
  readonly cursorValue?: string;
  readonly dryRun?: boolean;
  readonly strictTypes?: boolean;
  readonly threads?: string;
  readonly logFormat: LogFormat;
  readonly verbose?: boolean;
  readonly follow?: boolean;
}

export function registerRunCommand(program: Command, exit: (code: number) => void): void {
  program
    .command('run')
    .description('run syncs (all of them when none is named)')
    .argument('[sync...]', 'sync names (files in syncs/ without .yml)')
    .option('--select <selector...>', 'select syncs by tag: tag:daily')
    .option('--stream <pattern...>', 'only streams matching these names or globs')
    .option('--full-refresh', 'ignore cursors: read everything and replace the targets')
    .option('--cursor-value <value>', 'start incremental streams from this cursor value (inclusive)')
    .option('--dry-run', 'resolve, connect, print the plan, SQL and source row counts; write nothing')
    .option('--strict-types', 'refuse, before writing, every stream with a column the destination would only map to another type (docs/fidelity.md)')
    .option('--threads <n>', 'streams copied at once (default: defaults.threads in ferry.yml)')
    .option('--log-format <format>', `progress output: ${LOG_FORMATS.join(' | ')}`, 'auto')
    .option('--follow', 'cdc streams: keep streaming changes until stopped (Ctrl-C / SIGTERM) instead of catching up')
    .option('-v, --verbose', 'show info log lines as they happen')
    .action(async (syncs: string[], flags: RunFlags) => {
      exit(await runCommand(syncs, { ...program.opts<GlobalOptions>(), ...flags }));
    });
}

async function runCommand(names: readonly string[], flags: RunFlags): Promise<number> {
  const threads = flags.threads === undefined ? undefined : Number(flags.threads);
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) {
    throw new ConfigError(`--threads must be a positive integer, got "${flags.threads}"`);
  }
  return withProject(flags, async (project, state) => {
    const syncs = selectSyncs(project, names, flags.select ?? []);
    const controller = new AbortController();
    const stop = (): void => {
      if (controller.signal.aborted) process.exit(EXIT_CODES.cancelled);
      process.stderr.write('\nstopping: rolling back staged data (press Ctrl-C again to exit at once)\n');
      controller.abort();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const results: RunResult[] = [];
    const { runSync } = await import('../../engine/run-sync.js');
    try {
      for (const sync of syncs) {
        if (controller.signal.aborted) break;
        const view = new ProgressView(flags.logFormat, process.stderr, flags.verbose ?? false);
        const result = await runSync({
          project,
          state,
          sync,
          signal: controller.signal,
          onEvent: view.onEvent,
          ...(flags.stream ? { streams: flags.stream } : {}),
          ...(flags.fullRefresh ? { fullRefresh: true } : {}),
          ...(flags.cursorValue !== undefined ? { cursorValue: flags.cursorValue } : {}),
          ...(flags.dryRun ? { dryRun: true } : {}),
          ...(flags.strictTypes ? { strictTypes: true } : {}),
          ...(threads !== undefined ? { threads } : {}),
          ...(flags.follow ? { follow: true } : {}),
        });
        view.finish();
        results.push(result);
        printResult(result, flags.logFormat === 'json');
      }
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    return exitCodeOf(results, controller.signal.aborted);
  });
}

/** Syncs named on the command line, or selected by tag, or all. */
export function selectSyncs(project: Project, names: readonly string[], selectors: readonly string[]): string[] {
  for (const name of names) {
    if (!project.syncs.has(name)) {
      throw new ConfigError(`no sync named "${name}"`, { hint: `syncs: ${[...project.syncs.keys()].join(', ') || '(none)'}` });
    }
  }
  let selected = names.length > 0 ? [...names] : [...project.syncs.keys()];
  for (const selector of selectors) {
    const [kind, value] = selector.split(':', 2);
    if (kind !== 'tag' || !value) throw new ConfigError(`--select "${selector}": expected tag:<name>`);
    selected = selected.filter((name) => project.syncs.get(name)?.tags.includes(value));
  }
  if (selected.length === 0) throw new ConfigError('no sync selected', { hint: 'add a file under syncs/ or check --select' });
  return selected;
}

function printResult(result: RunResult, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
    return;
  }
  if (result.plan) {
    process.stdout.write(`\nDry run of sync ${result.sync} (nothing written)\n\n`);
    process.stdout.write(`${formatTable(['stream', 'target', 'mode', 'write', 'from', 'new rows', 'boundary rows (skipped)'], result.plan.map((p) => [p.stream, p.target, p.mode, p.write, p.from, p.rows - p.boundaryRows, p.boundaryRows]))}\n`);
    if (result.watermarks.length > 0) process.stdout.write(`\n${watermarkTable(result.watermarks)}\n`);
    for (const p of result.plan) process.stdout.write(`\n-- ${p.stream}\n${p.sql}\n${p.hooks.map((h) => `-- after (${h.runOn}, not run): ${h.sql}\n`).join('')}`);
  } else {
    const rows = result.streams.map((s) => {
      const { seconds, rate } = streamTiming(s);
      return [s.stream, s.mode, s.write, s.rowsRead, s.rowsWritten, seconds, rate, s.status];
    });
    process.stdout.write(`\nSync ${result.sync}: ${result.status} in ${result.seconds.toFixed(1)} s (run ${result.runId})\n`);
    if (rows.length > 0) process.stdout.write(`\n${formatTable(['stream', 'mode', 'write', 'rows read', 'rows written', 'seconds', 'rows/s', 'status'], rows)}\n`);
  }
  // The progress view has already shown errors as they were logged.
}

function exitCodeOf(results: readonly RunResult[], aborted: boolean): number {
  if (aborted) return EXIT_CODES.cancelled;
  return results.find((r) => r.exitCode !== EXIT_CODES.ok)?.exitCode ?? EXIT_CODES.ok;
}
