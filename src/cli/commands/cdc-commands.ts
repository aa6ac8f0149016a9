import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.js';
import { formatLsn } from '../../core/lsn.js';
import { cdcStatus, dropCdc, resyncCdc, type CdcStatusReport } from '../../engine/cdc/cdc-operations.js';
import { formatTable } from '../format-table.js';
import { withProject, type GlobalOptions } from '../project-session.js';
import { silentLogger } from '../silent-logger.js';

/** `ferry cdc status|drop|resync`: look after a sync's replication slot and positions. */
export function registerCdcCommands(program: Command, exit: (code: number) => void): void {
  const cdc = program.command('cdc').description('change data capture: slot status, resync of tables, dropping the slot');

  cdc
    .command('status')
    .argument('<sync>')
    .option('--json', 'print JSON')
    .description('the replication slot (confirmed LSN, lag and retained WAL in bytes) and each stream position')
    .action(async (sync: string, flags: { json?: boolean }) => {
      await withProject(program.opts<GlobalOptions>(), async (project, state) => {
        const report = await cdcStatus({ project, state, sync, logger: silentLogger });
        print(flags.json ? JSON.stringify(report, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) : statusText(report));
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
        const dropped = await dropCdc({ project, state, sync, logger: silentLogger });
        print(`slot ${dropped.slot ? 'dropped' : 'did not exist'}; publication ${dropped.publication ? 'dropped' : 'kept (not created by Ferry, or absent)'}; positions forgotten: ${dropped.streams.join(', ') || '(none)'}`);
      });
      exit(0);
    });
}

function statusText(report: CdcStatusReport): string {
  const s = report.slot;
  const lsn = (v: bigint | undefined): string => (v === undefined ? '-' : formatLsn(v));
  const lines = [
    `sync ${report.sync}: slot ${s.slot} ${s.exists ? (s.active ? '(streaming)' : '(idle)') : 'does not exist'}, publication ${report.publication}`,
    `  confirmed ${lsn(s.confirmedLsn)}, server WAL ${formatLsn(s.walLsn)}, lag ${s.lagBytes} bytes, WAL retained ${s.retainedBytes} bytes`,
  ];
  if (report.streams.length > 0) lines.push(formatTable(['stream', 'position', 'run'], report.streams.map((r) => [r.stream, r.from ?? '(snapshot pending)', r.updatedRun ?? ''])));
  return lines.join('\n');
}

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}
