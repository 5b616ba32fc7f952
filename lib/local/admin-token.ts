import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ADMIN_TOKEN_FILE = 'admin-token';

/**
 * The local admin token: GATEWAY_ADMIN_TOKEN, else the one kept in the data dir (made on first
 * start, readable only by its owner), which the CLI picks up.
 */
export function localAdminToken(env: NodeJS.ProcessEnv, dataDir: string): { token: string; source: string } {
  if (env.GATEWAY_ADMIN_TOKEN) return { token: env.GATEWAY_ADMIN_TOKEN, source: 'GATEWAY_ADMIN_TOKEN' };
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token) return { token, source: file };
  } catch {
    // First start: make one below.
  }
  mkdirSync(dataDir, { recursive: true });
  const token = `aigw-admin-${randomBytes(24).toString('base64url')}`;
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, source: file };
}
