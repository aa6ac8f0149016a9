import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { expect } from 'vitest';

/** The built CLI; the kill tests need a real process to SIGKILL, so `npm run build` must have run. */
const BIN = resolve('bin/ferry.js');

/** How one `ferry` process ended: its exit code (null when killed), whether we killed it, its stderr. */
export interface FerryOutcome {
  readonly code: number | null;
  readonly killed: boolean;
  readonly stderr: string;
}

/**
 * Runs `ferry <args> --project <dir>` as a child process and, when `killAfterMs`
 * is given, sends it SIGKILL after that long (unless it has already exited).
 */
export function runFerryKillable(dir: string, args: readonly string[], killAfterMs?: number): Promise<FerryOutcome> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args, '--project', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let killed = false;
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => (killed = child.kill('SIGKILL')), killAfterMs);
    child.on('exit', (code) => {
      if (timer) clearTimeout(timer);
      done({ code, killed, stderr });
    });
  });
}

/**
 * Runs ferry to completion twice, asserting both succeed: the first lands the
 * initial data, the second is timed. Returns that time in ms, the window in which
 * kills then land anywhere from process start-up to the last commit.
 */
export async function timedCleanRun(dir: string, args: readonly string[]): Promise<number> {
  const initial = await runFerryKillable(dir, args);
  expect(initial.code, initial.stderr).toBe(0);
  const timed = performance.now();
  const clean = await runFerryKillable(dir, args);
  expect(clean.code, clean.stderr).toBe(0);
  return performance.now() - timed;
}

/** One run SIGKILLed after `killAfterMs`: true when it was killed, otherwise it must have succeeded. */
export async function killedRun(dir: string, args: readonly string[], killAfterMs: number): Promise<boolean> {
  const outcome = await runFerryKillable(dir, args, killAfterMs);
  if (!outcome.killed) expect(outcome.code, outcome.stderr).toBe(0);
  return outcome.killed;
}
