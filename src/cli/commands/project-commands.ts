import { resolve } from 'node:path';
import type { Command } from 'commander';
import { describeError } from '../../core/errors.js';
import { logicalTypeText, type StreamDescriptor } from '../../core/schema.js';
import { formatTable } from '../format-table.js';
import { openProject, type GlobalOptions } from '../project-session.js';
import { silentLogger } from '../silent-logger.js';

/** The connectors and how a connection is opened, loaded when a command needs them (see project-session.ts). */
async function connectorsModule() {
  const [{ createSource, resolveConnection }, { builtinConnectors }] = await Promise.all([import('../../engine/connections.js'), import('../../connectors/registry.js')]);
  return { createSource, resolveConnection, builtinConnectors };
}

/** `ferry init`, `validate`, `schema`, `discover`, `doctor`. */
export function registerProjectCommands(program: Command, exit: (code: number) => void): void {
  program
    .command('init')
    .description('create a project: ferry.yml and syncs/example.yml, with comments explaining each key')
    .argument('[dir]', 'folder to create the project in', '.')
    .option('--name <name>', 'project name')
    .option('--force', 'overwrite existing files')
    .action(async (dir: string, flags: { name?: string; force?: boolean }) => {
      const { scaffoldProject } = await import('../../config/index.js');
      const written = await scaffoldProject(resolve(dir), { ...(flags.name ? { name: flags.name } : {}), ...(flags.force ? { force: true } : {}) });
      print(`created ${Array.isArray(written) ? written.join(', ') : resolve(dir)}\nnext: edit ferry.yml, then ferry validate --connect && ferry run`);
      exit(0);
    });

  program
    .command('validate')
    .description('check ferry.yml and syncs/*.yml; with --connect also open every connection')
    .option('--connect', 'connect to every connection')
    .action(async (flags: { connect?: boolean }) => {
      const project = await openProject(program.opts<GlobalOptions>());
      print(`project ${project.name}: ${project.connections.size} connection(s), ${project.syncs.size} sync(s) — valid`);
      exit(flags.connect ? await checkConnections(project) : 0);
    });

  program
    .command('schema')
    .description('print the JSON Schema of ferry.yml (or of sync files with --sync), for editor completion')
    .option('--sync', 'schema of syncs/*.yml instead')
    .action(async (flags: { sync?: boolean }) => {
      const [{ projectJsonSchema, syncJsonSchema }, { connectorSchemas }] = await Promise.all([import('../../config/index.js'), import('../../connectors/connector-schemas.js')]);
      print(JSON.stringify(flags.sync ? syncJsonSchema() : projectJsonSchema(connectorSchemas()), null, 2));
      exit(0);
    });

  program
    .command('discover')
    .description("list a connection's tables, columns, keys and types")
    .argument('<connection>', 'connection name from ferry.yml')
    .option('--json', 'print JSON')
    .action(async (name: string, flags: { json?: boolean }) => {
      const project = await openProject(program.opts<GlobalOptions>());
      const { createSource, resolveConnection, builtinConnectors } = await connectorsModule();
      const source = await createSource(resolveConnection(project, builtinConnectors, name, silentLogger));
      try {
        const streams = await source.discover();
        print(flags.json ? JSON.stringify(streams, null, 2) : renderStreams(streams));
      } finally {
        await source.close();
      }
      exit(0);
    });

  program
    .command('doctor')
    .description('versions, state store and every connection: what works and what does not')
    .action(async () => {
      print(`ferry ${program.version() ?? ''} on node ${process.version} (${process.platform} ${process.arch})`);
      const project = await openProject(program.opts<GlobalOptions>());
      print(`project ${project.name} at ${project.dir}`);
      let failed = 0;
      try {
        const { openStateStore } = await import('../../state/index.js');
        const state = await openStateStore(project.state, project.dir);
        await state.listRuns({ limit: 1 });
        await state.close();
        print(`ok    state store ${project.state.replace(/:\/\/[^@]*@/, '://***@')}`);
      } catch (error) {
        failed++;
        print(`FAIL  state store: ${describeError(error)}`);
      }
      failed += await checkConnections(project);
      exit(failed === 0 ? 0 : 3);
    });
}

async function checkConnections(project: Awaited<ReturnType<typeof openProject>>): Promise<number> {
  const { resolveConnection, builtinConnectors } = await connectorsModule();
  let failed = 0;
  for (const name of project.connections.keys()) {
    const started = performance.now();
    try {
      const resolved = resolveConnection(project, builtinConnectors, name, silentLogger);
      await resolved.definition.check(resolved.config, resolved.context);
      print(`ok    ${name} (${resolved.definition.name}) in ${Math.round(performance.now() - started)} ms`);
    } catch (error) {
      failed++;
      print(`FAIL  ${name}: ${describeError(error)}`);
    }
  }
  return failed === 0 ? 0 : 3;
}

function renderStreams(streams: readonly StreamDescriptor[]): string {
  return streams
    .map((s) => {
      const rows = s.columns.map((c) => [c.name, logicalTypeText(c.type), c.sourceType ?? '', c.nullable ? 'yes' : 'no', s.primaryKey.includes(c.name) ? String(s.primaryKey.indexOf(c.name) + 1) : '']);
      const estimate = s.estimatedRows !== undefined ? ` (~${s.estimatedRows} rows)` : '';
      return `${s.name}${estimate}\n${formatTable(['column', 'type', 'source type', 'nullable', 'key'], rows)}`;
    })
    .join('\n\n');
}

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}
