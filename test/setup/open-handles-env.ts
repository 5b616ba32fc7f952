/**
 * An opt-in jest environment that finds the test file behind jest's "A worker process has failed
 * to exit gracefully": a worker exits only once nothing holds its event loop, and jest kills it
 * 500 ms after asking. After each file's last hook this lists what the file left holding the loop
 * past those 500 ms (servers, sockets, child processes, ref'd timers with where they were set), on
 * stderr; a file that left nothing prints nothing. Not in jest.config.js: it wraps every timer.
 *
 * @example
 * npx jest --maxWorkers=1 --testEnvironment=./test/setup/open-handles-env.ts test/integration
 */
import * as timers from 'node:timers';
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import type { Circus } from '@jest/types';
import { TestEnvironment } from 'jest-environment-node';
import { beyond, tally } from './open-handles';

/** As jest-worker's: how long a worker is given to exit before it is killed. */
const GRACE_MS = 500;

interface Timer {
  hasRef(): boolean;
  _destroyed?: boolean;
  _idleTimeout?: number;
}

interface TimerBirth {
  timer: Timer;
  site: { stack?: string };
  file: string;
}

const born = new Set<TimerBirth>();
let currentFile: string | undefined;

type TimerStart = (...args: unknown[]) => unknown;

/** Notes where each timer of a test file was set, so a leaked one can be named. */
function recorded(start: TimerStart): TimerStart {
  return function recordedTimer(this: unknown, ...args: unknown[]) {
    const timer = start.apply(this, args);
    if (currentFile && typeof timer === 'object' && timer !== null) {
      const site: { stack?: string } = {};
      Error.captureStackTrace(site, recordedTimer);
      born.add({ timer: timer as Timer, site, file: currentFile });
    }
    return timer;
  };
}

const g = globalThis as unknown as Record<string, TimerStart> & { __openHandlesEnv?: boolean };
if (!g.__openHandlesEnv) {
  g.__openHandlesEnv = true;
  // Both the global and the module's: code imports `setTimeout` from 'node:timers' too.
  const t = timers as unknown as Record<string, TimerStart>;
  for (const name of ['setTimeout', 'setInterval']) {
    const wrapped = recorded(g[name]!);
    g[name] = wrapped;
    t[name] = wrapped;
  }
}

// Node's list of handles is undocumented (`process._getActiveHandles`): used only to name what the documented count found.
const activeHandles = (): unknown[] => (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();

function named(handle: unknown): string {
  const h = handle as { constructor?: { name?: string }; address?: () => unknown; remotePort?: number; spawnargs?: string[] };
  const kind = h.constructor?.name ?? typeof handle;
  if (kind === 'Server' && h.address) return `Server ${JSON.stringify(h.address())}`;
  if (kind === 'Socket' && h.remotePort !== undefined) return `Socket to port ${h.remotePort}`;
  if (kind === 'ChildProcess' && h.spawnargs) return `ChildProcess ${h.spawnargs.join(' ')}`;
  return kind;
}

export default class OpenHandlesEnvironment extends TestEnvironment {
  readonly #file: string;
  #startKinds = new Map<string, number>();
  #startHandles = new Set<unknown>();

  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    this.#file = context.testPath;
  }

  override async setup(): Promise<void> {
    await super.setup();
    currentFile = this.#file;
    this.#startKinds = tally(process.getActiveResourcesInfo());
    this.#startHandles = new Set(activeHandles());
  }

  async handleTestEvent(event: Circus.AsyncEvent | Circus.SyncEvent): Promise<void> {
    if (event.name !== 'run_finish') return;
    const until = Date.now() + GRACE_MS;
    let left = beyond(this.#startKinds, tally(process.getActiveResourcesInfo()));
    while (left.length && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 20).unref());
      left = beyond(this.#startKinds, tally(process.getActiveResourcesInfo()));
    }
    if (left.length) {
      const handles = activeHandles().filter((h) => !this.#startHandles.has(h)).map((h) => `  ${named(h)}`);
      const timersLeft = [...born]
        // Jest's own reporter sets timers while a file runs in band: not the file's.
        .filter(({ timer, site }) => timer.hasRef() && !timer._destroyed && !site.stack?.includes('/node_modules/@jest/'))
        .map(({ timer, site, file }) => `  a ${timer._idleTimeout} ms timer set${file === this.#file ? '' : ` by ${file}`}\n${(site.stack ?? '').split('\n').slice(1, 8).join('\n')}`);
      process.stderr.write(`open handles ${GRACE_MS} ms after ${this.#file}: ${left.join(' ')}\n${[...handles, ...timersLeft].join('\n')}\n`);
    }
    born.clear();
    currentFile = undefined;
  }
}
