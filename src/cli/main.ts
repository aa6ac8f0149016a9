import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { EXIT_CODES, FerryError, describeError, redact } from '../core/errors.js';
import { registerCdcCommands } from './commands/cdc-commands.js';
import { registerHistoryCommands } from './commands/history-commands.js';
import { registerProjectCommands } from './commands/project-commands.js';
import { registerQuickstartCommand } from './commands/quickstart-command.js';
import { registerRunCommand } from './commands/run-command.js';
import { registerStateCommands } from './commands/state-commands.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * The `ferry` command line. Returns the process exit code:
 * 0 ok, 1 a run failed, 2 configuration error, 3 connection error, 130 cancelled.
 */
export async function main(argv: readonly string[]): Promise<number> {
  // `ferry logs last | head`: the reader went away; stop quietly instead of crashing.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(EXIT_CODES.ok);
      throw error;
    });
  }
  let code: number = EXIT_CODES.ok;
  const exit = (c: number): void => {
    code = c;
  };
  const program = new Command('ferry')
    .description('Move data between databases, files and APIs.')
    .version(VERSION)
    .option('-p, --project <dir>', 'project folder (default: nearest folder with ferry.yml)')
    .exitOverride()
    .showHelpAfterError();
  registerProjectCommands(program, exit);
  registerRunCommand(program, exit);
  registerHistoryCommands(program, exit);
  registerStateCommands(program, exit);
  registerCdcCommands(program, exit);
  registerQuickstartCommand(program, exit);
  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_CODES.config;
    process.stderr.write(`error: ${redact(describeError(error))}\n`);
    return error instanceof FerryError ? error.exitCode : EXIT_CODES.runFailed;
  }
}
