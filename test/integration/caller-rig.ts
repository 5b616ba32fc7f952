import { parseConfig } from '../../lib/config/load';
import { LocalCredentials } from '../../lib/credentials/local';
import { startLocalGateway, type LocalGateway } from '../../lib/local/start';
import { AccountHealth } from '../../lib/routing/health';
import type { StoredUsage } from '../../lib/store/usage';
import { startFakeTrio, type FakeTrio } from './fake-trio';
import { createGatewayKey, eventually } from './harness';
import { usageSince } from './usage-since';
import { minuteClock } from '../minute-window';

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
  /** Claude on Bedrock (Converse): translated for every caller here. */
  bedrockClaude: 'claude-sonnet-4-5-bedrock',
} as const;

/** Which fake serves a model. */
export type Upstream = 'openai' | 'anthropic' | 'gemini' | 'bedrock';

/** Whether a request body (any dialect) carries a tool's result. */
export function hasToolResult(body: unknown): boolean {
  return /"(tool_call_id|tool_use_id|call_id|functionResponse|toolResult)"/.test(JSON.stringify(body));
}

export interface CallerRig {
  gw: LocalGateway;
  fakes: FakeTrio;
  /** The gateway's base URL with `/v1`, as OpenAI and Anthropic client libraries take it. */
  baseURL: string;
  /** A new key for every model, so a test's usage records are its own (`extra`: more of `POST /admin/keys`'s body, e.g. limits). */
  freshKey(extra?: Record<string, unknown>): Promise<{ id: string; key: string }>;
  /** Waits until `count` usage records of the key are written, and returns them. */
  usage(keyId: string, count: number): Promise<StoredUsage[]>;
  /** The fake `upstream` answers this text, counting 11 input and 7 output tokens. */
  replyText(upstream: Upstream, text: string): void;
  /**
   * The fake `upstream` asks for one `weather` call for Oslo (20 in, 9 out), then, once the
   * request holds the tool's result, answers `Oslo is 4°C.` (30 in, 5 out).
   */
  replyToolLoop(upstream: Upstream): void;
  /** Moves the gateway's clock on to the start of its next minute: the calls made next share one per-minute rate window. */
  startMinute(): void;
  /** Clears the fakes' requests and replies, and the accounts' rests, between tests. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * The gateway as `npm start` runs it (node:http, embedded dynalite through the real DynamoDB
 * client) in front of fake OpenAI, Anthropic, Gemini and Bedrock upstreams, for suites whose caller is a
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
  const clock = minuteClock();
  const gw = await startLocalGateway({
    now: clock.now,
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
        { name: m.bedrockClaude, targets: [{ provider: 'aws', model: 'anthropic.claude-sonnet-4-5-20250929-v1:0' }] },
      ],
    }),
  });
  // Records are keyed by the gateway's clock, which runs on (past midnight UTC) and moves on.
  const startedAt = clock.now();
  return {
    gw,
    fakes,
    baseURL: `${gw.url}/v1`,
    startMinute: clock.startMinute,
    freshKey: (extra = {}) => createGatewayKey(gw.url, ADMIN_TOKEN, { name: 'caller', models: ['*'], ...extra }),
    async usage(keyId, count) {
      let records: StoredUsage[] = [];
      await eventually(async () => {
        await gw.gateway.drain();
        records = await usageSince(gw.table, keyId, startedAt, clock.now());
        if (records.length < count) throw new Error(`${records.length} usage records of ${keyId}, waiting for ${count}`);
      });
      return records;
    },
    replyText(upstream, text) {
      if (upstream === 'openai') fakes.openai.reply({ kind: 'text', text, usage: { prompt: 11, completion: 7 } });
      if (upstream === 'anthropic') fakes.anthropic.reply({ kind: 'text', text, usage: { input: 11, output: 7 } });
      if (upstream === 'gemini') fakes.gemini.reply({ kind: 'text', text, usage: { prompt: 11, candidates: 7 } });
      if (upstream === 'bedrock') fakes.bedrock.reply({ kind: 'text', text, usage: { input: 11, output: 7 } });
    },
    replyToolLoop(upstream) {
      const args = { city: 'Oslo' };
      const answer = 'Oslo is 4°C.';
      if (upstream === 'openai') {
        fakes.openai.reply((req) =>
          hasToolResult(req.body) ? { kind: 'text', text: answer, usage: { prompt: 30, completion: 5 } } : { kind: 'tool_calls', calls: [{ name: 'weather', arguments: JSON.stringify(args) }], usage: { prompt: 20, completion: 9 } },
        );
      }
      if (upstream === 'anthropic') {
        fakes.anthropic.reply((req) => (hasToolResult(req.body) ? { kind: 'text', text: answer, usage: { input: 30, output: 5 } } : { kind: 'tool_use', calls: [{ name: 'weather', input: args }], usage: { input: 20, output: 9 } }));
      }
      if (upstream === 'gemini') {
        fakes.gemini.reply((req) => (hasToolResult(req.body) ? { kind: 'text', text: answer, usage: { prompt: 30, candidates: 5 } } : { kind: 'function_calls', calls: [{ name: 'weather', args }], usage: { prompt: 20, candidates: 9 } }));
      }
      if (upstream === 'bedrock') {
        fakes.bedrock.reply((req) => (hasToolResult(req.body) ? { kind: 'text', text: answer, usage: { input: 30, output: 5 } } : { kind: 'tool_use', calls: [{ name: 'weather', input: args }], usage: { input: 20, output: 9 } }));
      }
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

/**
 * The rig for a whole test file: started before its tests, closed after, its fakes and rests
 * cleared before each. The object is filled in by beforeAll: read its fields inside tests.
 */
export function callerRigForSuite(): CallerRig {
  const rig = {} as CallerRig;
  beforeAll(async () => {
    Object.assign(rig, await startCallerRig());
  });
  // (A rig that failed to start has no close.)
  afterAll(async () => rig.close?.());
  beforeEach(() => rig.reset());
  return rig;
}
