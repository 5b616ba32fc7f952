import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import type { GlobalOptions } from './args';
import { CliError } from './errors';
import { lambdaUrlRegion, type AwsCredentials } from './sigv4';
import { DEFAULT_GATEWAY_URL } from './usage';

/** How the CLI proves to the admin API who it is. */
export type AdminAuth =
  /** `Authorization: Bearer`; `source` says where the token came from, for error messages. */
  | { kind: 'token'; token: string; source: string }
  /** SigV4 for a Lambda function URL with IAM auth. Credentials from the AWS SDK's chain when absent. */
  | { kind: 'sigv4'; region: string; credentials?: AwsCredentials }
  /** Nothing found; the server decides whether that is enough. */
  | { kind: 'none' };

export interface Target {
  /** The gateway's base URL, without a trailing slash. */
  url: string;
  auth: AdminAuth;
}

export const ADMIN_TOKEN_FILE = 'admin-token';

/**
 * Where to send admin requests, and with what credentials:
 * `--url`, else `$GATEWAY_URL`, else the local default; `--token`, else `$GATEWAY_ADMIN_TOKEN`,
 * else SigV4 for a Lambda function URL, else the token file the local server writes
 * (`${GATEWAY_DATA_DIR:-.data}/admin-token`, relative to `cwd`).
 */
export function resolveTarget(options: GlobalOptions, env: NodeJS.ProcessEnv, cwd: string): Target {
  const url = gatewayUrl(options, env);
  if (options.token !== undefined) return { url, auth: tokenAuth(options.token, '--token') };
  if (env.GATEWAY_ADMIN_TOKEN) return { url, auth: tokenAuth(env.GATEWAY_ADMIN_TOKEN, 'GATEWAY_ADMIN_TOKEN') };
  const region = lambdaUrlRegion(new URL(url));
  if (region) return { url, auth: { kind: 'sigv4', region } };
  return { url, auth: tokenFromFile(env, cwd) };
}

/** The gateway's base URL, without a trailing slash: `--url`, else `$GATEWAY_URL`, else the local default. */
export function gatewayUrl(options: GlobalOptions, env: NodeJS.ProcessEnv): string {
  const url = (options.url ?? env.GATEWAY_URL ?? DEFAULT_GATEWAY_URL).trim().replace(/\/+$/, '');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError('usage', `not a URL: ${JSON.stringify(url)} (from ${options.url !== undefined ? '--url' : 'GATEWAY_URL'})`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new CliError('usage', `the gateway URL must be http or https, not ${url}`);
  return url;
}

function tokenAuth(token: string, source: string): AdminAuth {
  const trimmed = token.trim();
  if (!trimmed) throw new CliError('usage', `the admin token from ${source} is empty`);
  return { kind: 'token', token: trimmed, source };
}

function tokenFromFile(env: NodeJS.ProcessEnv, cwd: string): AdminAuth {
  const dir = env.GATEWAY_DATA_DIR || '.data';
  const file = isAbsolute(dir) ? join(dir, ADMIN_TOKEN_FILE) : join(cwd, dir, ADMIN_TOKEN_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    throw new CliError('failed', `cannot read the admin token file ${file}: ${(err as Error).message}`, { cause: err });
  }
  const shown = isAbsolute(dir) ? file : relative(cwd, file);
  return text.trim() ? { kind: 'token', token: text.trim(), source: shown } : { kind: 'none' };
}
