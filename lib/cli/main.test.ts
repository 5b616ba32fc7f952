import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeServer, listenOnLoopback } from '../../test/fakes/http';
import type { UsageReport, UsageRow } from './admin-client';
import { runCli } from './main';

/** 10:00 UTC on 2026-06-15: yesterday is 2026-06-14. */
const NOW = new Date('2026-06-15T10:00:00Z');

const ROW: UsageRow = {
  day: '2026-06-15',
  keyId: 'key_a',
  keyName: 'alice',
  teamId: null,
  teamName: null,
  model: 'gpt-4o-mini',
  requests: 2,
  errors: 0,
  inputTokens: 2000,
  outputTokens: 1000,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
  costMicros: 4000,
  unpriced: 0,
  rolledUpAt: '2026-06-15T09:59:58.000Z',
};
const REPORT: UsageReport = { from: '2026-06-01', to: '2026-06-15', data: [ROW] };

interface Call {
  method: string;
  path: string;
  body: string | undefined;
}

/** A gateway's admin API in miniature: answers the roll-up and the report, and records the calls. */
function fakeAdmin(options: { rollupStatus?: number } = {}) {
  const calls: Call[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = new URL(String(input));
    calls.push({ method: init?.method ?? 'GET', path: url.pathname + url.search, body: init?.body as string | undefined });
    if (url.pathname === '/admin/usage/rollup') {
      const status = options.rollupStatus ?? 200;
      const body = status === 200 ? { days: ['2026-06-14', '2026-06-15'], keys: 1, rollups: 1 } : { error: { message: 'The table is not there.', type: 'server_error', param: null, code: null } };
      return Response.json(body, { status });
    }
    return Response.json(REPORT);
  };
  return { calls, fetch };
}

async function run(argv: string[], fetch: typeof globalThis.fetch) {
  const out = { stdout: '', stderr: '' };
  const code = await runCli(argv, {
    stdout: (t) => (out.stdout += t),
    stderr: (t) => (out.stderr += t),
    env: { GATEWAY_URL: 'http://gw:1', GATEWAY_ADMIN_TOKEN: 'admin-secret' },
    cwd: '/nonexistent',
    fetch,
    now: () => NOW,
  });
  return { code, ...out };
}

const REFRESH: Call = { method: 'POST', path: '/admin/usage/rollup', body: undefined };
const read = (search = ''): Call => ({ method: 'GET', path: `/admin/usage${search}`, body: undefined });

describe('aigw usage', () => {
  it.each([
    ['sums recent usage again, then reads the report', [], [REFRESH, read()]],
    ['reads the roll-ups as they are with --no-refresh', ['--no-refresh'], [read()]],
    ['refreshes a range that ends yesterday', ['--to', '2026-06-14'], [REFRESH, read('?to=2026-06-14')]],
    ['refreshes a range that ends in the future', ['--from', '2026-06-01', '--to', '2026-06-30'], [REFRESH, read('?from=2026-06-01&to=2026-06-30')]],
    ['skips the refresh for a range that ends before yesterday', ['--to', '2026-06-13'], [read('?to=2026-06-13')]],
    ['skips the refresh for last month', ['--from', '2026-05-01', '--to', '2026-05-31', '--key', 'key_a'], [read('?from=2026-05-01&to=2026-05-31&key=key_a')]],
  ])('%s', async (_case, flags, calls) => {
    // Prepare
    const admin = fakeAdmin();

    // Act
    const result = await run(['usage', ...flags], admin.fetch);

    // Assess
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(admin.calls).toEqual(calls);
  });

  it('prints the report as a table', async () => {
    // Prepare
    const admin = fakeAdmin();

    // Act
    const result = await run(['usage', '--by', 'model'], admin.fetch);

    // Assess
    expect(result.stdout).toBe(
      [
        'Usage from 2026-06-01 to 2026-06-15 (UTC), by model',
        '',
        'MODEL        REQUESTS  ERRORS  INPUT  OUTPUT  CACHE READ  COST (USD)',
        'gpt-4o-mini         2       0   2000    1000           0      $0.004',
        'TOTAL               2       0   2000    1000           0      $0.004',
        '',
        'As of 2026-06-15 09:59Z: usage after that is not in these figures yet.',
        '',
      ].join('\n'),
    );
  });

  it("prints the API's JSON as it is with --json", async () => {
    // Prepare
    const admin = fakeAdmin();

    // Act
    const result = await run(['usage', '--json'], admin.fetch);

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(REPORT);
  });

  it("warns with the server's message when the refresh fails, and shows the roll-ups already there", async () => {
    // Prepare
    const admin = fakeAdmin({ rollupStatus: 500 });

    // Act
    const result = await run(['usage'], admin.fetch);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("aigw: today's usage could not be summed just now (The table is not there.); showing the last roll-up.\n");
    expect(result.stdout).toContain('TOTAL');
    expect(admin.calls).toEqual([REFRESH, read()]);
  });

  it('warns when the refresh is slower than the timeout, and shows the roll-ups already there: the gateway answers', async () => {
    // Prepare: the roll-up, the one heavy call, outlasts the client's timeout; the read is quick.
    const admin = fakeAdmin();
    const slowRollup: typeof fetch = async (input, init) => {
      if (new URL(String(input)).pathname === '/admin/usage/rollup') {
        await admin.fetch(input, init);
        throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
      }
      return admin.fetch(input, init);
    };

    // Act
    const result = await run(['usage'], slowRollup);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("aigw: today's usage could not be summed just now (the gateway at http://gw:1 did not answer within 30 s); showing the last roll-up.\n");
    expect(result.stdout).toContain('TOTAL');
    expect(admin.calls).toEqual([REFRESH, read()]);
  });

  it('says once that the gateway is not running, not first as a refresh that failed', async () => {
    // Prepare: nothing listens at the URL.
    const calls: string[] = [];
    const refused: typeof fetch = async (input) => {
      calls.push(new URL(String(input)).pathname);
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8787'), { code: 'ECONNREFUSED' }) });
    };

    // Act
    const result = await run(['usage', '--by', 'model'], refused);

    // Assess
    expect(result).toEqual({ code: 1, stdout: '', stderr: "aigw: the gateway isn't running at http://gw:1 (connection refused). Check the URL (--url or GATEWAY_URL) and your network.\n" });
    expect(calls).toEqual(['/admin/usage/rollup']);
  });

  it('refuses a date that does not exist without calling the gateway', async () => {
    // Prepare
    const admin = fakeAdmin();

    // Act
    const result = await run(['usage', '--from', '2026-02-30'], admin.fetch);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('aigw: --from must be a date such as 2026-06-01 (YYYY-MM-DD, UTC), not "2026-02-30"\nRun `aigw usage --help` for usage.\n');
    expect(admin.calls).toEqual([]);
  });
});

describe('aigw against a Lambda function URL', () => {
  const URL_ = 'https://abc123.lambda-url.eu-west-1.on.aws';
  const saved = { ...process.env };

  /** A function URL that answers every signed request with no keys, and records how each was signed. */
  function fakeFunctionUrl() {
    const authorizations: string[] = [];
    const fetch: typeof globalThis.fetch = async (_input, init) => {
      authorizations.push(new Headers(init?.headers).get('authorization') ?? '');
      return Response.json({ data: [] });
    };
    return { authorizations, fetch };
  }

  async function runWithEnv(env: NodeJS.ProcessEnv, fetch: typeof globalThis.fetch, args = ['keys', 'list', '--json']) {
    const out = { stdout: '', stderr: '' };
    const code = await runCli([...args, '--url', URL_], { stdout: (t) => (out.stdout += t), stderr: (t) => (out.stderr += t), env, cwd: '/nonexistent', fetch, now: () => NOW });
    return { code, ...out };
  }

  beforeEach(() => {
    // The test process's own credentials, which the CLI must not see: its environment is io.env.
    // Nothing else the SDK's chain would find: no files, no instance metadata (a request off loopback).
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'AKIDPROCESS',
      AWS_SECRET_ACCESS_KEY: 'process-secret',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
      AWS_CONFIG_FILE: '/nonexistent/config',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
  });

  afterEach(() => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  });

  it('signs with the AWS keys of the environment it is given, not the process\'s, on the day of its clock', async () => {
    // Prepare
    const gateway = fakeFunctionUrl();

    // Act
    const result = await runWithEnv({ AWS_ACCESS_KEY_ID: 'AKIDGIVEN', AWS_SECRET_ACCESS_KEY: 'given-secret', AWS_SESSION_TOKEN: 'given-session' }, gateway.fetch);

    // Assess
    expect(result).toEqual({ code: 0, stdout: '[]\n', stderr: '' });
    expect(gateway.authorizations).toEqual([expect.stringMatching(/^AWS4-HMAC-SHA256 Credential=AKIDGIVEN\/20260615\/eu-west-1\/lambda\/aws4_request/)]);
  });

  it('does not sign with the process\'s AWS keys when the environment it is given has none', async () => {
    // Prepare
    const gateway = fakeFunctionUrl();

    // Act
    const result = await runWithEnv({}, gateway.fetch);

    // Assess
    expect(gateway.authorizations).toEqual([]);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toMatch(/^aigw: cannot sign the request for https:\/\/abc123\.lambda-url\.eu-west-1\.on\.aws with AWS credentials: /);
  });

  /**
   * Container credentials on loopback for the process, with a token and a token file both set,
   * which the SDK warns about (and then reads the file); `asked` counts the requests for them.
   */
  async function containerCredentials() {
    const dir = mkdtempSync(join(tmpdir(), 'aigw-container-'));
    writeFileSync(join(dir, 'token'), 'from-file');
    let asked = 0;
    const server = createServer((_req, res) => {
      asked += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ AccessKeyId: 'AKIDCONTAINER', SecretAccessKey: 's', Token: 't', Expiration: '2099-01-01T00:00:00Z' }));
    });
    const endpoint = await listenOnLoopback(server);
    Object.assign(process.env, { AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoint}/creds`, AWS_CONTAINER_AUTHORIZATION_TOKEN: 'inline', AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: join(dir, 'token') });
    return {
      asked: () => asked,
      close: async () => {
        await closeServer(server);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }

  it('passes on what the AWS SDK warns about the credentials it found, on its own stderr', async () => {
    // Prepare
    const container = await containerCredentials();
    const gateway = fakeFunctionUrl();

    // Act
    const result = await runWithEnv({}, gateway.fetch).finally(container.close);

    // Assess
    expect(gateway.authorizations).toEqual([expect.stringContaining('Credential=AKIDCONTAINER/')]);
    expect(result).toEqual({
      code: 0,
      stdout: '[]\n',
      stderr:
        'aigw: @aws-sdk/credential-provider-http: you have set both awsContainerAuthorizationToken and awsContainerAuthorizationTokenFile.\n' +
        'aigw: awsContainerAuthorizationTokenFile will take precedence.\n',
    });
  });

  it('finds the AWS credentials once for all the requests of a run, and warns once', async () => {
    // Prepare
    const container = await containerCredentials();
    const gateway = fakeFunctionUrl();

    // Act: the key table asks for the keys and the teams.
    const result = await runWithEnv({}, gateway.fetch, ['keys', 'list']).finally(container.close);

    // Assess
    expect(gateway.authorizations).toEqual([expect.stringContaining('Credential=AKIDCONTAINER/'), expect.stringContaining('Credential=AKIDCONTAINER/')]);
    expect(container.asked()).toBe(1);
    expect(result).toMatchObject({ code: 0, stderr: 'aigw: @aws-sdk/credential-provider-http: you have set both awsContainerAuthorizationToken and awsContainerAuthorizationTokenFile.\naigw: awsContainerAuthorizationTokenFile will take precedence.\n' });
  });
});
