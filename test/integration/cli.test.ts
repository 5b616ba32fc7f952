/**
 * Runs `aigw` against the admin API served over loopback on a dynalite-backed key store: most
 * cases in-process through runCli, with the environment and directory a spawned command would
 * have; a few as the real command (node bin/aigw.js, as `npx aigw` would), to prove the packaging.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createAdminApi } from '../../lib/admin/api';
import { runCli } from '../../lib/cli/main';
import { isStreamBody, type GatewayRequest } from '../../lib/http/types';
import { startDynalite, type EmbeddedDynamo } from '../../lib/local/dynalite';
import { ensureTable } from '../../lib/store/create-table';
import { createTableRef } from '../../lib/store/dynamo';
import { DynamoKeyStore } from '../../lib/store/keys';
import { hashKey } from '../../lib/access/api-key';
import { DynamoTeamStore } from '../../lib/store/teams';
import { spendPeriods } from '../../lib/access/spend-limits';
import { tableSpendReader } from '../../lib/store/budget-reads';
import type { TableRef } from '../../lib/store/dynamo';
import { DynamoSpendStore } from '../../lib/store/spend';
import { CLOSED_LOOPBACK_URLS } from '../fakes/closed-ports';

const AIGW = resolve(__dirname, '../../bin/aigw.js');
const ADMIN_TOKEN = 'test-admin-token';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Serves an admin API the way a door does: node:http in, GatewayRequest through, response out. */
function serveAdminApi(api: ReturnType<typeof createAdminApi>): Server {
  let requests = 0;
  return createServer(async (req: IncomingMessage, res) => {
    const url = new URL(req.url ?? '/', 'http://loopback');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    const request: GatewayRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers,
      body: req,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      requestId: `test-${++requests}`,
    };
    const response = await api.handle(request);
    res.writeHead(response.status, response.headers);
    if (isStreamBody(response.body)) for await (const chunk of response.body) res.write(chunk);
    else res.write(response.body);
    res.end();
  });
}

/** The environment of the test run without anything that would point the CLI elsewhere. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('GATEWAY_') && !name.startsWith('AWS_')));
  return { ...env, ...extra };
}

interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
}

/**
 * Set in the test process while the suite runs, for an in-process case to trip over if the CLI
 * read process.env and not its io.env (as a spawned command could not): they name a gateway that is
 * not there, a token it would refuse, and files that do not exist.
 */
const PROCESS_ONLY_ENV = { GATEWAY_URL: CLOSED_LOOPBACK_URLS[2], GATEWAY_ADMIN_TOKEN: 'the-test-process-token', GATEWAY_DATA_DIR: '/nonexistent/aigw-data', GATEWAY_CONFIG: '/nonexistent/gateway.config.json' };
const processEnvBefore = Object.fromEntries(Object.keys(PROCESS_ONLY_ENV).map((name) => [name, process.env[name]]));

/**
 * Runs aigw in-process, as the command would run it but without a node and tsx start of its own
 * (about a second each). Its output is captured whole; a bug that throws fails the test.
 */
async function aigw(args: string[], options: RunOptions = {}): Promise<Run> {
  const run = { stdout: '', stderr: '' };
  const code = await runCli(args, {
    stdout: (text) => (run.stdout += text),
    stderr: (text) => (run.stderr += text),
    env: cleanEnv(options.env ?? {}),
    cwd: options.cwd ?? tmp,
  });
  return { code, ...run };
}

/**
 * Runs the real command as a child process; never throws for a non-zero exit. Kept for the few
 * cases that prove what runCli alone cannot: that bin/aigw.js starts at all, that the exit code
 * reaches the shell, that output goes to the process's own stdout and stderr, and that the
 * process's directory is the one the token is looked for from.
 */
function spawnAigw(args: string[], options: RunOptions = {}): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    execFile(process.execPath, [AIGW, ...args], { env: cleanEnv(options.env ?? {}), cwd: options.cwd ?? tmp, timeout: 20_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolvePromise({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
    });
  });
}

let dynamo: EmbeddedDynamo;
let table: TableRef;
let server: Server;
let gatewayUrl: string;
let tmp: string;
/** The env that reaches the test gateway with the right token. */
let env: Record<string, string>;
/**
 * The admin API's clock, held still: the budgets' counters it reads are of its day, which must be
 * the day they were written on, however late in a UTC day the run starts.
 */
const NOW = Date.now();

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'aigw-cli-'));
  dynamo = await startDynalite();
  table = createTableRef({ tableName: 'aigw-cli-test', endpoint: dynamo.endpoint });
  await ensureTable(table);
  server = serveAdminApi(createAdminApi({ keys: new DynamoKeyStore(table), teams: new DynamoTeamStore(table), token: ADMIN_TOKEN, now: () => new Date(NOW), spend: tableSpendReader(table), names: { guardrailSets: ['strict'], paramPolicies: ['ci', 'contractors'] } }));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  gatewayUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  env = { GATEWAY_URL: gatewayUrl, GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN };
  Object.assign(process.env, PROCESS_ONLY_ENV);
});

afterAll(async () => {
  for (const [name, value] of Object.entries(processEnvBefore)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
  await dynamo.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('aigw keys', () => {
  let created: { id: string; key: string; name: string; prefix: string; models: string[]; status: string; expiresAt?: string };
  let printedKey: string;

  it('creates a key and prints it once, with the warning to store it', async () => {
    // Act
    const run = await aigw(['keys', 'create', '--name', 'alice', '--models', 'gpt-4o*,claude-*'], { env });

    // Assess
    expect(run).toMatchObject({ code: 0, stderr: '' });
    printedKey = /^\s+(sk-gw-\S+)$/m.exec(run.stdout)?.[1] ?? '';
    expect(printedKey).toMatch(/^sk-gw-[A-Za-z0-9_-]{43}$/);
    expect(run.stdout).toContain('it will not be shown again');
    expect(run.stdout).toContain('models:  gpt-4o*,claude-*');
  });

  it('prints the API object with --json, taking --url and --token as options', async () => {
    // Act
    const run = await aigw(['keys', 'create', '--name', 'bob', '--expires', '2030-01-01', '--json', '--url', gatewayUrl, '--token', ADMIN_TOKEN]);

    // Assess
    expect(run.code).toBe(0);
    created = JSON.parse(run.stdout);
    expect(created).toMatchObject({ name: 'bob', models: ['*'], status: 'active', expiresAt: '2030-01-01T00:00:00.000Z' });
    expect(created.id).toMatch(/^key_/);
    expect(created.key).toMatch(/^sk-gw-/);
  });

  it('lists the keys in a table that shows prefixes but never a key', async () => {
    // Act
    const run = await aigw(['keys', 'list'], { env });

    // Assess
    expect(run.code).toBe(0);
    const [header, ...rows] = run.stdout.trimEnd().split('\n');
    expect(header!.split(/\s{2,}/)).toEqual(['ID', 'NAME', 'TEAM', 'PREFIX', 'MODELS', 'LIMITS', 'SPENT', 'IPS', 'AUDIT', 'GUARDRAILS', 'PARAMS', 'STATUS', 'CREATED', 'EXPIRES', 'ROTATED']);
    const bob = rows.find((r) => r.startsWith(created.id));
    expect(bob).toBeDefined();
    expect(bob!.split(/\s{2,}/)).toEqual([created.id, 'bob', '-', created.prefix, '*', '-', '-', 'any', '-', '-', '-', 'active', expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\dZ$/), '2030-01-01 00:00Z', '-']);
    expect(rows.some((r) => r.includes('alice') && r.includes('gpt-4o*,claude-*'))).toBe(true);
    expect(run.stdout).not.toContain(printedKey);
    expect(run.stdout).not.toContain(created.key);
  });

  it('lists the keys as the JSON array with --json', async () => {
    // Act
    const run = await aigw(['keys', 'list', '--json'], { env });

    // Assess
    expect(run.code).toBe(0);
    const keys = JSON.parse(run.stdout) as { id: string; name: string }[];
    expect(keys.map((k) => k.name).sort()).toEqual(['alice', 'bob']);
    expect(run.stdout).not.toContain(created.key);
    expect(run.stdout).not.toContain('"hash"');
  });

  it('revokes a key, which the list then shows', async () => {
    // Act
    const revoke = await aigw(['keys', 'revoke', created.id, '--json'], { env });
    const list = await aigw(['keys', 'list', '--json'], { env });

    // Assess
    expect(revoke.code).toBe(0);
    expect(JSON.parse(revoke.stdout)).toMatchObject({ id: created.id, status: 'revoked' });
    expect((JSON.parse(list.stdout) as { id: string; status: string }[]).find((k) => k.id === created.id)?.status).toBe('revoked');
  });

  it('says the token was refused, where it came from and which one to use, when the token is wrong', async () => {
    // Act: spawned, so exit 1 is seen reaching the shell and the message on the process's stderr alone.
    const run = await spawnAigw(['keys', 'list', '--token', 'wrong'], { env });

    // Assess
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: `aigw: the gateway at ${gatewayUrl} refused the admin token from --token. Use the one it was started with: its GATEWAY_ADMIN_TOKEN, else the admin-token file in its data dir (.data/admin-token by default).\n`,
    });
  });

  it('says no admin token was found, and where to get one, when run away from the data dir', async () => {
    // Prepare: a data dir without admin-token, and no token in the environment. It is given as an
    // absolute GATEWAY_DATA_DIR, the one place looked in: a relative one is looked for in every
    // directory up to the root, where a stray .data/admin-token on the machine would be found.
    const cwd = join(tmp, 'elsewhere');
    mkdirSync(cwd, { recursive: true });

    // Act
    const run = await aigw(['keys', 'list'], { env: { GATEWAY_URL: gatewayUrl, GATEWAY_DATA_DIR: join(cwd, '.data') }, cwd });

    // Assess
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: `aigw: the gateway at ${gatewayUrl} needs an admin token, and none was found: pass --token, set GATEWAY_ADMIN_TOKEN, or run aigw in or below the directory where \`npm start\` wrote .data/admin-token.\n`,
    });
  });

  it('says the gateway is not running, and how to start it, when nothing listens at the URL', async () => {
    // Prepare
    const [url] = CLOSED_LOOPBACK_URLS;

    // Act
    const run = await aigw(['keys', 'list', '--url', url, '--token', ADMIN_TOKEN]);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`the gateway isn't running at ${url}`);
    expect(run.stderr).toContain('npm start');
  });

  it('reads the admin token from the file in GATEWAY_DATA_DIR that the local server writes', async () => {
    // Prepare
    const cwd = join(tmp, 'project');
    mkdirSync(join(cwd, 'state'), { recursive: true });
    writeFileSync(join(cwd, 'state', 'admin-token'), `${ADMIN_TOKEN}\n`);

    // Act
    const run = await aigw(['keys', 'list', '--json'], { env: { GATEWAY_URL: gatewayUrl, GATEWAY_DATA_DIR: 'state' }, cwd });

    // Assess
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toHaveLength(2);
  });

  it('reads .data/admin-token from the directory above, when run in a subdirectory of the checkout', async () => {
    // Prepare
    const checkout = join(tmp, 'checkout');
    mkdirSync(join(checkout, '.data'), { recursive: true });
    mkdirSync(join(checkout, 'lib', 'cli'), { recursive: true });
    writeFileSync(join(checkout, '.data', 'admin-token'), `${ADMIN_TOKEN}\n`);

    // Act: spawned, so the directory looked up from is the process's own, as bin/aigw.ts passes it.
    const run = await spawnAigw(['keys', 'list', '--json'], { env: { GATEWAY_URL: gatewayUrl }, cwd: join(checkout, 'lib', 'cli') });

    // Assess
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toHaveLength(2);
  });
});

describe('aigw keys rotate', () => {
  const MINUTE = /\d{4}-\d\d-\d\d \d\d:\d\dZ/.source;
  let id: string;
  let first: string;
  let second: string;
  const keyUnder = async (secret: string) => (await new DynamoKeyStore(table).getByHash(hashKey(secret)))?.id;

  beforeAll(async () => {
    const created = JSON.parse((await aigw(['keys', 'create', '--name', 'carol', '--rpm', '7', '--json'], { env })).stdout) as { id: string; key: string };
    ({ id, key: first } = created);
  });

  it('prints a new secret once for the same key, and both secrets find the key during the grace', async () => {
    // Act
    const run = await aigw(['keys', 'rotate', id, '--grace', '1h'], { env });

    // Assess
    expect(run).toMatchObject({ code: 0, stderr: '' });
    second = /^\s+(sk-gw-\S+)$/m.exec(run.stdout)?.[1] ?? '';
    expect(second).toMatch(/^sk-gw-[A-Za-z0-9_-]{43}$/);
    expect(second).not.toBe(first);
    expect(run.stdout).toContain(`Rotated key ${id} (carol)`);
    expect(run.stdout).toContain('limits:  7 rpm');
    expect(run.stdout).toMatch(new RegExp(`The old secret keeps working until ${MINUTE}; then it is refused like a revoked key.`));
    expect(await keyUnder(first)).toBe(id);
    expect(await keyUnder(second)).toBe(id);
  });

  it('shows when the key was rotated and until when its old secret works, in show and list', async () => {
    // Act
    const show = await aigw(['keys', 'show', id], { env });
    const list = await aigw(['keys', 'list'], { env });

    // Assess
    expect(show.stdout).toMatch(new RegExp(`\n  rotated: ${MINUTE}, old secret until ${MINUTE}\n`));
    const row = list.stdout.split('\n').find((r) => r.startsWith(`${id} `));
    expect(row?.split(/\s{2,}/).at(-1)).toMatch(new RegExp(`^${MINUTE}, old secret until ${MINUTE}$`));
    expect(list.stdout.split('\n').filter((r) => r.startsWith(`${id} `))).toHaveLength(1);
  });

  it('with --grace 0 --json leaves only the newest secret working, and prints the API object', async () => {
    // Act
    const run = await aigw(['keys', 'rotate', id, '--grace', '0', '--json'], { env });

    // Assess
    expect(run.code).toBe(0);
    const rotated = JSON.parse(run.stdout) as { id: string; key: string; rotatedAt: string; previousExpiresAt?: string };
    expect(rotated).toMatchObject({ id, name: 'carol', limits: { requestsPerMinute: 7 } });
    expect(rotated.previousExpiresAt).toBeUndefined();
    expect(run.stdout).not.toContain('ash"');
    expect(await keyUnder(first)).toBeUndefined();
    expect(await keyUnder(second)).toBeUndefined();
    expect(await keyUnder(rotated.key)).toBe(id);
  });

  it('refuses a bad --grace before calling the gateway, and a revoked key with the server\'s message', async () => {
    // Act
    const bad = await aigw(['keys', 'rotate', id, '--grace', 'soon'], { env });
    await aigw(['keys', 'revoke', id], { env });
    const revoked = await aigw(['keys', 'rotate', id], { env });

    // Assess
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--grace must be 0 or a duration');
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toContain('is revoked: a revoked key is not given a new secret');
  });

  it('flags a key for the audit log with --audit on, shows it, and clears it with --audit off', async () => {
    // Act
    const made = JSON.parse((await aigw(['keys', 'create', '--name', 'legal', '--audit', 'on', '--json'], { env })).stdout) as { id: string; audit?: boolean };
    const shown = await aigw(['keys', 'show', made.id], { env });
    const cleared = JSON.parse((await aigw(['keys', 'update', made.id, '--audit', 'off', '--json'], { env })).stdout) as { audit?: boolean };
    await aigw(['keys', 'revoke', made.id], { env });

    // Assess
    expect(made.audit).toBe(true);
    expect(shown.stdout).toContain('  audit:   on\n');
    expect(cleared).not.toHaveProperty('audit');
  });
});

describe('aigw keys limits', () => {
  // Runs after the tests above, whose key counts it would otherwise change.
  let carolId: string;
  let erinId: string;

  /** The LIMITS cell of a key's row in `keys list`. */
  async function listedLimits(id: string): Promise<string | undefined> {
    const run = await aigw(['keys', 'list'], { env });
    expect(run.code).toBe(0);
    const row = run.stdout.split('\n').find((r) => r.startsWith(`${id} `));
    return row?.split(/\s{2,}/)[5];
  }

  it('creates a key with per-minute limits and shows them', async () => {
    // Act
    const run = await aigw(['keys', 'create', '--name', 'carol', '--rpm', '60', '--tpm', '90000'], { env });

    // Assess
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain('  limits:  60 rpm, 90000 tpm\n');
    carolId = /^Created key (key_\w+) \(carol\)$/m.exec(run.stdout)?.[1] ?? '';
    expect(carolId).toMatch(/^key_/);
  });

  it('lists the limits of each key, and - for a key without', async () => {
    // Act
    const carol = await listedLimits(carolId);
    const run = await aigw(['keys', 'list'], { env });

    // Assess
    expect(carol).toBe('60 rpm, 90000 tpm');
    const alice = run.stdout.split('\n').find((r) => r.includes(' alice '));
    expect(alice?.split(/\s{2,}/)[5]).toBe('-');
  });

  it('changes one limit and keeps the other', async () => {
    // Act
    const run = await aigw(['keys', 'update', carolId, '--rpm', '120'], { env });

    // Assess
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain(`Updated key ${carolId} (carol)\n`);
    expect(run.stdout).toContain('  limits:  120 rpm, 90000 tpm\n');
    expect(await listedLimits(carolId)).toBe('120 rpm, 90000 tpm');
  });

  it('removes a limit with off, printing the API object with --json', async () => {
    // Act
    const run = await aigw(['keys', 'update', carolId, '--tpm', 'off', '--name', 'carol-2', '--json'], { env });

    // Assess
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const updated = JSON.parse(run.stdout) as { id: string; name: string; limits?: Record<string, number>; key?: string };
    expect(updated).toMatchObject({ id: carolId, name: 'carol-2', limits: { requestsPerMinute: 120 } });
    expect(updated.limits).not.toHaveProperty('tokensPerMinute');
    expect(updated).not.toHaveProperty('key');
    expect(await listedLimits(carolId)).toBe('120 rpm');
  });

  it('shows none when the last limit is removed', async () => {
    // Act
    const run = await aigw(['keys', 'update', carolId, '--rpm', 'off'], { env });

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('  limits:  none\n');
    expect(await listedLimits(carolId)).toBe('-');
  });

  it('creates a key with budgets, taking an amount with or without its $, and shows them', async () => {
    // Act
    const run = await aigw(['keys', 'create', '--name', 'erin', '--rpm', '60', '--usd-per-day', '2.5', '--usd-per-month', '$100'], { env });

    // Assess
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain('  limits:  60 rpm, $2.50/day, $100.00/month\n');
    erinId = /^Created key (key_\w+) \(erin\)$/m.exec(run.stdout)?.[1] ?? '';
    expect(erinId).toMatch(/^key_/);
  });

  it('lists the budgets of a key and returns them in USD with --json', async () => {
    // Act
    const listed = await listedLimits(erinId);
    const run = await aigw(['keys', 'list', '--json'], { env });

    // Assess
    expect(listed).toBe('60 rpm, $2.50/day, $100.00/month');
    const erin = (JSON.parse(run.stdout) as { id: string; limits?: Record<string, number> }[]).find((k) => k.id === erinId);
    expect(erin?.limits).toEqual({ requestsPerMinute: 60, usdPerDay: 2.5, usdPerMonth: 100 });
  });

  it('changes one budget to a fraction of a cent and removes the other with off', async () => {
    // Act
    const run = await aigw(['keys', 'update', erinId, '--usd-per-day', 'off', '--usd-per-month', '0.0042'], { env });

    // Assess
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain('  limits:  60 rpm, $0.0042/month\n');
    expect(await listedLimits(erinId)).toBe('60 rpm, $0.0042/month');
  });

  it.each([
    [['keys', 'create', '--name', 'dave', '--rpm', '0'], '--rpm must be a whole number of at least 1, not "0"'],
    [['keys', 'create', '--name', 'dave', '--tpm', 'off'], '--tpm off only applies to keys update'],
    [['keys', 'update', 'key_x', '--tpm', '1.5'], '--tpm must be a whole number of at least 1, or off to remove the limit, not "1.5"'],
    [['keys', 'update', 'key_x'], 'keys update needs something to change'],
    [['keys', 'create', '--name', 'dave', '--usd-per-day', '0'], '--usd-per-day must be a USD amount such as 5, 2.50 or $0.01'],
    [['keys', 'create', '--name', 'dave', '--usd-per-month', '1e3'], '--usd-per-month must be a USD amount'],
    [['keys', 'create', '--name', 'dave', '--usd-per-day', 'off'], '--usd-per-day off only applies to keys update'],
    [['keys', 'update', 'key_x', '--usd-per-day', '0.0000001'], '--usd-per-day must be a USD amount such as 5, 2.50 or $0.01: more than 0 and at most 1000000000, with up to 6 decimal places, or off to remove the limit, not "0.0000001"'],
  ])('refuses %j with exit 2 before calling the gateway', async (args, message) => {
    // Act: nothing listens on port 9, so a request would fail with exit 1 instead.
    const run = await aigw(args, { env: { GATEWAY_URL: 'http://127.0.0.1:9', GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN } });

    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`aigw: ${message}`);
    expect(run.stderr).toContain('Run `aigw keys --help` for usage.');
  });

  it("fails with the server's message when the key does not exist", async () => {
    // Act
    const run = await aigw(['keys', 'update', 'key_nope', '--rpm', '5'], { env });

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('aigw: No key with id "key_nope".\n');
  });
});

describe('aigw keys address lists', () => {
  // Runs after the tests above, whose key counts it would otherwise change.
  let frankId: string;

  /** The IPS cell of a key's row in `keys list`. */
  async function listedIps(id: string): Promise<string | undefined> {
    const run = await aigw(['keys', 'list'], { env });
    expect(run.code).toBe(0);
    return run.stdout
      .split('\n')
      .find((r) => r.startsWith(`${id} `))
      ?.split(/\s{2,}/)[7];
  }

  it('creates a key usable only from the addresses given, and shows them', async () => {
    // Act
    const run = await aigw(['keys', 'create', '--name', 'frank', '--ips', '10.0.0.0/8,2001:db8::/32,203.0.113.7'], { env });

    // Assess
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain('  ips:     10.0.0.0/8,2001:db8::/32,203.0.113.7\n');
    frankId = /^Created key (key_\w+) \(frank\)$/m.exec(run.stdout)?.[1] ?? '';
    expect(await listedIps(frankId)).toBe('10.0.0.0/8,2001:db8::/32 +1 more');
  });

  it('replaces the list, then removes it with off', async () => {
    // Act
    const replaced = await aigw(['keys', 'update', frankId, '--ips', '::1', '--json'], { env });
    const removed = await aigw(['keys', 'update', frankId, '--ips', 'off'], { env });

    // Assess
    expect(JSON.parse(replaced.stdout)).toMatchObject({ id: frankId, allowedIps: ['::1'] });
    expect(removed).toMatchObject({ code: 0, stderr: '' });
    expect(removed.stdout).toContain('  ips:     any\n');
    expect(await listedIps(frankId)).toBe('any');
  });

  it.each([
    [['keys', 'create', '--name', 'gina', '--ips', '10.0.0.0/33'], '--ips: "10.0.0.0/33" is an IPv4 range whose prefix length is not a whole number from 0 to 32'],
    [['keys', 'update', 'key_x', '--ips', '10.0.0.0/8,office'], '--ips: "office" is not an IPv4 or IPv6 address or CIDR range'],
    [['keys', 'create', '--name', 'gina', '--ips', 'off'], '--ips off only applies to keys update'],
  ])('refuses %j with exit 2 before calling the gateway', async (args, message) => {
    // Act: nothing listens on port 9, so a request would fail with exit 1 instead.
    const run = await aigw(args, { env: { GATEWAY_URL: 'http://127.0.0.1:9', GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN } });

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`aigw: ${message}`);
  });
});

describe('aigw teams', () => {
  let teamId: string;
  let memberId: string;

  /** A key's row in `keys list`, split into its cells. */
  async function listedKey(id: string): Promise<string[] | undefined> {
    const run = await aigw(['keys', 'list'], { env });
    expect(run.code).toBe(0);
    return run.stdout
      .split('\n')
      .find((r) => r.startsWith(`${id} `))
      ?.split(/\s{2,}/);
  }

  it('creates a team with patterns and limits, and prints how to give it keys', async () => {
    // Act
    const run = await aigw(['teams', 'create', '--name', 'platform', '--models', 'gpt-*', '--rpm', '50', '--usd-per-day', '20'], { env });

    // Assess
    expect(run).toMatchObject({ code: 0, stderr: '' });
    teamId = /^Created team (team_\w+) \(platform\)$/m.exec(run.stdout)?.[1] ?? '';
    expect(teamId).toMatch(/^team_/);
    expect(run.stdout).toContain('  models:  gpt-*\n');
    expect(run.stdout).toContain('  limits:  50 rpm, $20.00/day\n');
    expect(run.stdout).toContain(`aigw keys create --name NAME --team ${teamId}`);
  });

  it('lists teams in a table with their limits, and as JSON', async () => {
    // Act
    const table = await aigw(['teams', 'list'], { env });
    const json = await aigw(['teams', 'list', '--json'], { env });

    // Assess
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header!.split(/\s{2,}/)).toEqual(['ID', 'NAME', 'MODELS', 'LIMITS', 'SPENT', 'AUDIT', 'GUARDRAILS', 'PARAMS', 'CREATED']);
    expect(rows.find((r) => r.startsWith(teamId))?.split(/\s{2,}/).slice(0, 4)).toEqual([teamId, 'platform', 'gpt-*', '50 rpm, $20.00/day']);
    expect(JSON.parse(json.stdout)).toContainEqual(expect.objectContaining({ id: teamId, name: 'platform', models: ['gpt-*'], limits: { requestsPerMinute: 50, usdPerDay: 20 } }));
  });

  it('creates a key in the team, which keys list shows by the team\'s name', async () => {
    // Act
    const run = await aigw(['keys', 'create', '--name', 'member', '--team', teamId, '--json'], { env });
    memberId = JSON.parse(run.stdout).id;

    // Assess
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).teamId).toBe(teamId);
    expect((await listedKey(memberId))?.[2]).toBe('platform');
  });

  it('refuses a key for a team that does not exist, with the server\'s message', async () => {
    // Act
    const run = await aigw(['keys', 'create', '--name', 'stray', '--team', 'team_nope'], { env });

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('aigw: No team with id "team_nope".\n');
  });

  it('changes a team\'s limit, removes its patterns with off, and keeps the rest', async () => {
    // Act
    const run = await aigw(['teams', 'update', teamId, '--rpm', '100', '--models', 'off', '--json'], { env });

    // Assess
    expect(run.code).toBe(0);
    const team = JSON.parse(run.stdout);
    expect(team).toMatchObject({ id: teamId, name: 'platform', limits: { requestsPerMinute: 100, usdPerDay: 20 } });
    expect(team).not.toHaveProperty('models');
  });

  it('refuses to delete a team with an active key, saying how many, and deletes it once the key has left', async () => {
    // Act
    const refused = await aigw(['teams', 'delete', teamId], { env });
    const left = await aigw(['keys', 'update', memberId, '--no-team'], { env });
    const deleted = await aigw(['teams', 'delete', teamId], { env });
    const listed = await aigw(['teams', 'list', '--json'], { env });

    // Assess
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Team "platform" still has 1 active key');
    expect(left.code).toBe(0);
    expect((await listedKey(memberId))?.[2]).toBe('-');
    expect(deleted).toMatchObject({ code: 0, stdout: expect.stringContaining(`Deleted team ${teamId} (platform)`) });
    expect(JSON.parse(listed.stdout).map((t: { id: string }) => t.id)).not.toContain(teamId);
  });
});

describe('aigw spend against budgets', () => {
  // Runs after the tests above: it adds keys and teams with budgets to the lists they read.
  let keyId: string;
  let teamId: string;
  const batchReads: string[] = [];

  beforeAll(() => {
    table.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'BatchGetItemCommand') batchReads.push(context.commandName);
        return next(args);
      },
      { step: 'initialize', name: 'countBatchReads' },
    );
  });

  /** Adds to a budget's counter as calls settling would. */
  async function spend(scopeId: string, limits: { usdPerDay?: number; usdPerMonth?: number }, micros: number): Promise<void> {
    for (const period of spendPeriods(limits, NOW)) await new DynamoSpendStore(table).adjust(scopeId, period, micros);
  }

  it('shows the budget nearest its limit in keys list, and - for keys without one, in one batch read', async () => {
    // Prepare
    keyId = JSON.parse((await aigw(['keys', 'create', '--name', 'spender', '--usd-per-day', '5', '--usd-per-month', '50', '--json'], { env })).stdout).id;
    await spend(keyId, { usdPerDay: 5, usdPerMonth: 50 }, 3_200_000);
    batchReads.length = 0;

    // Act
    const run = await aigw(['keys', 'list'], { env });
    const readsForList = batchReads.length;

    // Assess
    expect(run.code).toBe(0);
    // Every key's counters in one BatchGetItem (the teams listed for names have no budgets: none for them).
    expect(readsForList).toBe(1);
    const cells = (id: string) => run.stdout.split('\n').find((r) => r.startsWith(`${id} `))?.split(/\s{2,}/);
    expect(cells(keyId)?.slice(5, 7)).toEqual(['$5.00/day, $50.00/month', '$3.20/$5.00 day']);
    expect(cells(JSON.parse((await aigw(['keys', 'list', '--json'], { env })).stdout).find((k: { name: string }) => k.name === 'bob').id)?.[6]).toBe('-');
  });

  it('shows each budget of a key with keys show, and the figures with --json', async () => {
    // Act
    const text = await aigw(['keys', 'show', keyId], { env });
    const json = await aigw(['keys', 'show', keyId, '--json'], { env });

    // Assess
    expect(text.code).toBe(0);
    const today = new Date(NOW).toISOString().slice(0, 10);
    expect(text.stdout).toContain(`  spent:   $3.20 of $5.00 today (${today}, 64%), starts afresh `);
    expect(text.stdout).toContain(`           $3.20 of $50.00 this month (${today.slice(0, 7)}, 6.4%), starts afresh `);
    expect(JSON.parse(json.stdout).spend).toEqual([
      { kind: 'day', periodId: today, limitMicros: 5_000_000, usedMicros: 3_200_000, fraction: 0.64, resetsAt: expect.stringMatching(/T00:00:00.000Z$/) },
      { kind: 'month', periodId: today.slice(0, 7), limitMicros: 50_000_000, usedMicros: 3_200_000, fraction: 0.064, resetsAt: expect.stringMatching(/-01T00:00:00.000Z$/) },
    ]);
  });

  it('shows a team\'s spend in teams list and teams show', async () => {
    // Prepare
    teamId = JSON.parse((await aigw(['teams', 'create', '--name', 'budgeted', '--usd-per-month', '100', '--json'], { env })).stdout).id;
    await spend(teamId, { usdPerMonth: 100 }, 81_000_000);

    // Act
    const list = await aigw(['teams', 'list'], { env });
    const show = await aigw(['teams', 'show', teamId], { env });

    // Assess
    expect(list.stdout.split('\n').find((r) => r.startsWith(teamId))?.split(/\s{2,}/)[4]).toBe('$81.00/$100.00 month');
    expect(show).toMatchObject({ code: 0, stdout: expect.stringContaining(`Team ${teamId} (budgeted)`) });
    expect(show.stdout).toContain('  spent:   $81.00 of $100.00 this month (');
  });

  it('reads no counter for a key or a team without budgets', async () => {
    // Prepare
    const plainTeam = JSON.parse((await aigw(['teams', 'create', '--name', 'plain', '--rpm', '10', '--json'], { env })).stdout).id;
    const plainKey = JSON.parse((await aigw(['keys', 'create', '--name', 'plain', '--json'], { env })).stdout).id;
    batchReads.length = 0;

    // Act
    const team = await aigw(['teams', 'show', plainTeam], { env });
    const key = await aigw(['keys', 'show', plainKey, '--json'], { env });

    // Assess
    expect(team.stdout).toContain('  spent:   - (no budget)');
    expect(JSON.parse(key.stdout)).not.toHaveProperty('spend');
    expect(batchReads).toEqual([]);
  });

  it('needs the ID for keys show', async () => {
    expect(await aigw(['keys', 'show'], { env })).toMatchObject({ code: 2, stderr: expect.stringContaining('keys show needs the ID of a key') });
  });
});

describe('aigw rule sets and parameter policies', () => {
  it('gives a team and a key a rule set and a policy, shows them in both lists (text and JSON), and drops the key\'s own', async () => {
    // Act
    const team = JSON.parse((await aigw(['teams', 'create', '--name', 'contractors', '--guardrails', 'strict', '--params', 'contractors', '--json'], { env })).stdout) as { id: string };
    const key = JSON.parse((await aigw(['keys', 'create', '--name', 'ci', '--team', team.id, '--guardrails', 'off', '--params', 'ci', '--json'], { env })).stdout) as { id: string };
    const teams = await aigw(['teams', 'list'], { env });
    const keys = await aigw(['keys', 'list'], { env });
    const keysJson = JSON.parse((await aigw(['keys', 'list', '--json'], { env })).stdout) as { id: string }[];
    const dropped = await aigw(['keys', 'update', key.id, '--guardrails', 'on', '--params', 'off', '--json'], { env });

    // Assess
    const teamRow = teams.stdout.split('\n').find((r) => r.startsWith(`${team.id} `))!.split(/\s{2,}/);
    const keyRow = keys.stdout.split('\n').find((r) => r.startsWith(`${key.id} `))!.split(/\s{2,}/);
    expect(teamRow.slice(5, 8)).toEqual(['-', 'strict', 'contractors']);
    expect(keyRow.slice(8, 11)).toEqual(['-', 'off', 'ci']);
    expect(keysJson.find((k) => k.id === key.id)).toMatchObject({ guardrails: 'off', params: 'ci', teamId: team.id });
    expect(JSON.parse(dropped.stdout)).not.toHaveProperty('guardrails');
    expect(JSON.parse(dropped.stdout)).not.toHaveProperty('params');
  });

  it('refuses a set or a policy the gateway\'s config does not have, with the server\'s message', async () => {
    const set = await aigw(['keys', 'create', '--name', 'typo', '--guardrails', 'stritc'], { env });
    const policy = await aigw(['teams', 'create', '--name', 'typo', '--params', 'nightly'], { env });

    expect(set).toMatchObject({ code: 1, stderr: 'aigw: The config has no guardrail rule set "stritc"; guardrails is "on", "off" or one of guardrails.sets: "strict".\n' });
    expect(policy).toMatchObject({ code: 1, stderr: 'aigw: The config has no request parameter policy "nightly"; params is one of paramPolicies: "ci", "contractors".\n' });
  });
});

describe('aigw config check', () => {
  const config = (targetProvider: string) => ({
    providers: [{ id: 'openai', type: 'openai', accounts: [{ id: 'main', apiKey: { env: 'OPENAI_API_KEY' } }] }],
    models: [
      { name: 'gpt-4o', targets: [{ provider: targetProvider, model: 'gpt-4o' }] },
      { name: 'gpt-4o-mini', targets: [{ provider: 'openai', model: 'gpt-4o-mini' }] },
    ],
  });

  it('sums up a valid config without a server, finding it through GATEWAY_CONFIG', async () => {
    // Prepare
    writeFileSync(join(tmp, 'good.json'), JSON.stringify(config('openai')));

    // Act: spawned, so bin/aigw.js is seen to start at all, exit 0 and write to the process's stdout.
    const run = await spawnAigw(['config', 'check'], { env: { GATEWAY_CONFIG: 'good.json', GATEWAY_URL: 'http://127.0.0.1:9' } });

    // Assess
    expect(run).toEqual({ code: 0, stdout: 'ok: 1 provider, 2 models\n', stderr: '' });
  });

  it('names the bad field of an invalid config and exits 1', async () => {
    // Prepare
    writeFileSync(join(tmp, 'bad.json'), JSON.stringify(config('nope')));

    // Act
    const run = await aigw(['config', 'check', join(tmp, 'bad.json')]);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('models[0].targets[0].provider: no provider with id "nope"');
  });

  it('says there is no gateway.config.json where it looked, and how to make one, on a fresh checkout', async () => {
    // Prepare: a directory with the example only, as a fresh clone has.
    const cwd = join(tmp, 'fresh-checkout');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, 'gateway.config.example.json'), JSON.stringify(config('openai')));

    // Act
    const run = await aigw(['config', 'check'], { cwd });

    // Assess
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: `aigw: no gateway.config.json in ${cwd}: copy the example (cp gateway.config.example.json gateway.config.json), or name a file: aigw config check FILE\n`,
    });
  });

  it('says a file it was told to check does not exist, in a few words', async () => {
    // Act
    const run = await aigw(['config', 'check', 'missing.json']);

    // Assess
    expect(run).toEqual({ code: 1, stdout: '', stderr: `aigw: cannot read config file ${join(tmp, 'missing.json')}: no such file\n` });
  });
});

describe('aigw usage text', () => {
  it('prints usage on stderr and exits 2 for an unknown command', async () => {
    // Act: spawned, so exit 2 is seen reaching the shell.
    const run = await spawnAigw(['frobnicate']);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('unknown command: frobnicate');
    expect(run.stderr).toContain('aigw keys create --name NAME');
    expect(run.stderr).toContain('aigw usage [--from DATE] [--to DATE] [--key ID] [--team ID]');
    expect(run.stderr).toContain('aigw teams create --name NAME');
  });
});
