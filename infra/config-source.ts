import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

/** The example shipped with the repo (found beside infra/, whatever the working directory). */
export const EXAMPLE_CONFIG = join(__dirname, '..', 'gateway.config.example.json');

/** Where a synth reads the gateway config from, and why that file. */
export interface ConfigSource {
  path: string;
  /** `context`, `env`, `default` (gateway.config.json) or `example`. */
  from: 'context' | 'env' | 'default' | 'example';
}

export interface ConfigSourceInput {
  /** `cdk synth -c config=path/to/file.json` */
  context?: unknown;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/**
 * Picks the config file: `-c config=…`, else $GATEWAY_CONFIG, else gateway.config.json, else the
 * example, so that `cdk synth` works on a fresh clone. A file named explicitly is used even when
 * missing, so that a typo fails the synth instead of deploying the example.
 */
export function locateConfig({ context, env, cwd }: ConfigSourceInput): ConfigSource {
  const at = (file: string) => (isAbsolute(file) ? file : join(cwd, file));
  if (typeof context === 'string' && context) return { path: at(context), from: 'context' };
  if (env.GATEWAY_CONFIG) return { path: at(env.GATEWAY_CONFIG), from: 'env' };
  const local = at('gateway.config.json');
  if (existsSync(local)) return { path: local, from: 'default' };
  return { path: EXAMPLE_CONFIG, from: 'example' };
}
