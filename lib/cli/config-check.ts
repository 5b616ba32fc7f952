import { isAbsolute, resolve } from 'node:path';
import { ConfigError, readConfigFile } from '../config/load';
import { CliError } from './errors';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The file `config check` reads: the one named, else `$GATEWAY_CONFIG`, else `gateway.config.json`. */
export function configFileFor(file: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  const named = file ?? (env.GATEWAY_CONFIG || 'gateway.config.json');
  return isAbsolute(named) ? named : resolve(cwd, named);
}

/**
 * Validates a gateway config file offline and sums it up (`ok: 2 providers, 5 models`).
 * Throws a `failed` CliError carrying ConfigError's message, which names every bad field.
 */
export function checkConfigFile(path: string): string {
  try {
    const config = readConfigFile(path);
    return `ok: ${plural(config.providers.length, 'provider')}, ${plural(config.models.length, 'model')}`;
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError('failed', err.message, { cause: err });
    throw err;
  }
}
