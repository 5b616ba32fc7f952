import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveTarget, tokenFileCandidates } from './auth';
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

  it('finds the token file of `npm start` from a directory below where it ran, as git finds .git', () => {
    // Prepare: npm runs `start` in the package root, whichever of its directories it was typed in.
    writeToken(join(cwd, '.data'), 'from-root');
    const below = join(cwd, 'lib', 'cli');
    mkdirSync(below, { recursive: true });

    // Act
    const target = resolveTarget({}, {}, below);

    // Assess
    expect(target.auth).toEqual({ kind: 'token', token: 'from-root', source: join('..', '..', '.data', 'admin-token') });
  });

  it('takes the nearest token file, and looks for a relative GATEWAY_DATA_DIR above too', () => {
    // Prepare
    writeToken(join(cwd, 'state'), 'outer');
    writeToken(join(cwd, 'app', 'state'), 'inner');
    const below = join(cwd, 'app', 'src');
    mkdirSync(below, { recursive: true });

    // Act
    const target = resolveTarget({}, { GATEWAY_DATA_DIR: 'state' }, below);

    // Assess
    expect(target.auth).toEqual({ kind: 'token', token: 'inner', source: join('..', 'state', 'admin-token') });
  });

  it('passes over a parent whose data dir name is a file, not a directory', () => {
    // Prepare
    writeToken(join(cwd, '.data'), 'from-root');
    mkdirSync(join(cwd, 'sub'));
    writeFileSync(join(cwd, 'sub', '.data'), 'not a directory');

    // Act
    const target = resolveTarget({}, {}, join(cwd, 'sub'));

    // Assess
    expect(target.auth).toMatchObject({ kind: 'token', token: 'from-root' });
  });

  it('refuses an empty token file it finds, naming it, and looks no further up', () => {
    // Prepare: the nearest file is empty (a write cut short, a file emptied by hand); another is above it.
    writeToken(join(cwd, '.data'), 'from-root');
    writeToken(join(cwd, 'app', '.data'), ' \n');
    const below = join(cwd, 'app', 'src');
    mkdirSync(below);

    // Act
    const act = () => resolveTarget({}, {}, below, cwd);

    // Assess: not "none was found", which would send the user looking for a file that is there.
    expect(act).toThrow(CliError);
    expect(act).toThrow(`the admin token file ${join('..', '.data', 'admin-token')} is empty: start the gateway again (npm start writes a new one), or pass --token`);
  });

  it('refuses a token file it cannot read, naming it', () => {
    // Prepare: a directory where the file should be (EISDIR, as EACCES would be for an unreadable one).
    mkdirSync(join(cwd, '.data', 'admin-token'), { recursive: true });

    // Act
    const act = () => resolveTarget({}, {}, cwd, cwd);

    // Assess
    expect(act).toThrow(CliError);
    expect(act).toThrow(`cannot read the admin token file ${join(cwd, '.data', 'admin-token')}: EISDIR`);
  });

  it('looks no higher than the top directory it is given', () => {
    // Prepare
    writeToken(join(cwd, '.data'), 'above the top');
    const top = join(cwd, 'project');
    const below = join(top, 'src');
    mkdirSync(below, { recursive: true });

    // Act
    const target = resolveTarget({}, {}, below, top);

    // Assess
    expect(target.auth).toEqual({ kind: 'none' });
  });

  it('reads an absolute GATEWAY_DATA_DIR only, never above it', () => {
    // Prepare
    writeToken(join(cwd, '.data'), 'not this one');
    mkdirSync(join(cwd, 'empty'));

    // Act
    const target = resolveTarget({}, { GATEWAY_DATA_DIR: join(cwd, 'empty') }, cwd);

    // Assess
    expect(target.auth).toEqual({ kind: 'none' });
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

  it('signs for a Lambda function URL with the AWS profile or keys of the environment it is given', () => {
    // Prepare
    const url = 'https://abc123.lambda-url.eu-west-1.on.aws';

    // Act
    const withKeys = resolveTarget({ url }, { AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 's' }, cwd);
    const withProfile = resolveTarget({ url }, { AWS_PROFILE: 'ops' }, cwd);

    // Assess
    expect(withKeys.auth).toEqual({ kind: 'sigv4', region: 'eu-west-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 's' } });
    expect(withProfile.auth).toEqual({ kind: 'sigv4', region: 'eu-west-1', profile: 'ops' });
  });

  it('sends a given token even to a Lambda function URL', () => {
    // Act
    const target = resolveTarget({ url: 'https://abc123.lambda-url.eu-west-1.on.aws', token: 't' }, {}, cwd);

    // Assess
    expect(target.auth).toMatchObject({ kind: 'token', token: 't' });
  });

  it('goes without a token when none is found', () => {
    // Act: no higher than the test's own directory, so a stray file on the machine does not count.
    const target = resolveTarget({}, {}, cwd, cwd);

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

describe('tokenFileCandidates', () => {
  it.each<[string, string, string, string | undefined, string[]]>([
    ['the default data dir, from the working directory up to the root', '.data', '/repo/lib/cli', undefined, ['/repo/lib/cli/.data/admin-token', '/repo/lib/.data/admin-token', '/repo/.data/admin-token', '/.data/admin-token']],
    ['a relative GATEWAY_DATA_DIR the same way', 'var/gw', '/repo/lib', undefined, ['/repo/lib/var/gw/admin-token', '/repo/var/gw/admin-token', '/var/gw/admin-token']],
    ['the root itself once', '.data', '/', undefined, ['/.data/admin-token']],
    ['an absolute GATEWAY_DATA_DIR as it is', '/srv/aigw', '/repo/lib', undefined, ['/srv/aigw/admin-token']],
    ['no higher than the top directory', '.data', '/repo/lib/cli', '/repo/lib', ['/repo/lib/cli/.data/admin-token', '/repo/lib/.data/admin-token']],
    ['the working directory alone when it is the top', '.data', '/repo', '/repo', ['/repo/.data/admin-token']],
    ['up to the root when the top is not above the working directory', '.data', '/repo/lib', '/other', ['/repo/lib/.data/admin-token', '/repo/.data/admin-token', '/.data/admin-token']],
  ])('lists %s', (_name, dataDir, cwd, top, expected) => {
    // Act
    const candidates = tokenFileCandidates(dataDir, cwd, top);

    // Assess
    expect(candidates).toEqual(expected);
  });
});
