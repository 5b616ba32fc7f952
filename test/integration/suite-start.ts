/** Anything a test starts and must close: a fake upstream, a local gateway, a pool of them. */
export interface Closable {
  close(): Promise<void>;
}

/**
 * Runs `build`, which starts its servers through `open`; if `build` fails, waits for each start
 * it had opened and closes those that came up, the last opened first, and rethrows its error. A start that fails half-way (a fake up, then
 * the gateway refused) would otherwise leave servers listening, and jest waiting on them.
 *
 * @example
 * const pool = await closedOnFailure(async (open) => {
 *   const fake = await open(startFakeOpenAI());
 *   const gw = await open(startLocalGateway({ … }));
 *   return { fake, gw, close: async () => { await gw.close(); await fake.close(); } };
 * });
 */
export async function closedOnFailure<T>(build: (open: <C extends Closable>(starting: Promise<C>) => Promise<C>) => Promise<T>): Promise<T> {
  const starts: Promise<Closable>[] = [];
  try {
    return await build(function open(starting) {
      starts.push(starting);
      return starting;
    });
  } catch (err) {
    // Starts opened together (Promise.all) may still be under way when one fails: each is waited
    // for, so that none comes up after the error is given back and stays listening.
    const settled = await Promise.allSettled(starts);
    // The start's error is the one worth reading: a close that fails as well is not reported over it.
    for (const start of settled.reverse()) if (start.status === 'fulfilled') await start.value.close().catch(() => undefined);
    throw err;
  }
}

/**
 * What `start` makes (a pool), for a whole test file or describe block: started before its tests,
 * `reset` before each, closed after. Filled in by beforeAll: read its fields inside tests, not
 * when the file is loaded. When the start fails, that error is what jest reports for each test:
 * nothing is reset or closed that never started.
 */
export function startedForSuite<T extends Closable>(start: () => Promise<T>, reset: (started: T) => void): T {
  const filled = {} as T;
  let started: T | undefined;
  beforeAll(async () => {
    started = await start();
    Object.assign(filled, started);
  });
  beforeEach(() => {
    if (started) reset(started);
  });
  afterAll(async () => {
    if (started) await started.close();
  });
  return filled;
}
