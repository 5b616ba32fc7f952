import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

/** Runs what `npm start` runs, in a fresh directory, and collects its output. */
function start(env: Record<string, string>, cwd: string): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(TSX, [join(ROOT, 'lib/local/main.ts')], { cwd, env: { PATH: process.env.PATH!, HOME: cwd, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

const made: string[] = [];

/** A directory of its own for one start, removed after the file's tests (each test has stopped its server). */
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-start-'));
  made.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

async function waitFor(check: () => RegExpMatchArray | null, ms = 15_000): Promise<RegExpMatchArray> {
  const until = Date.now() + ms;
  for (;;) {
    const m = check();
    if (m) return m;
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('npm start', () => {
  it('serves the gateway with data and an admin token in the data dir, and says how to get a key', async () => {
    const dir = freshDir();
    const run = start({ PORT: '0', OPENAI_API_KEY: 'sk-test', GATEWAY_DATA_DIR: join(dir, 'data') }, dir);
    try {
      const [, url] = await waitFor(() => run.output().match(/aigw listening on (http:\/\/127\.0\.0\.1:\d+)/));

      const health = await fetch(`${url}/health`);
      const keys = await fetch(`${url}/admin/keys`);

      expect(health.status).toBe(200);
      expect(keys.status).toBe(401);
      expect(run.output()).toContain('config: environment variables OPENAI_API_KEY (1 provider(s); models: gpt-4o-mini, gpt-4o, gpt-4.1, gpt-4.1-mini, o4-mini)');
      expect(run.output()).toContain(`embedded dynalite, data in ${join(dir, 'data', 'dynamodb')}`);
      // The line to create a key, run as printed (with this checkout's aigw for npx's), reaches this server.
      const [, printed] = run.output().match(/^Create a key: +(.+)$/m)!;
      expect(printed).toBe(`GATEWAY_URL=${url} GATEWAY_DATA_DIR=${join(dir, 'data')} npx aigw keys create --name me`);
      const created = await new Promise<string>((resolve, reject) =>
        execFile('sh', ['-c', printed!.replace('npx aigw', `node ${join(ROOT, 'bin/aigw.js')}`)], { cwd: dir, env: { PATH: process.env.PATH! } }, (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout))),
      );
      expect(created).toMatch(/^Created key key_\w+ \(me\)$/m);
      // The config built from variables has no prices: keys with a budget would be refused every model.
      expect(run.output()).toContain('  prices: none for gpt-4o-mini, gpt-4o, gpt-4.1, gpt-4.1-mini, o4-mini (no `price` in the config): their cost is not counted, and keys with a budget may not use them\n');
    } finally {
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    }
  });

  it('explains what to do when there is no config', async () => {
    const dir = freshDir();

    const run = start({ PORT: '0' }, dir);

    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/No gateway config: create gateway\.config\.json/);
  });

  it('refuses a bad config file, naming the field', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'gateway.config.json'), JSON.stringify({ providers: [{ id: 'x', type: 'openai', accounts: [{ id: 'a', apiKey: { env: 'K' } }] }], models: [{ name: 'm', targets: [{ provider: 'nope', model: 'm' }] }] }));

    const run = start({ PORT: '0' }, dir);

    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('models[0].targets[0].provider: no provider with id "nope"');
  });

  it('names the provider variable set wrong, and what it needs, exiting 1', async () => {
    // Prepare: the README's Ollama line with its second half left off.
    const dir = freshDir();

    // Act
    const run = start({ PORT: '0', OPENAI_COMPATIBLE_BASE_URL: 'http://127.0.0.1:11434/v1', GATEWAY_DATA_DIR: join(dir, 'data') }, dir);

    // Assess
    expect(await run.exited).toBe(1);
    expect(run.output()).toBe('aigw: OPENAI_COMPATIBLE_BASE_URL needs OPENAI_COMPATIBLE_MODELS, the names of the models that server serves, comma-separated (e.g. OPENAI_COMPATIBLE_MODELS=llama3.2)\n');
  });

  it('names the credential variables its config file refers to that are not set, and starts all the same', async () => {
    // Prepare: a config of the user's own whose key variable was not exported in this shell.
    const dir = freshDir();
    writeFileSync(join(dir, 'gateway.config.json'), JSON.stringify({ providers: [{ id: 'openai', type: 'openai', accounts: [{ id: 'main', apiKey: { env: 'MY_OPENAI_KEY' } }, { id: 'spare', apiKey: { env: 'SET_KEY' } }] }], models: [{ name: 'm', targets: [{ provider: 'openai', model: 'm' }] }] }));
    const run = start({ PORT: '0', SET_KEY: 'sk-x', GATEWAY_DATA_DIR: join(dir, 'data') }, dir);
    try {
      // Act
      await waitFor(() => run.output().match(/Then call it/));

      // Assess
      expect(run.output()).toContain('  NOTE:   MY_OPENAI_KEY is not set (provider "openai" account "main"): calls there will answer 502 until it is.\n');
      expect(run.output()).not.toContain('SET_KEY');
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });

  it('says the port is taken and how to pick another, exiting 1 without a stack trace', async () => {
    // Prepare: the port held by another program, as a second `npm start` meets it.
    const dir = freshDir();
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      // Act
      const run = start({ PORT: String(port), OPENAI_API_KEY: 'sk-test', GATEWAY_DATA_DIR: join(dir, 'data') }, dir);

      // Assess
      expect(await run.exited).toBe(1);
      expect(run.output()).toBe(`aigw: port ${port} on 127.0.0.1 is already in use (another aigw, or another program): stop it, or start on another port: PORT=${port + 1} npm start\n`);
    } finally {
      taken.close();
    }
  });

  it('refuses a second start in the same checkout, saying to stop the first or give this one its own data dir and port', async () => {
    // Prepare: the first `npm start`, still running, as a user meets it in another terminal.
    const dir = freshDir();
    const first = start({ PORT: '0', OPENAI_API_KEY: 'sk-test' }, dir);
    try {
      const [, port] = await waitFor(() => first.output().match(/aigw listening on http:\/\/127\.0\.0\.1:(\d+)/));

      // Act
      const second = start({ PORT: port!, OPENAI_API_KEY: 'sk-test' }, dir);

      // Assess: one line that the advice, followed, gets past (a data dir of its own alone would meet the port in use).
      expect(await second.exited).toBe(1);
      expect(second.output()).toBe(
        `aigw: failed to start: the data dir ${join(dir, '.data', 'dynamodb')} is in use by another gateway process: stop it, or start this one on another PORT with its own GATEWAY_DATA_DIR (or share one store with DYNAMODB_ENDPOINT)\n`,
      );
    } finally {
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
    }
  });

  it.each([
    ['the embedded store', {}],
    ['the real table (DYNAMODB_ENDPOINT=aws, not created at start)', { DYNAMODB_ENDPOINT: 'aws', AWS_REGION: 'eu-west-1' }],
  ])('refuses a GATEWAY_TABLE_NAME out of DynamoDB\'s pattern before touching %s, naming the variable', async (_name, store) => {
    const dir = freshDir();

    const run = start({ PORT: '0', OPENAI_API_KEY: 'sk-test', GATEWAY_DATA_DIR: join(dir, 'data'), GATEWAY_TABLE_NAME: 'aigw table', ...store }, dir);

    expect(await run.exited).toBe(1);
    expect(run.output()).toBe('aigw: GATEWAY_TABLE_NAME is not a DynamoDB table name (" " is not a letter, a digit, "_", "." or "-"): "aigw table".\n');
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });
});

describe('npm start on a fresh checkout', () => {
  it('serves with the shipped example config and says which keys are missing', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'gateway.config.example.json'), readFileSync(join(ROOT, 'gateway.config.example.json')));
    const run = start({ PORT: '0', GATEWAY_DATA_DIR: join(dir, 'data') }, dir);
    try {
      const [, url] = await waitFor(() => run.output().match(/aigw listening on (http:\/\/127\.0\.0\.1:\d+)/));
      const token = readFileSync(join(dir, 'data', 'admin-token'), 'utf8').trim();
      const created = await fetch(`${url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{"name":"first"}' });
      const { key } = (await created.json()) as { key: string };

      const call = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }) });

      expect(run.output()).toContain('gateway.config.example.json (an example');
      expect(run.output()).toContain('calls will answer 502');
      expect(call.status).toBe(502);
      // The caller learns which account; the operator's log names the variable.
      expect(((await call.json()) as { error: { message: string } }).error.message).toMatch(/no usable credentials for provider "[^"]+" account "[^"]+"/);
      await waitFor(() => run.output().match(/environment variable (OPENAI_API_KEY|OPENROUTER_API_KEY) is not set/));
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });
});
