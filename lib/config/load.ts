import { readFileSync, existsSync } from 'node:fs';
import { z } from 'zod';
import { KEY_PREFIX } from '../access/api-key';
import { isLocalUrl } from '../http/local-host';
import { fieldPath } from '../http/validation';
import { GatewayConfigSchema, type GatewayConfig, type GatewayConfigInput } from './schema';

/** A config that failed validation; `issues` name each bad field by its path (`models[0].targets[1].provider`). */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly issues: readonly string[] = [],
  ) {
    super(issues.length ? `${message}\n${issues.map((i) => `  - ${i}`).join('\n')}` : message);
    this.name = 'ConfigError';
  }
}

const pathText = (path: readonly PropertyKey[]) => fieldPath(path) || '(root)';

/** Validates a parsed config; throws ConfigError naming every bad field. */
export function parseConfig(input: unknown, source = 'config'): GatewayConfig {
  const result = GatewayConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => `${pathText(i.path)}: ${i.message}`);
  throw new ConfigError(`${source} is not a valid gateway config:`, issues);
}

export function readConfigFile(file: string): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    // node's ENOENT message repeats the path ("ENOENT: no such file or directory, open '…'").
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new ConfigError(`cannot read config file ${file}: ${reason}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parseConfig(json, file);
}

/**
 * The variables `configFromEnv` reads, in the order a start-up message names them, each with the
 * one it is read with: `OPENAI_BASE_URL` left in the shell for another tool is not read without
 * `OPENAI_API_KEY`, so the message does not name it.
 */
const PROVIDER_VARIABLES = {
  OPENAI_API_KEY: undefined,
  OPENAI_BASE_URL: 'OPENAI_API_KEY',
  OPENAI_MODELS: 'OPENAI_API_KEY',
  OPENAI_COMPATIBLE_BASE_URL: undefined,
  OPENAI_COMPATIBLE_MODELS: 'OPENAI_COMPATIBLE_BASE_URL',
  OPENAI_COMPATIBLE_API_KEY: 'OPENAI_COMPATIBLE_BASE_URL',
  ANTHROPIC_API_KEY: undefined,
  ANTHROPIC_BASE_URL: 'ANTHROPIC_API_KEY',
  GEMINI_API_KEY: undefined,
} as const;

type ProviderVariable = keyof typeof PROVIDER_VARIABLES;

/** The provider variables that `configFromEnv` read from this environment. */
function variablesRead(env: NodeJS.ProcessEnv): ProviderVariable[] {
  return (Object.entries(PROVIDER_VARIABLES) as [ProviderVariable, ProviderVariable | undefined][]).filter(([name, readWith]) => env[name] && (!readWith || env[readWith])).map(([name]) => name);
}

/** A base URL from the environment, refused by the variable's name (the schema would name `providers[0].baseUrl`, which the user never wrote). */
function envUrl(env: NodeJS.ProcessEnv, name: ProviderVariable): string | undefined {
  const value = env[name];
  if (!value) return undefined;
  let protocol: string | undefined;
  try {
    protocol = new URL(value).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'http:' && protocol !== 'https:') throw new ConfigError(`${name} is not an http(s) URL: ${JSON.stringify(value)}`);
  return value;
}

/**
 * A provider key from the environment; refused when it is one of this gateway's keys bound for
 * this machine or for the provider itself. A shell set up to call the gateway (the OpenAI SDK reads
 * `OPENAI_API_KEY` and `OPENAI_BASE_URL`) would have the gateway send each call to itself, and that
 * call to itself, without end; an aigw elsewhere, named by the base URL, may be an upstream.
 */
function envKey(env: NodeJS.ProcessEnv, name: ProviderVariable, baseUrlName?: ProviderVariable): string | undefined {
  const value = env[name];
  if (value?.startsWith(KEY_PREFIX)) {
    const baseUrl = baseUrlName && envUrl(env, baseUrlName);
    if (!baseUrl || isLocalUrl(baseUrl)) {
      throw new ConfigError(`${name} is an aigw key (${KEY_PREFIX}…), not the provider's: the gateway would call itself. Start it where ${name} is the provider's key, or write gateway.config.json`);
    }
  }
  return value || undefined;
}

const modelList = (value: string | undefined) => (value ?? '').split(',').map((m) => m.trim()).filter(Boolean);

/**
 * Builds a config from well-known provider environment variables, for a first run without a
 * config file. Returns undefined when none is set; throws ConfigError naming a variable set wrong.
 */
export function configFromEnv(env: NodeJS.ProcessEnv): GatewayConfig | undefined {
  const input: GatewayConfigInput = { providers: [], models: [] };
  if (envKey(env, 'OPENAI_API_KEY', 'OPENAI_BASE_URL')) {
    input.providers.push({
      id: 'openai',
      type: 'openai',
      baseUrl: envUrl(env, 'OPENAI_BASE_URL') ?? 'https://api.openai.com/v1',
      accounts: [{ id: 'env', apiKey: { env: 'OPENAI_API_KEY' } }],
    });
    const models = modelList(env.OPENAI_MODELS || 'gpt-4o-mini,gpt-4o,gpt-4.1,gpt-4.1-mini,o4-mini');
    for (const name of models) input.models.push({ name, targets: [{ provider: 'openai', model: name }] });
  }
  const compatibleUrl = envUrl(env, 'OPENAI_COMPATIBLE_BASE_URL');
  if (compatibleUrl) {
    const models = modelList(env.OPENAI_COMPATIBLE_MODELS);
    // No list to ask for: an OpenAI-compatible server's /models is optional, and the config is read once at start.
    if (!models.length) throw new ConfigError('OPENAI_COMPATIBLE_BASE_URL needs OPENAI_COMPATIBLE_MODELS, the names of the models that server serves, comma-separated (e.g. OPENAI_COMPATIBLE_MODELS=llama3.2)');
    input.providers.push({
      id: 'compatible',
      type: 'openai-compatible',
      baseUrl: compatibleUrl,
      accounts: [{ id: 'env', ...(envKey(env, 'OPENAI_COMPATIBLE_API_KEY', 'OPENAI_COMPATIBLE_BASE_URL') ? { apiKey: { env: 'OPENAI_COMPATIBLE_API_KEY' } } : {}) }],
    });
    for (const name of models) input.models.push({ name, targets: [{ provider: 'compatible', model: name }] });
  }
  // Claude and Gemini models come and go by full id (Claude Code names them so): a pattern passes any of them on.
  if (envKey(env, 'ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL')) {
    const baseUrl = envUrl(env, 'ANTHROPIC_BASE_URL');
    input.providers.push({ id: 'anthropic', type: 'anthropic', ...(baseUrl ? { baseUrl } : {}), accounts: [{ id: 'env', apiKey: { env: 'ANTHROPIC_API_KEY' } }] });
    input.models.push({ name: 'claude-*', targets: [{ provider: 'anthropic', model: 'claude-*' }] });
  }
  if (envKey(env, 'GEMINI_API_KEY')) {
    input.providers.push({ id: 'gemini', type: 'gemini', accounts: [{ id: 'env', apiKey: { env: 'GEMINI_API_KEY' } }] });
    input.models.push({ name: 'gemini-*', targets: [{ provider: 'gemini', model: 'gemini-*' }] });
  }
  if (input.providers.length === 0) return undefined;
  return parseConfig(input, 'the config built from environment variables');
}

export interface LoadedConfig {
  config: GatewayConfig;
  source: string;
  /** The shipped example, used because nothing else was configured. */
  example?: boolean;
}

/**
 * The local server's config: the file named by GATEWAY_CONFIG (default gateway.config.json),
 * else one built from provider env vars, else the shipped example. Throws ConfigError with a next
 * step when there is none of them.
 */
export function loadLocalConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): LoadedConfig {
  const named = env.GATEWAY_CONFIG;
  const file = named || 'gateway.config.json';
  const path = file.startsWith('/') ? file : `${cwd}/${file}`;
  if (existsSync(path)) return { config: readConfigFile(path), source: path };
  if (named) throw new ConfigError(`GATEWAY_CONFIG names ${path}, which does not exist`);
  const fromEnv = configFromEnv(env);
  if (fromEnv) return { config: fromEnv, source: `environment variables ${variablesRead(env).join(', ')}` };
  // A fresh checkout still starts: keys, the admin API and model lists work, and each call says
  // which provider key is missing.
  const example = `${cwd}/gateway.config.example.json`;
  if (existsSync(example)) {
    return { config: readConfigFile(example), source: `${example} (an example: copy it to gateway.config.json, or set OPENAI_API_KEY)`, example: true };
  }
  throw new ConfigError(
    'No gateway config: create gateway.config.json (see gateway.config.example.json), point GATEWAY_CONFIG at one, ' +
      'or set OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY (or OPENAI_COMPATIBLE_BASE_URL and OPENAI_COMPATIBLE_MODELS) to start with a config built from them.',
  );
}

/** The JSON Schema that editors use to check gateway.config.json. */
export function configJsonSchema(): unknown {
  return z.toJSONSchema(GatewayConfigSchema, { io: 'input', unrepresentable: 'any' });
}
