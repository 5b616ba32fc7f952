import type { GatewayConfigInput } from '../../lib/config/schema';
import { parseConfig } from '../../lib/config/load';
import { LocalCredentials } from '../../lib/credentials/local';
import { startLocalGateway, type LocalGateway, type LocalGatewayOptions } from '../../lib/local/start';
import { AccountHealth } from '../../lib/routing/health';
import type { StoredUsage } from '../../lib/store/usage';
import type { FakeUpstream } from '../fakes/fake-server';
import type { RecordedRequest } from '../fakes/http';
import { createGatewayKey } from './harness';
import { ADMIN } from './instances';
import { firstCallOfPool, onlyRecordOf, type PoolAccount } from './pool-rig';
import { closedOnFailure, startedForSuite } from './suite-start';

type ProviderInput = NonNullable<GatewayConfigInput['providers']>[number];

/** Which account got the first call of a case (`FakePool.firstCallGets`), and the other. */
export interface FirstCallOf<Fake> {
  first(): PoolAccount;
  other(): PoolAccount;
  fake(id: PoolAccount): Fake;
}

/** A gateway in front of one provider of two accounts, `one` and `two`, each its own fake upstream of any provider. */
export interface FakePool<Fake, Reply> {
  /** Each account's own fake: the one that served a call is known. */
  fakes: Record<PoolAccount, Fake>;
  gw: LocalGateway;
  key: string;
  keyId: string;
  /** The gateway's rests, not shared through the table: `reset` clears them between cases. */
  health: AccountHealth;
  /** The one usage record of the call `requestId` (its answer's `x-request-id`), once written. */
  recordOf(requestId: string | null | undefined): Promise<StoredUsage>;
  /** Gives the next call, on whichever account the pool tries first, `reply`, and every later call the usual answer; says which account that was. */
  firstCallGets(reply: Reply): FirstCallOf<Fake>;
  /** Back to a healthy pool of fakes giving their usual answers, nothing recorded (a suite's `beforeEach`). */
  reset(): void;
  close(): Promise<void>;
}

/**
 * The gateway as `npm start` runs it (node:http, embedded dynalite) in front of the provider that
 * `provider` makes of two fakes (`start`ed once per account), with `config`'s models, and a key
 * named `keyName`; rests are not shared through the table, so that `reset` can clear them. The
 * OpenAI pool (`startOpenAIPool`) is this for OpenAI with a client; this takes any fake.
 *
 * @example
 * const pool = await startFakePool({
 *   start: () => startFakeGemini({ apiKey: 'gemini-key' }),
 *   provider: (fakes) => ({ id: 'google', type: 'gemini', accounts: poolAccounts(fakes, { apiKey: { env: 'GEMINI_KEY' } }) }),
 *   config: { models: [{ name: 'gemini-2.5-flash', targets: [{ provider: 'google', model: 'gemini-2.5-flash' }] }], routing: { sticky: false } },
 *   credentials: { GEMINI_KEY: 'gemini-key' },
 *   usual: defaultGeminiReply,
 *   keyName: 'early-error-gemini',
 * });
 */
export async function startFakePool<Fake extends FakeUpstream<Reply, Req>, Reply, Req extends RecordedRequest>(options: {
  start: (account: PoolAccount) => Promise<Fake>;
  /** The provider's config, its accounts pointing at the fakes (`poolAccounts`). */
  provider: (fakes: Record<PoolAccount, Fake>) => ProviderInput;
  /** The rest of the config: models (targeting the provider), routing… */
  config: Omit<GatewayConfigInput, 'providers'>;
  /** The secrets the provider's accounts name. */
  credentials: Record<string, string>;
  /** The fakes' usual answer, for the calls after the first (`firstCallGets`). */
  usual: (req: Req) => Reply;
  keyName: string;
  /** The gateway's own clock, readings or logger, for a suite that looks at them (`health` is made here, on `now`). */
  gateway?: Pick<LocalGatewayOptions, 'load' | 'logger' | 'now'>;
}): Promise<FakePool<Fake, Reply>> {
  return closedOnFailure(async (open) => {
    const fakes = { one: await open(options.start('one')), two: await open(options.start('two')) };
    const health = new AccountHealth(options.gateway?.now);
    const clock = options.gateway?.now ?? Date.now;
    const startedAt = clock();
    const config = parseConfig({ ...options.config, providers: [options.provider(fakes)] });
    const gw = await open(startLocalGateway({ ...options.gateway, config, health, adminToken: ADMIN, store: { embedded: undefined }, shareHealth: false, credentials: new LocalCredentials(options.credentials) }));
    const { id: keyId, key } = await createGatewayKey(gw.url, ADMIN, { name: options.keyName });
    return {
      fakes,
      gw,
      key,
      keyId,
      health,
      recordOf: (requestId) => onlyRecordOf(gw, keyId, requestId, startedAt, clock),
      firstCallGets: (reply) => firstCallOfPool<Fake, Req, Reply>(fakes, reply, options.usual),
      reset() {
        fakes.one.reset();
        fakes.two.reset();
        health.clear();
      },
      async close() {
        await gw.close();
        await fakes.one.close();
        await fakes.two.close();
      },
    };
  });
}

/**
 * The two accounts `one` and `two`, each with its fake's URL as `baseUrl` and `settings` (its
 * credentials' names).
 *
 * @example
 * poolAccounts(fakes, { apiKey: { env: 'UP' } }) // [{ id: 'one', baseUrl: fakes.one.url, apiKey: … }, { id: 'two', … }]
 */
export function poolAccounts<Settings extends object>(fakes: Record<PoolAccount, { url: string }>, settings: Settings): (Settings & { id: PoolAccount; baseUrl: string })[] {
  return (['one', 'two'] as const).map((id) => ({ id, baseUrl: fakes[id].url, ...settings }));
}

/**
 * A pool (`start`, e.g. `startGeminiPool`) for a whole test file or describe block: started before
 * its tests, reset before each (fakes and rests), closed after (`startedForSuite`: a start that
 * fails is reported alone). Filled in by beforeAll: read its fields inside tests, not when the
 * file is loaded.
 *
 * @example
 * const pool = fakePoolForSuite(() => startGeminiPool('early-error-gemini'));
 * it('…', async () => expect(pool.firstCallGets(reply).first()).toMatch(/one|two/));
 */
export function fakePoolForSuite<Fake, Reply>(start: () => Promise<FakePool<Fake, Reply>>): FakePool<Fake, Reply> {
  return startedForSuite(start, (pool) => pool.reset());
}
