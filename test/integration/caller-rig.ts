import { parseConfig } from '../../lib/config/load';
import { LocalCredentials } from '../../lib/credentials/local';
import { startLocalGateway, type LocalGateway } from '../../lib/local/start';
import { AccountHealth } from '../../lib/routing/health';
import { listUsage, type StoredUsage } from '../../lib/store/usage';
import { startFakeTrio, type FakeTrio } from './fake-trio';
import { createGatewayKey, eventually } from './harness';

const ADMIN_TOKEN = 'caller-rig-admin';

/**
 * The model names the third-party client suites call, each routed so that one client library
 * meets both a passthrough target (its own dialect) and a translated one.
 */
export const RIG_MODELS = {
  /** OpenAI, passed through for OpenAI callers. */
  gpt: 'gpt-4o-mini',
  /** OpenAI's reasoning model, passed through. */
  reasoningGpt: 'o4-mini',
  /** Claude on Anthropic: passthrough for Anthropic callers, translated for OpenAI ones. */
  claude: 'claude-sonnet-4-6',
  /** A Gemini model: translated for every caller here. */
  gemini: 'gemini-2.5-flash',
  /** A Gemini 3 model, which refuses a function call in history without its thought signature. */
  gemini3: 'gemini-3-pro-preview',
  /** OpenAI's embeddings, passed through. */
  embedding: 'text-embedding-3-small',
  /** Gemini's embeddings, translated from OpenAI's. */
  geminiEmbedding: 'gemini-embedding-001',
} as const;

export interface CallerRig {
  gw: LocalGateway;
  fakes: FakeTrio;
  /** The gateway's base URL with `/v1`, as OpenAI and Anthropic client libraries take it. */
  baseURL: string;
  /** A new key for every model, so a test's usage records are its own (`extra`: more of `POST /admin/keys`'s body, e.g. limits). */
  freshKey(extra?: Record<string, unknown>): Promise<{ id: string; key: string }>;
  /** Waits until `count` usage records of the key are written, and returns them. */
  usage(keyId: string, count: number): Promise<StoredUsage[]>;
  /** Clears the fakes' requests and replies, and the accounts' rests, between tests. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * The gateway as `npm start` runs it (node:http, embedded dynalite through the real DynamoDB
 * client) in front of fake OpenAI, Anthropic and Gemini upstreams, for suites whose caller is a
 * third-party client library (the Vercel AI SDK, LangChain.js).
 *
 * @example
 * const rig = await startCallerRig();
 * const { id, key } = await rig.freshKey();
 * // … a client with apiKey: key and baseURL: rig.baseURL …
 * expect(await rig.usage(id, 1)).toEqual([expect.objectContaining({ outcome: 'ok' })]);
 */
export async function startCallerRig(): Promise<CallerRig> {
  const fakes = await startFakeTrio();
  const health = new AccountHealth();
  const m = RIG_MODELS;
  const gw = await startLocalGateway({
    health,
    shareHealth: false,
    adminToken: ADMIN_TOKEN,
    store: { embedded: undefined },
    credentials: new LocalCredentials(fakes.credentials),
    config: parseConfig({
      providers: fakes.providers,
      models: [
        { name: m.gpt, targets: [{ provider: 'up', model: m.gpt }] },
        { name: m.reasoningGpt, targets: [{ provider: 'up', model: m.reasoningGpt }] },
        { name: m.claude, targets: [{ provider: 'ant', model: m.claude }] },
        { name: m.gemini, targets: [{ provider: 'gem', model: m.gemini }] },
        { name: m.gemini3, targets: [{ provider: 'gem', model: m.gemini3 }] },
        { name: m.embedding, targets: [{ provider: 'up', model: m.embedding }] },
        { name: m.geminiEmbedding, targets: [{ provider: 'gem', model: m.geminiEmbedding }] },
      ],
    }),
  });
  const today = () => new Date().toISOString().slice(0, 10);
  return {
    gw,
    fakes,
    baseURL: `${gw.url}/v1`,
    freshKey: (extra = {}) => createGatewayKey(gw.url, ADMIN_TOKEN, { name: 'caller', models: ['*'], ...extra }),
    async usage(keyId, count) {
      let records: StoredUsage[] = [];
      await eventually(async () => {
        await gw.gateway.drain();
        records = await listUsage(gw.table, keyId, today());
        if (records.length < count) throw new Error(`${records.length} usage records of ${keyId}, waiting for ${count}`);
      });
      return records;
    },
    reset() {
      fakes.reset();
      health.clear();
    },
    async close() {
      await gw.close();
      await fakes.close();
    },
  };
}
