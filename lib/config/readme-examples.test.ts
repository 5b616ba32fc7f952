import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from './load';

/**
 * Every JSON config example in the README loads with the real schema, so the docs cannot drift
 * from it. Each ```json block is read as what it shows: a whole config (or a few of its top-level
 * fields), a provider, or one or more models; the parts it leaves out come from a small base
 * config, and a `[ … ]` in it (the README's "your targets here") becomes one target of the base's
 * provider. IAM policies (`"Version"`) are not gateway config and are left out.
 */
const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
const BLOCKS = [...README.matchAll(/^```json\n([\s\S]*?)^```$/gm)].map((m) => ({ line: README.slice(0, m.index).split('\n').length + 1, text: m[1]! }));

const BASE_PROVIDER = { id: 'base', type: 'openai', accounts: [{ id: 'main', apiKey: { env: 'BASE_KEY' } }] };
const BASE_MODEL = { name: 'base-model', targets: [{ provider: 'base', model: 'gpt-4o-mini' }] };

type Json = Record<string, unknown>;

/** The block as JSON: several models listed one after another are an array; `[ … ]` is the base's one target. */
function parsed(text: string): Json | Json[] {
  const json = text.replace(/\[\s*…\s*\]/g, JSON.stringify(BASE_MODEL.targets));
  try {
    return JSON.parse(json) as Json;
  } catch {
    return JSON.parse(`[${json}]`) as Json[];
  }
}

/** An OpenAI provider for each provider id the models name that the config does not have (the example shows the models, not their providers). */
function stubProviders(models: Json[], providers: Json[]): Json[] {
  const have = new Set(providers.map((p) => p.id));
  const named = models.flatMap((m) => (m.targets as { provider: string }[]).map((t) => t.provider));
  return [...new Set(named)].filter((id) => !have.has(id)).map((id) => ({ ...BASE_PROVIDER, id }));
}

/** The whole config a block stands for. */
function configOf(block: Json | Json[]): Json {
  const list = Array.isArray(block) ? block : [block];
  if (list.every((item) => 'targets' in item)) return { providers: [BASE_PROVIDER, ...stubProviders(list, [BASE_PROVIDER])], models: list };
  const one = list[0]!;
  if ('type' in one && 'accounts' in one) return { providers: [one], models: [{ name: 'base-model', targets: [{ provider: one.id, model: 'm' }] }] };
  const providers = (one.providers as Json[] | undefined) ?? [BASE_PROVIDER];
  const models = (one.models as Json[] | undefined) ?? [BASE_MODEL];
  return { ...one, providers: [...providers, ...stubProviders(models, providers)], models };
}

const configBlocks = BLOCKS.filter((b) => !b.text.includes('"Version"'));

describe('the README\'s config examples', () => {
  it('has examples to check (the extraction still finds them)', () => {
    expect(configBlocks.length).toBeGreaterThanOrEqual(10);
  });

  it.each(configBlocks.map((b) => [b.line, b.text] as const))('the block at README.md:%i loads with the schema', (_line, text) => {
    expect(() => parseConfig(configOf(parsed(text)), 'README example')).not.toThrow();
  });
});
