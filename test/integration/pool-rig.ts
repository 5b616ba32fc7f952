import OpenAI from 'openai';
import { parseConfig } from '../../lib/config/load';
import type { GatewayConfigInput } from '../../lib/config/schema';
import { LocalCredentials } from '../../lib/credentials/local';
import { startLocalGateway, type LocalGateway, type LocalGatewayOptions } from '../../lib/local/start';
import type { StoredUsage } from '../../lib/store/usage';
import { defaultReply, startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions, type Reply } from '../fakes/openai';
import { createGatewayKey, eventually } from './harness';
import { usageSince } from './usage-since';
import { ADMIN } from './instances';
import { closedOnFailure, startedForSuite } from './suite-start';

type OpenAIProviderInput = Extract<NonNullable<GatewayConfigInput['providers']>[number], { type: 'openai' }>;

/** A pool of two OpenAI accounts in front of which a gateway runs, and a key and client to call it. */
export interface OpenAIPool {
  /** Account `one`'s own fake upstream. */
  one: FakeOpenAI;
  /** Account `two`'s own fake upstream. */
  two: FakeOpenAI;
  gw: LocalGateway;
  key: string;
  keyId: string;
  /** When the pool started (epoch ms): its usage is read from that day on (`usageSince`). */
  startedAt: number;
  /** The official OpenAI client with the key; no retries, so each call is one attempt. */
  client: OpenAI;
  /** The one usage record of the call `requestId` (its answer's `x-request-id`) as the table holds it, once written: one call, one record, however many attempts it took. */
  recordOf(requestId: string | null | undefined): Promise<StoredUsage>;
  /**
   * Gives the next call, on whichever account the pool tries first (its order is weighted at
   * random), `reply`, and every later call the usual answer; says which account that was.
   */
  firstCallGets(reply: Reply): FirstCall;
  close(): Promise<void>;
}

export type PoolAccount = 'one' | 'two';

/** Which account got the first call of a case (`OpenAIPool.firstCallGets`), and the other. */
export interface FirstCall {
  first(): PoolAccount;
  other(): PoolAccount;
  fake(id: PoolAccount): FakeOpenAI;
}

/**
 * The gateway as `npm start` runs it (node:http, embedded dynalite) in front of the OpenAI
 * provider `pool` of two accounts, `one` and `two`, each its own fake upstream so that the one
 * that served a call is known; both upstreams take the secret UP (`sk-up`). Rests are not shared
 * through the table, so a suite that passes its own `health` can clear it between cases.
 *
 * @example
 * const pool = await startOpenAIPool({ pool: { balance: 'least-busy' }, config: { models: [{ name: 'chat', targets: [{ provider: 'pool', model: 'gpt-4o-mini' }] }] }, key: { name: 'spread' } });
 * await pool.client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] });
 * expect(pool.one.requests.length + pool.two.requests.length).toBe(1);
 */
export async function startOpenAIPool(options: {
  /** The provider's settings besides its accounts: `balance`, `timeouts`… */
  pool?: Omit<OpenAIProviderInput, 'id' | 'type' | 'accounts'>;
  /** The rest of the config: models (targeting provider `pool`), routing, guardrails… */
  config: Omit<GatewayConfigInput, 'providers'>;
  /** Options of both fake upstreams (e.g. `chunkDelayMs`). */
  fakes?: Omit<FakeOpenAIOptions, 'apiKey'>;
  /** The gateway's own readings, rests, logger or audit sink, for a suite that looks at them. */
  gateway?: Pick<LocalGatewayOptions, 'health' | 'load' | 'logger' | 'audit'>;
  /** `POST /admin/keys`'s body for the suite's key. */
  key: Record<string, unknown>;
}): Promise<OpenAIPool> {
  const startedAt = Date.now();
  return closedOnFailure(async (open) => {
    const one = await open(startFakeOpenAI({ ...options.fakes, apiKey: 'sk-up' }));
    const two = await open(startFakeOpenAI({ ...options.fakes, apiKey: 'sk-up' }));
    const accounts = [
      { id: 'one', baseUrl: one.url, apiKey: { env: 'UP' } },
      { id: 'two', baseUrl: two.url, apiKey: { env: 'UP' } },
    ];
    const config = parseConfig({ ...options.config, providers: [{ ...options.pool, id: 'pool', type: 'openai', accounts }] });
    const gw = await open(startLocalGateway({ ...options.gateway, config, adminToken: ADMIN, store: { embedded: undefined }, shareHealth: false, credentials: new LocalCredentials({ UP: 'sk-up' }) }));
    const { id: keyId, key } = await createGatewayKey(gw.url, ADMIN, options.key);
    const fakes = { one, two };
    return {
      one,
      two,
      gw,
      key,
      keyId,
      startedAt,
      client: new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 }),
      recordOf: (requestId) => onlyRecordOf(gw, keyId, requestId, startedAt),
      firstCallGets: (reply) => firstCallOfPool(fakes, reply, defaultReply),
      async close() {
        await gw.close();
        await one.close();
        await two.close();
      },
    };
  });
}

/**
 * The pool for a whole test file (or describe block): started before its tests and closed after
 * (`startedForSuite`: a start that fails is reported alone);
 * before each test both fakes are reset and the accounts' rests (`gateway.health`, when given)
 * cleared, so no case meets another's replies or rests. Filled in by beforeAll: read its fields
 * inside tests, not when the file is loaded.
 *
 * @example
 * const health = new AccountHealth();
 * const pool = openAIPoolForSuite({ config: { models: [{ name: 'chat', targets: [{ provider: 'pool', model: 'gpt-4o-mini' }] }] }, gateway: { health }, key: { name: 'suite' } });
 * it('…', async () => expect((await pool.client.models.list()).data).toHaveLength(1));
 */
export function openAIPoolForSuite(options: Parameters<typeof startOpenAIPool>[0]): OpenAIPool {
  return startedForSuite(
    () => startOpenAIPool(options),
    (pool) => {
      pool.one.reset();
      pool.two.reset();
      options.gateway?.health?.clear();
    },
  );
}

/** The one usage record of the call `requestId` on `gw` (its answer's `x-request-id`), made after `since` (epoch ms, on the gateway's clock `now`), once written: one call, one record, however many attempts it took. */
export async function onlyRecordOf(gw: Pick<LocalGateway, 'gateway' | 'table'>, keyId: string, requestId: string | null | undefined, since: number, now: () => number = Date.now): Promise<StoredUsage> {
  let found: StoredUsage | undefined;
  await eventually(async () => {
    await gw.gateway.drain();
    const records = (await usageSince(gw.table, keyId, since, now())).filter((r) => r.requestId === requestId);
    expect(records).toHaveLength(1);
    found = records[0];
  });
  return found!;
}

/**
 * Gives the next call, on whichever of two fake accounts the pool tries first, `reply`, and every
 * later call `usual`'s answer; says which account that was. Any fake that takes a responder will do.
 */
export function firstCallOfPool<Fake extends { reply(responder: (req: Req) => R): void }, Req, R>(fakes: Record<PoolAccount, Fake>, reply: R, usual: (req: Req) => R): { first(): PoolAccount; other(): PoolAccount; fake(id: PoolAccount): Fake } {
  let first: PoolAccount | undefined;
  for (const id of ['one', 'two'] as const) {
    fakes[id].reply((req) => {
      if (first !== undefined) return usual(req);
      first = id;
      return reply;
    });
  }
  const firstId = (): PoolAccount => {
    if (first === undefined) throw new Error('no call came');
    return first;
  };
  return { first: firstId, other: () => (firstId() === 'one' ? 'two' : 'one'), fake: (id) => fakes[id] };
}
