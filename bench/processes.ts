/**
 * Child processes for the benchmark: started in a process group of their own
 * (`npx tsx` starts a node under a node), with their output in a log file
 * rather than in our event loop, and stopped as a group by their group id.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

export interface BenchChild {
  name: string;
  logPath: string;
  /** The first capture group of `readyPattern` in the child's output. */
  readyValue: string;
  stop(): Promise<void>;
}

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logPath: string;
  /** Matched against the child's output; its first group is the child's address. */
  readyPattern: RegExp;
  readyTimeoutMs: number;
  /** Keep a pipe on stdin so the child can notice our death (EOF) and exit. */
  stdinPipe?: boolean;
}

const STOP_GRACE_MS = 3_000;
/** Process group ids we started and have not yet seen stopped. */
const groups = new Set<number>();

/** Starts a child and waits until its output matches `readyPattern`. */
export async function startChild(spec: ChildSpec): Promise<BenchChild> {
  const log = openSync(spec.logPath, 'a');
  const proc = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
    detached: true, // Its own process group, so stopping it reaches the node that npx/tsx start below it.
    stdio: [spec.stdinPipe ? 'pipe' : 'ignore', log, log],
  });
  closeSync(log);
  if (proc.pid !== undefined) groups.add(proc.pid);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = (): Promise<void> => stopGroup(proc, exited);
  try {
    const readyValue = await waitForOutput(spec, proc);
    return { name: spec.name, logPath: spec.logPath, readyValue, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The last lines of a child's log, for error messages. */
export function logTail(logPath: string, lines = 30): string {
  try {
    return readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Last resort on exit: SIGKILL every group still running (synchronous, as `exit` handlers must be). */
export function killAllChildrenNow(): void {
  for (const pgid of groups) signalGroup(pgid, 'SIGKILL');
}

async function waitForOutput(spec: ChildSpec, proc: ChildProcess): Promise<string> {
  const deadline = Date.now() + spec.readyTimeoutMs;
  for (;;) {
    const match = spec.readyPattern.exec(readFileSync(spec.logPath, 'utf8'));
    if (match) return match[1] ?? match[0];
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`${spec.name} exited (${proc.exitCode ?? proc.signalCode}) before it was ready:\n${logTail(spec.logPath)}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`${spec.name} was not ready after ${spec.readyTimeoutMs} ms:\n${logTail(spec.logPath)}`);
    }
    await pause(50);
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function stopGroup(proc: ChildProcess, exited: Promise<void>): Promise<void> {
  const pgid = proc.pid;
  if (pgid === undefined) return;
  if (!signalGroup(pgid, 'SIGTERM')) {
    groups.delete(pgid);
    return;
  }
  // npx may exit before the node below it, so wait for the whole group, not just our child.
  const deadline = Date.now() + STOP_GRACE_MS;
  let graceTimer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise((resolve) => (graceTimer = setTimeout(resolve, STOP_GRACE_MS)))]);
  clearTimeout(graceTimer);
  while (Date.now() < deadline && signalGroup(pgid, 0)) await pause(50);
  signalGroup(pgid, 'SIGKILL');
  groups.delete(pgid);
}

/** Signals one of our children's process groups; false when the group is already gone. */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: nothing left in the group.
  }
}
