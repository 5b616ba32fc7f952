import { existsSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError, readConfigFile } from '../config/load';
import { CliError } from './errors';

const DEFAULT_CONFIG_FILE = 'gateway.config.json';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The file to check, and whether the user named it (else it is the default, which a fresh checkout lacks). */
export interface ConfigFile {
  path: string;
  named: boolean;
}

/** The file `config check` reads: the one named, else `$GATEWAY_CONFIG`, else `gateway.config.json`. */
export function configFileFor(file: string | undefined, env: NodeJS.ProcessEnv, cwd: string): ConfigFile {
  const named = file ?? env.GATEWAY_CONFIG;
  const path = named ? (isAbsolute(named) ? named : resolve(cwd, named)) : resolve(cwd, DEFAULT_CONFIG_FILE);
  return { path, named: Boolean(named) };
}

/**
 * Validates a gateway config file offline and sums it up (`ok: 2 providers, 5 models`).
 * Throws a `failed` CliError carrying ConfigError's message, which names every bad field, or
 * saying how to make the default file when it is missing.
 */
export function checkConfigFile({ path, named }: ConfigFile): string {
  if (!named && !existsSync(path)) {
    throw new CliError('failed', `no ${basename(path)} in ${dirname(path)}: copy the example (cp gateway.config.example.json ${DEFAULT_CONFIG_FILE}), or name a file: aigw config check FILE`);
  }
  try {
    const config = readConfigFile(path);
    return `ok: ${plural(config.providers.length, 'provider')}, ${plural(config.models.length, 'model')}`;
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError('failed', err.message, { cause: err });
    throw err;
  }
}
