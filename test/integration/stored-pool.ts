import OpenAI from 'openai';
import { parseConfig } from '../../lib/config/load';
import { rendezvousOrder, stickyKeyOf } from '../../lib/routing/sticky';
import { DynamoStoredHomes } from '../../lib/store/stored-homes';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';
import { startInstances, type Instances } from './instances';

/** The three OpenAI accounts of the stored-responses suites' pool. */
export const POOL_ACCOUNTS = ['one', 'two', 'three'] as const;
export type PoolAccount = (typeof POOL_ACCOUNTS)[number];

/** The account a Responses call of this body tries first, by its sticky key (every instance computes the same). */
export function firstAccountFor(body: Record<string, unknown>): PoolAccount {
  return rendezvousOrder(POOL_ACCOUNTS.map((id) => ({ id, weight: 1 })), stickyKeyOf('openai-responses', {}, body)!)[0]!.id as PoolAccount;
}

/**
 * An opening input whose account is not the one a continuation saying `next` would be sent to by
 * its own sticky key: so only the memory, the table or asking finds the account that holds its response.
 */
export function openingAwayFrom(model: string, next: string): string {
  const continuation = firstAccountFor({ model, input: next, previous_response_id: 'resp_x' });
  return Array.from({ length: 30 }, (_, n) => `Task ${n}: plan the migration.`).find((input) => firstAccountFor({ model, input }) !== continuation)!;
}

/** A streamed Responses answer read to its end: the response's id and its text. */
export async function streamedResponse(stream: AsyncIterable<OpenAI.Responses.ResponseStreamEvent>): Promise<{ id: string; text: string }> {
  let id = '';
  let text = '';
  for await (const event of stream) {
    if (event.type === 'response.created') id = event.response.id;
    if (event.type === 'response.output_text.delta') text += event.delta;
  }
  return { id, text };
}

/** Two instances on one dynalite in front of the pool's three fake OpenAI accounts (`pool`), on a clock the cases move. */
export interface StoredPoolSuite {
  fakes: Record<PoolAccount, FakeOpenAI>;
  instances: Instances;
  /** The table's homes of stored objects, read on the suite's clock. */
  homes: DynamoStoredHomes;
  /** On each instance (`a`, `b`): the key of team alpha (`mine`) and of team beta (`rival`). */
  clients: Record<'a' | 'b', Record<'mine' | 'rival', OpenAI>>;
  /** Team alpha's id. */
  teamId: string;
  /** The instances' clock (epoch ms), from the wall clock at the start: cases set `time.now`. */
  time: { now: number };
}

/**
 * The stored-responses pool for a whole describe block: started before its tests, closed after.
 * `model` is served by the pool's three accounts, with `routing.ownerlessAfterSeconds` of `settleS`.
 * The object is filled in by beforeAll, so read its fields inside tests, not when the block is defined.
 *
 * @example
 * const pool = storedPoolForSuite({ tableName: 'homes-again', model: 'gpt-4o-mini', settleS: 300 });
 * it('…', async () => {
 *   const made = await pool.clients.a.mine.responses.create({ model: 'gpt-4o-mini', input: 'Hi' });
 *   pool.time.now += 60_000;
 * });
 */
export function storedPoolForSuite(options: { tableName: string; model: string; settleS: number; chunkDelayMs?: number }): StoredPoolSuite {
  const suite = { fakes: {}, clients: {}, time: { now: Date.now() } } as StoredPoolSuite;
  beforeAll(async () => {
    for (const id of POOL_ACCOUNTS) suite.fakes[id] = await startFakeOpenAI({ apiKey: 'sk-up', ...(options.chunkDelayMs ? { chunkDelayMs: options.chunkDelayMs } : {}) });
    const config = parseConfig({
      providers: [{ id: 'pool', type: 'openai', accounts: POOL_ACCOUNTS.map((id) => ({ id, baseUrl: suite.fakes[id].url, apiKey: { env: 'UP' } })) }],
      models: [{ name: options.model, targets: [{ provider: 'pool', model: options.model }] }],
      routing: { ownerlessAfterSeconds: options.settleS },
    });
    const now = () => suite.time.now;
    suite.instances = await startInstances({ config, count: 2, tableName: options.tableName, credentials: { UP: 'sk-up' }, now });
    suite.homes = new DynamoStoredHomes(suite.instances.gateways[0]!.table, now);
    const [team, other] = [await suite.instances.createTeam({ name: 'alpha' }), await suite.instances.createTeam({ name: 'beta' })];
    suite.teamId = team.id;
    const keys = { mine: await suite.instances.createKey({ name: 'alpha-1', teamId: team.id }), rival: await suite.instances.createKey({ name: 'beta-1', teamId: other.id }) };
    for (const [i, side] of (['a', 'b'] as const).entries()) {
      const baseURL = `${suite.instances.gateways[i]!.url}/v1`;
      const client = (apiKey: string) => new OpenAI({ apiKey, baseURL, maxRetries: 0, timeout: 10_000 });
      suite.clients[side] = { mine: client(keys.mine.key), rival: client(keys.rival.key) };
    }
  });
  afterAll(async () => {
    await suite.instances?.close();
    for (const id of POOL_ACCOUNTS) await suite.fakes[id]?.close();
  });
  return suite;
}
