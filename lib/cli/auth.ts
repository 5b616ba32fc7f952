import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { GlobalOptions } from './args';
import { CliError } from './errors';
import { awsCredentialSource, lambdaUrlRegion, type AwsCredentials } from './sigv4';
import { DEFAULT_GATEWAY_URL } from './usage';

/** How the CLI proves to the admin API who it is. */
export type AdminAuth =
  /** `Authorization: Bearer`; `source` says where the token came from, for error messages. */
  | { kind: 'token'; token: string; source: string }
  /** SigV4 for a Lambda function URL with IAM auth. Credentials from the AWS SDK's chain (for `profile`, else the default one) when absent. */
  | { kind: 'sigv4'; region: string; credentials?: AwsCredentials; profile?: string }
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
 * else SigV4 for a Lambda function URL (with the AWS profile or keys `env` names), else the token file the local server writes
 * (`${GATEWAY_DATA_DIR:-.data}/admin-token`, in `cwd` or the nearest directory above it that has one).
 * `top` is the highest directory looked in: the root, unless a test keeps the search inside its own directory.
 */
export function resolveTarget(options: GlobalOptions, env: NodeJS.ProcessEnv, cwd: string, top?: string): Target {
  const url = gatewayUrl(options, env);
  if (options.token !== undefined) return { url, auth: tokenAuth(options.token, '--token') };
  if (env.GATEWAY_ADMIN_TOKEN) return { url, auth: tokenAuth(env.GATEWAY_ADMIN_TOKEN, 'GATEWAY_ADMIN_TOKEN') };
  const region = lambdaUrlRegion(new URL(url));
  if (region) return { url, auth: { kind: 'sigv4', region, ...awsCredentialSource(env) } };
  return { url, auth: tokenFromFile(env, cwd, top) };
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

/**
 * Where the token file may be, nearest first. `npm start` writes it relative to the package root,
 * since npm runs scripts there whichever of the package's directories it was typed in; so, as git
 * looks for `.git`, a relative data dir is looked for in `cwd` and then in each directory above it.
 * An absolute one is the only place. The search ends at `top` if it passes it, else at the root.
 *
 * @example
 * tokenFileCandidates('.data', '/repo/lib') // ['/repo/lib/.data/admin-token', '/repo/.data/admin-token', '/.data/admin-token']
 * tokenFileCandidates('.data', '/repo/lib', '/repo') // ['/repo/lib/.data/admin-token', '/repo/.data/admin-token']
 */
export function tokenFileCandidates(dataDir: string, cwd: string, top?: string): string[] {
  if (isAbsolute(dataDir)) return [join(dataDir, ADMIN_TOKEN_FILE)];
  const last = top === undefined ? undefined : resolve(top);
  const candidates: string[] = [];
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    candidates.push(join(dir, dataDir, ADMIN_TOKEN_FILE));
    if (dir === last || dirname(dir) === dir) return candidates;
  }
}

/** Errors that mean "no token file here": nothing by that name, or a file where a directory of the path should be. */
const NOT_HERE = new Set(['ENOENT', 'ENOTDIR']);

function tokenFromFile(env: NodeJS.ProcessEnv, cwd: string, top: string | undefined): AdminAuth {
  const dir = env.GATEWAY_DATA_DIR || '.data';
  for (const file of tokenFileCandidates(dir, cwd, top)) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if (NOT_HERE.has((err as NodeJS.ErrnoException).code ?? '')) continue;
      throw new CliError('failed', `cannot read the admin token file ${file}: ${(err as Error).message}`, { cause: err });
    }
    const shown = isAbsolute(dir) ? file : relative(cwd, file);
    // The nearest file is the one, as the nearest .git is: an empty one does not send the search on
    // up (to another gateway's token), nor is it "none found", which would hide the file it is.
    if (!text.trim()) throw new CliError('failed', `the admin token file ${shown} is empty: start the gateway again (npm start writes a new one), or pass --token`);
    return { kind: 'token', token: text.trim(), source: shown };
  }
  return { kind: 'none' };
}
