import OpenAI from 'openai';
import { parseConfig } from '../../lib/config/load';
import type { GatewayConfig, Price } from '../../lib/config/schema';
import { LocalCredentials } from '../../lib/credentials/local';
import { startDynalite, type EmbeddedDynamo } from '../../lib/local/dynalite';
import { startLocalGateway, type LocalGateway } from '../../lib/local/start';
import type { StoredUsage } from '../../lib/store/usage';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';
import { usageSince } from './usage-since';

export const ADMIN = 'admin';

/** Gateway instances on one DynamoDB endpoint, as Lambda instances share one table. */
export interface Instances {
  dynamo: EmbeddedDynamo;
  gateways: LocalGateway[];
  /** Starts one more instance on the same table (one that has read no key yet). */
  start(): Promise<LocalGateway>;
  /** Creates a key through the first instance's admin API. */
  createKey(body: Record<string, unknown>): Promise<{ id: string; key: string }>;
  /** Creates a team through the first instance's admin API. */
  createTeam(body: Record<string, unknown>): Promise<{ id: string; name: string }>;
  /** Waits for every instance's writes that outlive responses. */
  drain(): Promise<void>;
  /** Waits for every instance's writes, then reads the usage records of a key of every day since the instances started, on their clock (`now`, else the wall's). */
  usage(keyId: string): Promise<StoredUsage[]>;
  close(): Promise<void>;
}

export async function startInstances(options: { config: GatewayConfig; count: number; tableName: string; credentials: Record<string, string>; now?: () => number; keepAliveMs?: number }): Promise<Instances> {
  // Records are keyed by the instances' clock, which a suite may hold still or move on (past midnight).
  const clock = options.now ?? Date.now;
  const startedAt = clock();
  const dynamo = await startDynalite();
  const gateways: LocalGateway[] = [];
  const start = async () => {
    const gw = await startLocalGateway({
      config: options.config,
      adminToken: ADMIN,
      // One dynalite in the test's own process takes every write of a hot counter in turn: on a slow
      // 2-core CI machine, 200 parallel calls against one budget queued some writes past the
      // production bound of 5 s without a word, and calls were refused as unchecked. The bound is
      // the deployment's; what these tests prove is what the counters let through.
      store: { endpoint: dynamo.endpoint, socketTimeoutMs: 30_000 },
      tableName: options.tableName,
      credentials: new LocalCredentials(options.credentials),
      ...(options.now ? { now: options.now } : {}),
      ...(options.keepAliveMs ? { keepAliveMs: options.keepAliveMs } : {}),
    });
    gateways.push(gw);
    return gw;
  };
  for (let i = 0; i < options.count; i++) await start();
  async function create<T>(what: 'keys' | 'teams', body: Record<string, unknown>): Promise<T> {
    const res = await fetch(`${gateways[0]!.url}/admin/${what}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` }, body: JSON.stringify(body) });
    if (res.status !== 201) throw new Error(`${what} creation failed: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }
  async function drain(): Promise<void> {
    await Promise.all(gateways.map((gw) => gw.gateway.drain()));
  }
  return {
    dynamo,
    gateways,
    start,
    createKey: (body) => create<{ id: string; key: string }>('keys', body),
    createTeam: (body) => create<{ id: string; name: string }>('teams', body),
    drain,
    async usage(keyId) {
      await drain();
      return usageSince(gateways[0]!.table, keyId, startedAt, clock());
    },
    async close() {
      for (const gw of gateways) await gw.close();
      await dynamo.close();
    },
  };
}

/** Two instances in front of a fake OpenAI (`gpt-4o-mini`) and a fake Anthropic (`claude-sonnet-4-6`), both models priced as given. */
export interface BehindFakes {
  openaiUp: FakeOpenAI;
  anthropicUp: FakeAnthropic;
  instances: Instances;
  a: LocalGateway;
  b: LocalGateway;
  close(): Promise<void>;
}

export async function startBehindFakes(options: { tableName: string; now: () => number; price?: Price }): Promise<BehindFakes> {
  const openaiUp = await startFakeOpenAI({ apiKey: 'sk-up' });
  const anthropicUp = await startFakeAnthropic({ apiKey: 'sk-ant' });
  const price = options.price ? { price: options.price } : {};
  const config = parseConfig({
    providers: [
      { id: 'up', type: 'openai', baseUrl: openaiUp.url, accounts: [{ id: 'a', apiKey: { env: 'UP' } }] },
      { id: 'ant', type: 'anthropic', baseUrl: anthropicUp.url, accounts: [{ id: 'a', apiKey: { env: 'ANT' } }] },
    ],
    models: [
      { name: 'gpt-4o-mini', ...price, targets: [{ provider: 'up', model: 'gpt-4o-mini' }] },
      { name: 'claude-sonnet-4-6', ...price, targets: [{ provider: 'ant', model: 'claude-sonnet-4-6' }] },
    ],
  });
  const instances = await startInstances({ config, count: 2, tableName: options.tableName, now: options.now, credentials: { UP: 'sk-up', ANT: 'sk-ant' } });
  const [a, b] = instances.gateways as [LocalGateway, LocalGateway];
  return {
    openaiUp,
    anthropicUp,
    instances,
    a,
    b,
    async close() {
      await instances.close();
      await openaiUp.close();
      await anthropicUp.close();
    },
  };
}

/**
 * The fakes and two instances for a whole describe block: started before its tests, closed after.
 * The object is filled in by beforeAll, so read its fields inside tests, not when the block is defined.
 */
export function behindFakesForSuite(options: { tableName: string; now: () => number; price?: Price }): BehindFakes {
  const suite = {} as BehindFakes;
  beforeAll(async () => {
    Object.assign(suite, await startBehindFakes(options));
  });
  afterAll(async () => suite.close());
  return suite;
}

/** How one call of a race ended: served, or refused with a 429 (its message, code and headers). */
export type RaceOutcome = { outcome: 'served' | 'limited'; message?: string; code?: string | null; headers?: Record<string, string> };

/**
 * Sends `count` chat calls (`gpt-4o-mini`, each prompt its own) at once, spread over the clients
 * (and so over keys and instances); says how each ended. Any error but a 429 fails the race.
 */
export async function raceChatCalls(count: number, clients: readonly OpenAI[], body: Partial<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming> = {}): Promise<RaceOutcome[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      try {
        await clients[i % clients.length]!.chat.completions.create({ model: 'gpt-4o-mini', ...body, messages: [{ role: 'user', content: `hi ${i}` }] });
        return { outcome: 'served' as const };
      } catch (err) {
        if (!(err instanceof OpenAI.RateLimitError)) throw err;
        return { outcome: 'limited' as const, message: err.message, code: err.code, headers: Object.fromEntries(err.headers?.entries() ?? []) };
      }
    }),
  );
}
