import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedOnFailure } from './suite-start';

const ROOT = join(__dirname, '..', '..');
const JEST = join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');

interface FixtureRun {
  /** Each test of the fixture: its name, status and failure messages. */
  tests: { fullName: string; status: string; failureMessages: string[] }[];
  /** Jest's message for the whole file: every failure it reports, the suite's own included. */
  message: string;
  /** What was still open (`process.getActiveResourcesInfo()`) once every afterAll had run. */
  resources: string[];
}

/** Runs `suite-start-fails.fixture.ts` in a child jest, in band so that its handles are its own. */
function runFixture(): Promise<FixtureRun> {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-suite-start-'));
  const out = join(dir, 'report.json');
  const resources = join(dir, 'resources.json');
  const args = [JEST, '--runInBand', '--forceExit', '--ci', '--testMatch', '**/test/integration/suite-start-fails.fixture.ts', '--json', '--outputFile', out];
  return new Promise<FixtureRun>((resolve, reject) => {
    execFile(process.execPath, args, { cwd: ROOT, env: { ...process.env, SUITE_START_RESOURCES: resources }, timeout: 60_000 }, (err, _stdout, stderr) => {
      // The fixture fails on purpose: a non-zero exit is expected, a kill (timeout) is not.
      if (err?.killed) return reject(new Error(`the fixture's jest did not finish: ${stderr}`));
      try {
        const file = (JSON.parse(readFileSync(out, 'utf8')) as { testResults: { assertionResults: FixtureRun['tests']; message: string }[] }).testResults[0]!;
        resolve({ tests: file.assertionResults, message: file.message, resources: JSON.parse(readFileSync(resources, 'utf8')) as string[] });
      } catch (cause) {
        reject(new Error(`no report from the fixture's jest: ${stderr}`, { cause }));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

describe('the pool suite helpers (fakePoolForSuite, openAIPoolForSuite) when a pool fails to start half-way', () => {
  let run: FixtureRun;
  beforeAll(async () => {
    run = await runFixture();
  }, 90_000);

  it('report the start\'s own error for each test, and no second one from closing or resetting a pool that never started', () => {
    expect(run.tests.map((t) => [t.fullName, t.status, t.failureMessages.length])).toEqual([
      ['a fake pool whose second account fails to start has a pool to call', 'failed', 1],
      ['an OpenAI pool whose gateway fails to start, its fakes listening has a pool to call', 'failed', 1],
    ]);
    expect(run.tests[0]!.failureMessages[0]).toMatch(/^Error: FAKE TWO WOULD NOT START/);
    expect(run.tests[1]!.failureMessages[0]).toMatch(/^ConfigError: config is not a valid gateway config:\n {2}- models\[0\]\.targets\[0\]\.provider: no provider with id "NO-SUCH-PROVIDER"/);
    expect(run.message).not.toMatch(/TypeError|is not a function|Test suite failed to run/);
  });

  it('leave no server listening: the fakes started before the failure are closed', () => {
    expect(run.resources.length).toBeGreaterThan(0);
    expect(run.resources).not.toContain('TCPServerWrap');
  });
});

describe('closedOnFailure', () => {
  /** A server that notes its closing in `log`, failing to close when `closeFails`. */
  const server = (name: string, log: string[], closeFails = false) => ({
    name,
    async close() {
      log.push(name);
      if (closeFails) throw new Error(`${name} would not close`);
    },
  });

  it.each<[string, { opens: string[]; fails: boolean; closeFails?: string }, { closed: string[]; error?: string }]>([
    ['a build that succeeds closes nothing', { opens: ['fake one', 'fake two', 'gateway'], fails: false }, { closed: [] }],
    ['a build that fails before opening anything closes nothing', { opens: [], fails: true }, { closed: [], error: 'START FAILED' }],
    ['a build that fails half-way closes what it opened, the last first', { opens: ['fake one', 'fake two'], fails: true }, { closed: ['fake two', 'fake one'], error: 'START FAILED' }],
    ['a close that fails as well neither hides the start\'s error nor stops the others closing', { opens: ['fake one', 'fake two'], fails: true, closeFails: 'fake two' }, { closed: ['fake two', 'fake one'], error: 'START FAILED' }],
  ])('%s', async (_name, { opens, fails, closeFails }, expected) => {
    // Prepare
    const closed: string[] = [];

    // Act
    const outcome = await closedOnFailure(async (open) => {
      for (const name of opens) await open(Promise.resolve(server(name, closed, name === closeFails)));
      if (fails) throw new Error('START FAILED');
      return 'started';
    }).catch((err: Error) => err);

    // Assess
    expect(closed).toEqual(expected.closed);
    if (expected.error) expect(outcome).toMatchObject({ message: expected.error });
    else expect(outcome).toBe('started');
  });

  it('closes what it opened when a start it was opening fails', async () => {
    const closed: string[] = [];

    const outcome = await closedOnFailure(async (open) => {
      await open(Promise.resolve(server('fake one', closed)));
      await open(Promise.reject(new Error('FAKE TWO WOULD NOT START')));
    }).catch((err: Error) => err);

    expect(outcome).toMatchObject({ message: 'FAKE TWO WOULD NOT START' });
    expect(closed).toEqual(['fake one']);
  });

  it('closes a server started alongside one that failed, once it is up, before giving the error back', async () => {
    // Prepare: two starts opened together; the second fails while the first is still starting.
    const closed: string[] = [];
    let up!: (started: ReturnType<typeof server>) => void;
    const slow = new Promise<ReturnType<typeof server>>((resolve) => (up = resolve));

    // Act
    const outcome = closedOnFailure(async (open) => Promise.all([open(slow), open(Promise.reject(new Error('FAKE TWO WOULD NOT START')))])).catch((err: Error) => err);
    await new Promise((resolve) => setImmediate(resolve));
    up(server('fake one', closed));

    // Assess: the error comes back only once the slow server is up and closed.
    expect(await outcome).toMatchObject({ message: 'FAKE TWO WOULD NOT START' });
    expect(closed).toEqual(['fake one']);
  });
});
