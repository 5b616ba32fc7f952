/**
 * `aigw usage` against a real local gateway that has served real calls from the official `openai`
 * client: the report the CLI prints must show the requests made and what they cost at the
 * config's prices. The CLI runs in-process through runCli, with the environment a spawned command
 * would have; that bin/aigw.js runs it as `npx aigw` would is proven in cli.test.ts.
 */
import { runCli } from '../../lib/cli/main';
import { ADMIN_TOKEN, startHarness, type Harness } from './harness';

/** USD per million tokens, so a token costs 1 micro-dollar in and 2 out. */
const PRICE = { input: 1, output: 2 };
/** What the fake upstream says every call used: 1000 × $1/M + 500 × $2/M = $0.002 a call. */
const USAGE = { prompt: 1000, completion: 500 };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs aigw in-process against the gateway, with nothing from the test's env that could point it
 * elsewhere, and on the gateway's clock, so the range it asks for by default is of the gateway's day.
 */
async function aigw(args: string[]): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('GATEWAY_') && !name.startsWith('AWS_')));
  const run = { stdout: '', stderr: '' };
  const code = await runCli(args, {
    stdout: (text) => (run.stdout += text),
    stderr: (text) => (run.stderr += text),
    env: { ...env, GATEWAY_URL: h.gw.url, GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN },
    cwd: process.cwd(),
    now: () => new Date(NOW),
  });
  return { code, ...run };
}

/** The cells of the table row that starts with `first`. */
function rowOf(stdout: string, first: string): string[] | undefined {
  return stdout
    .split('\n')
    .find((line) => line.startsWith(`${first} `))
    ?.split(/\s{2,}/);
}

let h: Harness;
/**
 * The gateway's clock, held still: its day is the one its records, roll-ups and default range are
 * of, and the wall clock's may have turned by the time a run past midnight UTC reads them.
 */
const NOW = Date.now();
const today = new Date(NOW).toISOString().slice(0, 10);

beforeAll(async () => {
  h = await startHarness({
    now: () => NOW,
    config: ({ upstream }) => ({
      providers: [{ id: 'primary', type: 'openai', baseUrl: upstream, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] }],
      models: [
        { name: 'gpt-4o-mini', price: PRICE, targets: [{ provider: 'primary', model: 'gpt-4o-mini-2024-07-18' }] },
        // No price: its calls are counted but cost nothing, and the report must say so.
        { name: 'gpt-4o', targets: [{ provider: 'primary', model: 'gpt-4o' }] },
      ],
    }),
  });
  h.upstream.reply(() => ({ kind: 'text', text: 'Hello there', usage: USAGE }));

  const openai = h.openai();
  await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
  const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi again' }], stream: true });
  for await (const _chunk of stream) {
    // Read to the end, so the call completes and its usage is recorded.
  }
  await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] });
  await h.gw.gateway.drain();
});

afterAll(async () => {
  await h.close();
});

describe('aigw usage against a local gateway', () => {
  it('finds nothing with --no-refresh before anything summed the calls, since nothing does so locally', async () => {
    // Act
    const run = await aigw(['usage', '--no-refresh']);

    // Assess
    expect(run).toEqual({ code: 0, stdout: `No usage from ${today.slice(0, 7)}-01 to ${today} (UTC).\n`, stderr: '' });
  });

  it('sums the calls first and shows them by key, with what they cost and a note on the unpriced one', async () => {
    // Act
    const run = await aigw(['usage']);

    // Assess
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout.split('\n')[0]).toBe(`Usage from ${today.slice(0, 7)}-01 to ${today} (UTC), by key`);
    expect(rowOf(run.stdout, 'ID')).toEqual(['ID', 'NAME', 'REQUESTS', 'ERRORS', 'INPUT', 'OUTPUT', 'CACHE READ', 'COST (USD)']);
    expect(rowOf(run.stdout, h.keyId)).toEqual([h.keyId, 'tester', '3', '0', '3000', '1500', '0', '$0.004*']);
    expect(rowOf(run.stdout, 'TOTAL')).toEqual(['TOTAL', '3', '0', '3000', '1500', '0', '$0.004*']);
    expect(run.stdout).toContain('\n* 1 request went to a model without a price in the config and is not in the cost.\n');
    expect(run.stdout).toMatch(new RegExp(`\\nAs of ${today} \\d\\d:\\d\\dZ: usage after that is not in these figures yet\\.\\n$`));
  });

  it('shows each model on its own row by --by model, dearest first', async () => {
    // Act
    const run = await aigw(['usage', '--by', 'model', '--from', today, '--no-refresh']);

    // Assess
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const rows = run.stdout.split('\n').slice(3, 6).map((line) => line.split(/\s{2,}/));
    expect(rows).toEqual([
      ['gpt-4o-mini', '2', '0', '2000', '1000', '0', '$0.004'],
      ['gpt-4o', '1', '0', '1000', '500', '0', '$0.00*'],
      ['TOTAL', '3', '0', '3000', '1500', '0', '$0.004*'],
    ]);
  });

  it("prints the admin API's report as it is with --json", async () => {
    // Act
    const run = await aigw(['usage', '--json', '--key', h.keyId]);

    // Assess
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const report = JSON.parse(run.stdout) as { from: string; to: string; data: { day: string; keyId: string; keyName: string; model: string; requests: number; costMicros: number; unpriced: number }[] };
    expect(report).toMatchObject({ from: `${today.slice(0, 7)}-01`, to: today });
    expect(report.data.sort((a, b) => a.model.localeCompare(b.model))).toEqual([
      expect.objectContaining({ day: today, keyId: h.keyId, keyName: 'tester', model: 'gpt-4o', requests: 1, inputTokens: 1000, outputTokens: 500, costMicros: 0, unpriced: 1 }),
      expect.objectContaining({ day: today, keyId: h.keyId, keyName: 'tester', model: 'gpt-4o-mini', requests: 2, inputTokens: 2000, outputTokens: 1000, costMicros: 4000, unpriced: 0 }),
    ]);
  });

  it('shows no usage for a key that made no calls', async () => {
    // Prepare
    const { id } = await h.createKey({ name: 'idle' });

    // Act
    const run = await aigw(['usage', '--key', id, '--from', today]);

    // Assess
    expect(run).toEqual({ code: 0, stdout: `No usage of key ${id} on ${today} (UTC).\n`, stderr: '' });
  });

  it('refuses a date that does not exist with exit 2, naming the flag', async () => {
    // Act
    const run = await aigw(['usage', '--to', '2026-02-30']);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('aigw: --to must be a date such as 2026-06-01 (YYYY-MM-DD, UTC), not "2026-02-30"');
  });
});
