import { cliCommand } from './cli-hint';

describe('cliCommand', () => {
  it.each([
    ['the defaults: nothing to add', { url: 'http://127.0.0.1:8787', dataDir: '/work/aigw/.data', cwd: '/work/aigw' }, 'npx aigw keys create --name me'],
    ['another port', { url: 'http://127.0.0.1:8788', dataDir: '/work/aigw/.data', cwd: '/work/aigw' }, 'GATEWAY_URL=http://127.0.0.1:8788 npx aigw keys create --name me'],
    ['another data dir', { url: 'http://127.0.0.1:8787', dataDir: '/var/aigw', cwd: '/work/aigw' }, 'GATEWAY_DATA_DIR=/var/aigw npx aigw keys create --name me'],
    ['both, a path with a space quoted', { url: 'http://[::1]:9000', dataDir: "/tmp/my data/it's", cwd: '/work' }, "GATEWAY_URL=http://[::1]:9000 GATEWAY_DATA_DIR='/tmp/my data/it'\\''s' npx aigw keys create --name me"],
    ['a token from the environment: the CLI reads it there, not from the data dir', { url: 'http://127.0.0.1:8787', dataDir: '/var/aigw', cwd: '/work', tokenFromEnv: true }, 'npx aigw keys create --name me'],
  ])('%s', (_name, where, expected) => {
    // Act
    const command = cliCommand('keys create --name me', where);

    // Assess
    expect(command).toBe(expected);
  });
});
