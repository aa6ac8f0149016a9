import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.js';
import { contractSummary } from '../../core/schema-contract.js';
import type { RunRecord, StateStore } from '../../state/state-store.js';
import { formatTable } from '../format-table.js';
import { hookOutputs, hookTable, watermarkSummary, watermarkTable } from '../run-extras-view.js';
import { withProject, type GlobalOptions } from '../project-session.js';

interface JsonFlag {
  readonly json?: boolean;
}

/** `ferry status`, `ferry history`, `ferry logs`, `ferry audit`. */
export function registerHistoryCommands(program: Command, exit: (code: number) => void): void {
  program
    .command('status')
    .description('each sync: its last run, and whether a run holds its lock now')
    .option('--json', 'print JSON')
    .action(async (flags: JsonFlag) => {
      await withProject(program.opts<GlobalOptions>(), async (project, state) => {
        const rows = [];
        for (const sync of project.syncs.keys()) {
          const [last] = await state.listRuns({ sync, limit: 1 });
          const lock = await state.getLock(sync);
          rows.push({ sync, lastRun: last ?? null, running: lock ? lock.runId : null });
        }
        if (flags.json) return print(JSON.stringify(rows, null, 2));
        print(formatTable(['sync', 'last run', 'status', 'started', 'rows written', 'running now'], rows.map((r) => [r.sync, r.lastRun?.id ?? '-', r.lastRun?.status ?? 'never run', r.lastRun?.startedAt ?? '', r.lastRun?.rowsWritten ?? '', r.running ?? ''])));
      });
      exit(0);
    });

  program
    .command('history')
    .description('recent runs, newest first')
    .argument('[sync]', 'only runs of this sync')
    .option('--limit <n>', 'how many runs', '20')
    .option('--json', 'print JSON')
    .action(async (sync: string | undefined, flags: JsonFlag & { limit: string }) => {
      await withProject(program.opts<GlobalOptions>(), async (_project, state) => {
        const runs = await state.listRuns({ ...(sync ? { sync } : {}), limit: Number(flags.limit) });
        const marks = await Promise.all(runs.map((r) => state.listRunWatermarks(r.id)));
        if (flags.json) return print(JSON.stringify(runs.map((r, i) => ({ ...r, watermarks: marks[i] ?? [] })), null, 2));
        print(formatTable(['run', 'sync', 'status', 'started', 'seconds', 'rows read', 'rows written', 'watermarks', 'error'], runs.map((r, i) => historyRow(r, watermarkSummary(marks[i] ?? [])))));
      });
      exit(0);
    });

  program
    .command('audit')
    .description('operator actions recorded in the state store (cdc pause, resume, resync, drop), newest first')
    .argument('[target]', 'only actions on this sync')
    .option('--limit <n>', 'how many entries', '50')
    .option('--json', 'print JSON')
    .action(async (target: string | undefined, flags: JsonFlag & { limit: string }) => {
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new ConfigError(`--limit must be a whole number of at least 1, got "${flags.limit}"`);
      await withProject(program.opts<GlobalOptions>(), async (_project, state) => {
        const entries = await state.listAudit({ ...(target ? { target } : {}), limit });
        if (flags.json) return print(JSON.stringify(entries, null, 2));
        print(formatTable(['at', 'actor', 'action', 'target', 'details'], entries.map((e) => [e.at, e.actor, e.action, e.target ?? '', e.details ? JSON.stringify(e.details) : ''])));
      });
      exit(0);
    });

  program
    .command('logs')
    .description("a run's log lines and per-stream results")
    .argument('<run>', 'run id (see ferry history), or "last"')
    .option('--follow', 'keep printing new lines until the run ends')
    .option('--json', 'print JSON lines')
    .action(async (runArg: string, flags: JsonFlag & { follow?: boolean }) => {
      await withProject(program.opts<GlobalOptions>(), (_project, state) => printLogs(state, runArg, flags));
      exit(0);
    });
}

function historyRow(run: RunRecord, watermarks: string): unknown[] {
  const seconds = run.finishedAt ? ((Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000).toFixed(1) : '';
  return [run.id, run.sync, run.status, run.startedAt, seconds, run.rowsRead, run.rowsWritten, watermarks, (run.error ?? '').split('\n')[0]?.slice(0, 80)];
}

async function printLogs(state: StateStore, runArg: string, flags: JsonFlag & { follow?: boolean }): Promise<void> {
  const runId = runArg === 'last' ? (await state.listRuns({ limit: 1 }))[0]?.id : runArg;
  const run = runId ? await state.getRun(runId) : undefined;
  if (!run) throw new ConfigError(`no run "${runArg}"`, { hint: 'ferry history lists run ids' });
  let seq = -1;
  for (;;) {
    for (const line of await state.readLog(run.id, seq)) {
      seq = line.seq;
      print(flags.json ? JSON.stringify(line) : `${line.at} ${line.level.padEnd(5)} ${line.stream ? `[${line.stream}] ` : ''}${line.message}`);
    }
    const current = await state.getRun(run.id);
    if (!flags.follow || current?.status !== 'running') break;
    await new Promise((r) => setTimeout(r, 500));
  }
  if (flags.json) return;
  const streams = await state.listRunStreams(run.id);
  print('');
  print(formatTable(['stream', 'status', 'mode', 'write', 'target', 'rows read', 'rows written'], streams.map((s) => [s.stream, s.status, s.mode, s.write, s.target, s.rowsRead, s.rowsWritten])));
  const watermarks = await state.listRunWatermarks(run.id);
  if (watermarks.length > 0) print(`\n${watermarkTable(watermarks)}`);
  const hooks = await state.listRunHooks(run.id);
  if (hooks.length > 0) print(`\n${hookTable(hooks)}`);
  for (const output of hookOutputs(hooks)) print(`\n${output}`);
  for (const s of streams) {
    const contract = s.contract ? contractSummary(s.contract) : '';
    if (contract) print(`\n-- ${s.stream} schema contract: ${contract}`);
    if (s.sql.length > 0) print(`\n-- ${s.stream}\n${s.sql.join(';\n')}`);
  }
}

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}
