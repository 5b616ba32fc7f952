/**
 * The gateway as `npm start` runs it, in front of a fake Gemini, Anthropic and OpenAI upstream,
 * with one Gemini-surface model name per target: passed through to Gemini, translated to the others.
 */
import { GoogleGenAI } from '@google/genai';
import { parseConfig } from '../../../lib/config/load';
import { LocalCredentials } from '../../../lib/credentials/local';
import { startLocalGateway, type LocalGateway } from '../../../lib/local/start';
import type { StoredUsage } from '../../../lib/store/usage';
import { usageSince } from '../usage-since';
import { startFakeAnthropic, type FakeAnthropic } from '../../fakes/anthropic';
import { startFakeGemini, type FakeGemini } from '../../fakes/gemini';
import { startFakeOpenAI, type FakeOpenAI } from '../../fakes/openai';
import { createGatewayKey } from '../harness';

const ADMIN_TOKEN = 'gemini-surface-admin-token';

/** The accounts' own keys: what the upstreams must see instead of the client's gateway key. */
export const UPSTREAM_KEYS = { gemini: 'AIza-account-key', anthropic: 'sk-ant-account-key', openai: 'sk-proj-account-key' } as const;

/** Per million tokens; every target has one, so every record has a cost. */
export const PRICE = { input: 2, output: 10 } as const;

/** The client's model names, the upstream ids they are routed to, and which fake serves them. */
export const MODELS = {
  gemini: { name: 'gemini-2.5-flash', upstream: 'gemini-2.5-flash-001' },
  anthropic: { name: 'gem-claude', upstream: 'claude-sonnet-4-5' },
  openai: { name: 'gem-gpt', upstream: 'gpt-4.1' },
} as const;

export type TargetName = keyof typeof MODELS;

export interface GeminiStack {
  gw: LocalGateway;
  key: string;
  keyId: string;
  gemini: FakeGemini;
  anthropic: FakeAnthropic;
  openai: FakeOpenAI;
  /** @google/genai pointed at the gateway, as an app sets `httpOptions.baseUrl`. */
  client(apiKey?: string): GoogleGenAI;
  createKey(models: string[]): Promise<{ id: string; key: string }>;
  /** Waits for pending usage writes, then reads a key's usage items since the stack started. */
  usage(keyId?: string): Promise<StoredUsage[]>;
  resetFakes(): void;
  close(): Promise<void>;
}

export async function startGeminiStack(): Promise<GeminiStack> {
  const gemini = await startFakeGemini({ apiKey: UPSTREAM_KEYS.gemini });
  const anthropic = await startFakeAnthropic({ apiKey: UPSTREAM_KEYS.anthropic });
  const openai = await startFakeOpenAI({ apiKey: UPSTREAM_KEYS.openai });
  const config = parseConfig({
    providers: [
      { id: 'google', type: 'gemini', baseUrl: gemini.url, accounts: [{ id: 'main', apiKey: { env: 'GS_GEMINI_KEY' } }] },
      { id: 'claude', type: 'anthropic', baseUrl: anthropic.url, accounts: [{ id: 'main', apiKey: { env: 'GS_ANTHROPIC_KEY' } }] },
      { id: 'gpt', type: 'openai', baseUrl: `${openai.url}`, accounts: [{ id: 'main', apiKey: { env: 'GS_OPENAI_KEY' } }] },
    ],
    models: [
      { name: MODELS.gemini.name, price: PRICE, maxOutputTokens: 65536, targets: [{ provider: 'google', model: MODELS.gemini.upstream }] },
      { name: MODELS.anthropic.name, price: PRICE, targets: [{ provider: 'claude', model: MODELS.anthropic.upstream }] },
      { name: MODELS.openai.name, price: PRICE, targets: [{ provider: 'gpt', model: MODELS.openai.upstream }] },
      { name: 'not-for-you', price: PRICE, targets: [{ provider: 'google', model: 'gemini-2.5-pro' }] },
    ],
  });
  const startedAt = Date.now();
  const gw = await startLocalGateway({
    config,
    adminToken: ADMIN_TOKEN,
    store: { embedded: undefined },
    credentials: new LocalCredentials({ GS_GEMINI_KEY: UPSTREAM_KEYS.gemini, GS_ANTHROPIC_KEY: UPSTREAM_KEYS.anthropic, GS_OPENAI_KEY: UPSTREAM_KEYS.openai }),
  });
  const createKey = (models: string[]) => createGatewayKey(gw.url, ADMIN_TOKEN, { name: `gemini ${models.join(',')}`, models });
  const { id: keyId, key } = await createKey(['gemini-*', 'gem-*']);
  const fakes = [gemini, anthropic, openai];
  return {
    gw,
    key,
    keyId,
    gemini,
    anthropic,
    openai,
    // The SDK's own fetch set-up reads undici's global dispatcher off `globalThis`, which jest's
    // sandbox does not have; handing it the global fetch is the SDK's documented way round it.
    client: (apiKey = key) => new GoogleGenAI({ apiKey, httpOptions: { baseUrl: gw.url, fetch: (url, init) => fetch(url, init) } }),
    createKey,
    async usage(id = keyId) {
      await gw.gateway.drain();
      return usageSince(gw.table, id, startedAt);
    },
    resetFakes: () => fakes.forEach((f) => f.reset()),
    async close() {
      await gw.close();
      await Promise.all(fakes.map((f) => f.close()));
    },
  };
}
