import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.js';
import { formatLsn } from '../../core/lsn.js';
import type { CdcStatusReport } from '../../engine/cdc/cdc-operations.js';
import type { PauseRecord } from '../../state/state-store.js';
import { formatTable } from '../format-table.js';
import { withProject, type GlobalOptions } from '../project-session.js';
import { silentLogger } from '../silent-logger.js';

/** The CDC operations, loaded when a command runs (see project-session.ts). */
const cdcOperations = () => import('../../engine/cdc/cdc-operations.js');

/** `ferry cdc status|pause|resume|resync|drop`: look after a sync's replication slot and positions. */
export function registerCdcCommands(program: Command, exit: (code: number) => void): void {
  const cdc = program.command('cdc').description('change data capture: slot status, pause and resume, resync of tables, dropping the slot');

  cdc
    .command('status')
    .argument('<sync>')
    .option('--json', 'print JSON')
    .description('the replication slot (confirmed LSN, lag in bytes and seconds, retained WAL), pauses, and each stream position')
    .action(async (sync: string, flags: { json?: boolean }) => {
      await withProject(program.opts<GlobalOptions>(), async (project, state) => {
        const { cdcStatus } = await cdcOperations();
        const report = await cdcStatus({ project, state, sync, logger: silentLogger });
        print(flags.json ? JSON.stringify(report, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) : statusText(report));
      });
      exit(0);
    });

  cdc
    .command('pause')
    .argument('<sync>')
    .argument('[streams...]', 'only these streams (default: the whole sync)')
    .option('--reason <text>', 'why, kept with the pause and in the audit log')
    .description('stop applying changes (runs skip it; a running one stops within seconds); the slot keeps the changes until resume')
    .action(async (sync: string, streams: string[], flags: { reason?: string }) => {
      await withProject(program.opts<GlobalOptions>(), async (project, state) => {
        const { pauseCdc } = await cdcOperations();
        const result = await pauseCdc({ project, state, sync, logger: silentLogger }, streams.length > 0 ? streams : undefined, flags.reason);
        const what = (list: readonly (string | null)[]): string => list.map((s) => s ?? `sync ${sync}`).join(', ');
        if (result.paused.length > 0) print(`paused: ${what(result.paused)}; the replication slot keeps their changes (WAL) until ferry cdc resume ${sync}`);
        if (result.already.length > 0) print(`already paused: ${what(result.already)}`);
      });
      exit(0);
    });

  cdc
    .command('resume')
    .argument('<sync>')
    .argument('[streams...]', 'only these streams (default: the sync and every stream)')
    .description('undo ferry cdc pause: the next run (or the running --follow) applies the changes kept in the slot')
    .action(async (sync: string, streams: string[]) => {
      await withProject(program.opts<GlobalOptions>(), async (project, state) => {
        const { resumeCdc } = await cdcOperations();
        const resumed = await resumeCdc({ project, state, sync, logger: silentLogger }, streams.length > 0 ? streams : undefined);
        print(resumed.length === 0 ? `nothing of ${sync} was paused` : `resumed: ${resumed.map((p) => p.stream ?? `sync ${sync}`).join(', ')}`);
      });
      exit(0);
    });

  cdc
    .command('resync')
    .argument('<sync>')
    .argument('[streams...]')
    .option('--all', 'every cdc stream of the sync')
    .description('snapshot these streams again on the next run (the others keep streaming)')
    .action(async (sync: string, streams: string[], flags: { all?: boolean }) => {
      await withProject(program.opts<GlobalOptions>(), async (project, state) => {
        if (!flags.all && streams.length === 0) throw new ConfigError('name the streams to resync, or pass --all', { hint: `ferry cdc resync ${sync} public.orders` });
        const { resyncCdc } = await cdcOperations();
        const reset = await resyncCdc({ project, state, sync, logger: silentLogger }, flags.all ? undefined : streams);
        print(`the next run of ${sync} snapshots again: ${reset.join(', ') || '(no stream had a position)'}`);
      });
      exit(0);
    });

  cdc
    .command('drop')
    .argument('<sync>')
    .description('drop the replication slot and the publication Ferry created, and forget the positions')
    .action(async (sync: string) => {
      await withProject(program.opts<GlobalOptions>(), async (project, state) => {
        const { dropCdc } = await cdcOperations();
        const dropped = await dropCdc({ project, state, sync, logger: silentLogger });
        print(`slot ${dropped.slot ? 'dropped' : 'did not exist'}; publication ${dropped.publication ? 'dropped' : 'kept (not created by Ferry, or absent)'}; positions forgotten: ${dropped.streams.join(', ') || '(none)'}`);
      });
      exit(0);
    });
}

function statusText(report: CdcStatusReport): string {
  const s = report.slot;
  const lsn = (v: bigint | undefined): string => (v === undefined ? '-' : formatLsn(v));
  const seconds = (v: number | null): string => (v === null ? '-' : `${v.toFixed(1)} s`);
  const lines = [
    `sync ${report.sync}: slot ${s.slot} ${s.exists ? (s.active ? '(streaming)' : '(idle)') : 'does not exist'}, publication ${report.publication}`,
    `  confirmed ${lsn(s.confirmedLsn)}, server WAL ${formatLsn(s.walLsn)}, lag ${s.lagBytes} bytes / ${seconds(report.lagSeconds)}, WAL retained ${s.retainedBytes} bytes`,
  ];
  if (report.paused) lines.push(`  PAUSED ${pauseText(report.paused)}: runs apply nothing and the slot keeps the WAL (ferry cdc resume ${report.sync})`);
  if (report.warning) lines.push(`  warning: ${report.warning}`);
  if (report.streams.length > 0) {
    const rows = report.streams.map((r) => [r.stream, r.from ?? '(snapshot pending)', r.syncedTo ?? '-', seconds(r.lagSeconds), r.lagBytes ?? '-', r.paused ? `paused ${pauseText(r.paused)}` : '', r.updatedRun ?? '']);
    lines.push(formatTable(['stream', 'position', 'synced to', 'lag', 'lag bytes', 'pause', 'run'], rows));
  }
  return lines.join('\n');
}

function pauseText(pause: PauseRecord): string {
  return `since ${pause.pausedAt} by ${pause.pausedBy}${pause.reason ? ` (${pause.reason})` : ''}`;
}

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}
