import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveTarget } from './auth';
import { CliError } from './errors';

describe('resolveTarget', () => {
  let cwd: string;

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'aigw-auth-'));
  });

  afterEach(() => {
    rmSync(cwd, { recursive: true, force: true });
  });

  function writeToken(dir: string, token: string) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'admin-token'), token);
  }

  it('uses the local gateway and the token file of `npm start` by default', () => {
    // Prepare
    writeToken(join(cwd, '.data'), 'from-file\n');

    // Act
    const target = resolveTarget({}, {}, cwd);

    // Assess
    expect(target).toEqual({ url: 'http://127.0.0.1:8787', auth: { kind: 'token', token: 'from-file', source: join('.data', 'admin-token') } });
  });

  it('reads the token file from GATEWAY_DATA_DIR, relative to the working directory or absolute', () => {
    // Prepare
    writeToken(join(cwd, 'state'), 'relative');
    writeToken(join(cwd, 'abs'), 'absolute');

    // Act
    const relative = resolveTarget({}, { GATEWAY_DATA_DIR: 'state' }, cwd);
    const absolute = resolveTarget({}, { GATEWAY_DATA_DIR: join(cwd, 'abs') }, '/');

    // Assess
    expect(relative.auth).toMatchObject({ kind: 'token', token: 'relative' });
    expect(absolute.auth).toMatchObject({ kind: 'token', token: 'absolute' });
  });

  it('prefers --token to GATEWAY_ADMIN_TOKEN, and both to the file', () => {
    // Prepare
    writeToken(join(cwd, '.data'), 'from-file');
    const env = { GATEWAY_ADMIN_TOKEN: 'from-env' };

    // Act
    const flag = resolveTarget({ token: 'from-flag' }, env, cwd);
    const fromEnv = resolveTarget({}, env, cwd);

    // Assess
    expect(flag.auth).toEqual({ kind: 'token', token: 'from-flag', source: '--token' });
    expect(fromEnv.auth).toEqual({ kind: 'token', token: 'from-env', source: 'GATEWAY_ADMIN_TOKEN' });
  });

  it('prefers --url to GATEWAY_URL and drops trailing slashes', () => {
    // Act
    const flag = resolveTarget({ url: 'http://a:1/' }, { GATEWAY_URL: 'http://b:2' }, cwd);
    const fromEnv = resolveTarget({}, { GATEWAY_URL: 'http://b:2//' }, cwd);

    // Assess
    expect(flag.url).toBe('http://a:1');
    expect(fromEnv.url).toBe('http://b:2');
  });

  it('signs with AWS credentials for a Lambda function URL when no token is given', () => {
    // Prepare
    writeToken(join(cwd, '.data'), 'local-only');

    // Act
    const target = resolveTarget({ url: 'https://abc123.lambda-url.ap-southeast-2.on.aws' }, {}, cwd);

    // Assess
    expect(target.auth).toEqual({ kind: 'sigv4', region: 'ap-southeast-2' });
  });

  it('sends a given token even to a Lambda function URL', () => {
    // Act
    const target = resolveTarget({ url: 'https://abc123.lambda-url.eu-west-1.on.aws', token: 't' }, {}, cwd);

    // Assess
    expect(target.auth).toMatchObject({ kind: 'token', token: 't' });
  });

  it('goes without a token when none is found', () => {
    // Act
    const target = resolveTarget({}, {}, cwd);

    // Assess
    expect(target.auth).toEqual({ kind: 'none' });
  });

  it.each([
    [{ url: 'not a url' }, {}, /^not a URL: "not a url" \(from --url\)$/],
    [{}, { GATEWAY_URL: 'ftp://x' }, /must be http or https/],
    [{ token: ' ' }, {}, /^the admin token from --token is empty$/],
  ])('refuses %j with env %j', (options, env, message) => {
    // Act
    const act = () => resolveTarget(options, env, cwd);

    // Assess
    expect(act).toThrow(CliError);
    expect(act).toThrow(message);
  });
});
