import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN_FILE, localAdminToken } from './admin-token';

describe('localAdminToken', () => {
  it('prefers GATEWAY_ADMIN_TOKEN', () => {
    expect(localAdminToken({ GATEWAY_ADMIN_TOKEN: 'set' }, '/nonexistent')).toEqual({ token: 'set', source: 'GATEWAY_ADMIN_TOKEN' });
  });

  it('makes a token on first start, readable only by its owner, and keeps it', () => {
    const parent = mkdtempSync(join(tmpdir(), 'aigw-'));
    const dir = join(parent, 'data');
    try {
      const first = localAdminToken({}, dir);
      const second = localAdminToken({}, dir);

      expect(first.token).toMatch(/^aigw-admin-[A-Za-z0-9_-]{32}$/);
      expect(second.token).toBe(first.token);
      expect(readFileSync(join(dir, ADMIN_TOKEN_FILE), 'utf8').trim()).toBe(first.token);
      expect(statSync(join(dir, ADMIN_TOKEN_FILE)).mode & 0o077).toBe(0);
    } finally {
      // Each run left one aigw-XXXXXX/data/admin-token in /tmp.
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
