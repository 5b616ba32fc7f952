import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLE_CONFIG, locateConfig } from './config-source';

const emptyDir = () => mkdtempSync(join(tmpdir(), 'aigw-src-'));

function dirWithLocalConfig(): string {
  const dir = emptyDir();
  writeFileSync(join(dir, 'gateway.config.json'), '{}');
  return dir;
}

describe('locateConfig', () => {
  it('prefers the file named by -c config, relative to the working directory', () => {
    const cwd = dirWithLocalConfig();
    expect(locateConfig({ context: 'conf/prod.json', env: { GATEWAY_CONFIG: 'other.json' }, cwd })).toEqual({ path: join(cwd, 'conf/prod.json'), from: 'context' });
  });

  it('takes $GATEWAY_CONFIG when no context names a file', () => {
    const cwd = dirWithLocalConfig();
    expect(locateConfig({ env: { GATEWAY_CONFIG: '/etc/aigw.json' }, cwd })).toEqual({ path: '/etc/aigw.json', from: 'env' });
  });

  it('takes gateway.config.json from the working directory when it exists', () => {
    const cwd = dirWithLocalConfig();
    expect(locateConfig({ env: {}, cwd })).toEqual({ path: join(cwd, 'gateway.config.json'), from: 'default' });
  });

  it('falls back to the example so a fresh clone synthesizes', () => {
    expect(locateConfig({ env: {}, cwd: emptyDir() })).toEqual({ path: EXAMPLE_CONFIG, from: 'example' });
  });
});
