import type { Command } from 'commander';
import type { Checkpoint, CheckpointState } from '../../core/checkpoint.js';
import { ConfigError } from '../../core/errors.js';
import { LOGICAL_TYPE_KINDS } from '../../core/schema.js';
import { encodeValue, parseUserValue } from '../../core/values.js';
import type { StateStore } from '../../state/state-store.js';
import { formatTable } from '../format-table.js';
import { withProject, type GlobalOptions } from '../project-session.js';

/**
 * `ferry state get|set|reset`: inspect, edit and rewind checkpoints. Edits are
 * written with a newer seq than anything stored, so they also win over a
 * checkpoint kept in a transactional destination.
 */
export function registerStateCommands(program: Command, exit: (code: number) => void): void {
  const state = program.command('state').description('inspect, edit and rewind stream checkpoints');

  state
    .command('get')
    .argument('<sync>')
    .argument('[stream]')
    .option('--json', 'print JSON')
    .description("show a sync's checkpoints")
    .action(async (sync: string, stream: string | undefined, flags: { json?: boolean }) => {
      await withProject(program.opts<GlobalOptions>(), async (project, store) => {
        requireSync(project.syncs, sync);
        const all = (await store.listCheckpoints(sync)).filter((c) => !stream || c.stream === stream);
        if (flags.json) return print(JSON.stringify(all, null, 2));
        if (all.length === 0) return print(`no checkpoints for ${sync}${stream ? ` ${stream}` : ''}`);
        print(formatTable(['stream', 'cursor', 'value', 'boundary keys', 'run', 'seq'], all.map((c) => [c.stream, c.state.cursor?.column ?? '', c.state.cursor?.value ?? '', c.state.cursor?.boundaryKeys.length ?? '', c.runId, c.seq])));
      });
      exit(0);
    });

  state
    .command('set')
    .argument('<sync>')
    .argument('<stream>')
    .requiredOption('--cursor <column>', 'cursor column')
    .requiredOption('--value <value>', 'cursor value (canonical text, e.g. 2024-01-01T00:00:00Z); the next run reads >= it')
    .option('--kind <kind>', 'logical type of the cursor', 'string')
    .description('set a stream cursor by hand')
    .action(async (sync: string, stream: string, flags: { cursor: string; value: string; kind: string }) => {
      await withProject(program.opts<GlobalOptions>(), async (project, store) => {
        requireSync(project.syncs, sync);
        const kind = LOGICAL_TYPE_KINDS.find((k) => k === flags.kind);
        if (!kind) throw new ConfigError(`--kind "${flags.kind}" is not a logical type`, { hint: `one of ${LOGICAL_TYPE_KINDS.join(', ')}` });
        let value: string | null;
        try {
          value = encodeValue(parseUserValue({ kind }, flags.value));
        } catch (error) {
          throw new ConfigError(`--value "${flags.value}" is not a valid ${kind}`, { cause: error });
        }
        const stateValue = { cursor: { column: flags.cursor, kind, value, boundaryKeys: [] } };
        await writeManual(store, sync, stream, stateValue);
        print(`${sync} ${stream}: cursor ${flags.cursor} set to ${flags.value} (next run reads >= it)`);
      });
      exit(0);
    });

  state
    .command('reset')
    .argument('<sync>')
    .argument('[stream]')
    .description('forget checkpoints: the next run starts from the beginning (or cursor_start)')
    .action(async (sync: string, stream: string | undefined) => {
      await withProject(program.opts<GlobalOptions>(), async (project, store) => {
        const config = requireSync(project.syncs, sync);
        const known = new Set((await store.listCheckpoints(sync)).map((c) => c.stream));
        for (const s of config.streams) if (!/[*?]/.test(s.name)) known.add(s.name);
        const streams = stream ? [stream] : [...known];
        for (const name of streams) await writeManual(store, sync, name, {});
        print(`reset ${streams.length} stream(s) of ${sync}: ${streams.join(', ')}`);
      });
      exit(0);
    });
}

async function writeManual(store: StateStore, sync: string, stream: string, state: CheckpointState): Promise<void> {
  const current = await store.getCheckpoint(sync, stream);
  const checkpoint: Checkpoint = { sync, stream, runId: 'manual', seq: Math.max(Date.now(), (current?.seq ?? 0) + 1), state };
  await store.saveCheckpoint(checkpoint);
}

function requireSync<T>(syncs: ReadonlyMap<string, T>, name: string): T {
  const sync = syncs.get(name);
  if (!sync) throw new ConfigError(`no sync named "${name}"`, { hint: `syncs: ${[...syncs.keys()].join(', ')}` });
  return sync;
}

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}
