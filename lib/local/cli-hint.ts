import { resolve } from 'node:path';
import { DEFAULT_GATEWAY_URL } from '../cli/usage';

export interface CliWhere {
  /** The server's URL as it listens. */
  url: string;
  /** The data dir, absolute, where the admin token file is. */
  dataDir: string;
  /** Where `npm start` ran: the CLI run there, or in a directory below, finds `.data/admin-token` by itself. */
  cwd: string;
  /** The admin token came from GATEWAY_ADMIN_TOKEN, which the CLI reads in the same shell. */
  tokenFromEnv?: boolean;
}

const shellWord = (text: string) => (/^[\w@%+=:,./[\]-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);

/**
 * The `npx aigw …` line the start-up message shows, with the variables the CLI needs to find this
 * server: by default it calls 127.0.0.1:8787 and reads `.data/admin-token` under its working
 * directory or the nearest one above that has it, so a server on another port or data dir would
 * otherwise send the user to another gateway, or to a token that is not there.
 *
 * @example
 * cliCommand('keys create --name me', { url: 'http://127.0.0.1:8788', dataDir: '/w/.data', cwd: '/w' })
 * // 'GATEWAY_URL=http://127.0.0.1:8788 npx aigw keys create --name me'
 */
export function cliCommand(args: string, { url, dataDir, cwd, tokenFromEnv }: CliWhere): string {
  const env: string[] = [];
  if (url !== DEFAULT_GATEWAY_URL) env.push(`GATEWAY_URL=${shellWord(url)}`);
  if (!tokenFromEnv && dataDir !== resolve(cwd, '.data')) env.push(`GATEWAY_DATA_DIR=${shellWord(dataDir)}`);
  return [...env, 'npx aigw', args].join(' ');
}
