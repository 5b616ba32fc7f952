/**
 * The gateway as `npm start` runs it, in front of one fake of each upstream dialect, with a
 * catalogue that routes Claude Code's model names to Anthropic and a few names to the
 * translating providers.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { parseConfig } from '../../../lib/config/load';
import type { GatewayConfigInput } from '../../../lib/config/schema';
import { LocalCredentials } from '../../../lib/credentials/local';
import { startLocalGateway, type LocalGateway } from '../../../lib/local/start';
import type { StoredUsage } from '../../../lib/store/usage';
import { usageSince } from '../usage-since';
import { startFakeAnthropic, type FakeAnthropic } from '../../fakes/anthropic';
import { startFakeBedrock, type FakeBedrock } from '../../fakes/bedrock';
import { startFakeGemini, type FakeGemini } from '../../fakes/gemini';
import { startFakeOpenAI, type FakeOpenAI } from '../../fakes/openai';

export const ADMIN_TOKEN = 'claude-code-admin-token';

/** The accounts' own keys: what the upstreams must see instead of the client's gateway key. */
export const UPSTREAM_KEYS = {
  anthropic: 'sk-ant-api03-account-key',
  openai: 'sk-proj-account-key',
  gemini: 'AIza-account-key',
  awsKeyId: 'AKIAACCOUNTKEY000000',
  awsSecret: 'account-secret-access-key',
} as const;

/** Claude Code's model names (main and small fast model) and the upstream ids they are routed to. */
export const ANTHROPIC_ROUTES: Readonly<Record<string, string>> = {
  'claude-sonnet-4-20250514': 'claude-sonnet-4-upstream-id',
  'claude-3-5-haiku-20241022': 'claude-haiku-upstream-id',
  'claude-3-7-sonnet-20250219': 'claude-3-7-sonnet-upstream-id',
};

/** Model names whose only target speaks another dialect than the client. */
export const TRANSLATED = {
  /** OpenAI Chat Completions. */
  openai: { name: 'cc-gpt', upstream: 'gpt-4.1' },
  gemini: { name: 'cc-gemini', upstream: 'gemini-2.5-pro' },
  /** Bedrock Converse (a model that is not Claude, so Anthropic clients are translated too). */
  bedrock: { name: 'cc-nova', upstream: 'amazon.nova-pro-v1:0' },
  /** An Anthropic target, for OpenAI clients. */
  anthropic: { name: 'gpt-on-claude', upstream: 'claude-sonnet-4-upstream-id' },
} as const;

export interface Stack {
  gw: LocalGateway;
  key: string;
  keyId: string;
  anthropic: FakeAnthropic;
  openai: FakeOpenAI;
  gemini: FakeGemini;
  bedrock: FakeBedrock;
  /** `headers`: sent with every request, as Claude Code sets its own (x-app, user-agent, anthropic-version). */
  anthropicClient(headers?: Record<string, string>): Anthropic;
  openaiClient(): OpenAI;
  /** Waits for pending usage writes, then reads the key's usage items since the stack started. */
  usage(): Promise<StoredUsage[]>;
  /** Every request any fake upstream has received. */
  upstreamRequestCount(): number;
  resetFakes(): void;
  close(): Promise<void>;
}

/** `guardrails`: the config's rules (`lib/guardrails/`), none by default. */
export async function startStack(options: { guardrails?: GatewayConfigInput['guardrails'] } = {}): Promise<Stack> {
  const anthropic = await startFakeAnthropic({ apiKey: UPSTREAM_KEYS.anthropic });
  const openai = await startFakeOpenAI({ apiKey: UPSTREAM_KEYS.openai });
  const gemini = await startFakeGemini({ apiKey: UPSTREAM_KEYS.gemini });
  const bedrock = await startFakeBedrock({ accessKeyId: UPSTREAM_KEYS.awsKeyId, secretAccessKey: UPSTREAM_KEYS.awsSecret, region: 'us-east-1' });

  const config = parseConfig({
    providers: [
      { id: 'claude', type: 'anthropic', baseUrl: anthropic.url, accounts: [{ id: 'main', apiKey: { env: 'CC_ANTHROPIC_KEY' } }] },
      { id: 'gpt', type: 'openai', baseUrl: openai.url, accounts: [{ id: 'main', apiKey: { env: 'CC_OPENAI_KEY' } }] },
      { id: 'google', type: 'gemini', baseUrl: gemini.url, accounts: [{ id: 'main', apiKey: { env: 'CC_GEMINI_KEY' } }] },
      {
        id: 'aws',
        type: 'bedrock',
        region: 'us-east-1',
        baseUrl: bedrock.url,
        accounts: [{ id: 'main', awsCredentials: { accessKeyId: { env: 'CC_AWS_KEY_ID' }, secretAccessKey: { env: 'CC_AWS_SECRET' } } }],
      },
    ],
    models: [
      ...Object.entries(ANTHROPIC_ROUTES).map(([name, model]) => ({ name, targets: [{ provider: 'claude', model }] })),
      { name: TRANSLATED.openai.name, targets: [{ provider: 'gpt', model: TRANSLATED.openai.upstream }] },
      { name: TRANSLATED.gemini.name, targets: [{ provider: 'google', model: TRANSLATED.gemini.upstream }] },
      { name: TRANSLATED.bedrock.name, targets: [{ provider: 'aws', model: TRANSLATED.bedrock.upstream }] },
      { name: TRANSLATED.anthropic.name, targets: [{ provider: 'claude', model: TRANSLATED.anthropic.upstream }] },
    ],
    ...(options.guardrails ? { guardrails: options.guardrails } : {}),
  });
  const startedAt = Date.now();
  const gw = await startLocalGateway({
    config,
    adminToken: ADMIN_TOKEN,
    store: { embedded: undefined },
    credentials: new LocalCredentials({
      CC_ANTHROPIC_KEY: UPSTREAM_KEYS.anthropic,
      CC_OPENAI_KEY: UPSTREAM_KEYS.openai,
      CC_GEMINI_KEY: UPSTREAM_KEYS.gemini,
      CC_AWS_KEY_ID: UPSTREAM_KEYS.awsKeyId,
      CC_AWS_SECRET: UPSTREAM_KEYS.awsSecret,
    }),
  });

  const res = await fetch(`${gw.url}/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'claude-code-user' }),
  });
  if (res.status !== 201) throw new Error(`key creation failed: ${res.status} ${await res.text()}`);
  const { id: keyId, key } = (await res.json()) as { id: string; key: string };

  const fakes = [anthropic, openai, gemini, bedrock];
  return {
    gw,
    key,
    keyId,
    anthropic,
    openai,
    gemini,
    bedrock,
    anthropicClient: (headers = {}) => new Anthropic({ apiKey: key, baseURL: gw.url, maxRetries: 0, timeout: 20_000, defaultHeaders: headers }),
    openaiClient: () => new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0, timeout: 20_000 }),
    async usage() {
      await gw.gateway.drain();
      return usageSince(gw.table, keyId, startedAt);
    },
    upstreamRequestCount: () => fakes.reduce((n, f) => n + f.requests.length, 0),
    resetFakes: () => fakes.forEach((f) => f.reset()),
    async close() {
      await gw.close();
      await Promise.all(fakes.map((f) => f.close()));
    },
  };
}
