import { writeFileSync } from 'node:fs';
import { defaultReply, startFakeOpenAI } from '../fakes/openai';
import { fakePoolForSuite, poolAccounts, startFakePool } from './fake-pool';
import { openAIPoolForSuite } from './pool-rig';

// Run by suite-start.test.ts in a child jest, never by the suite (it fails on purpose): each
// block's pool fails to start half-way, after a fake upstream has started listening.

describe('a fake pool whose second account fails to start', () => {
  const pool = fakePoolForSuite(() =>
    startFakePool({
      start: (account) => (account === 'one' ? startFakeOpenAI() : Promise.reject(new Error('FAKE TWO WOULD NOT START'))),
      provider: (fakes) => ({ id: 'pool', type: 'openai', accounts: poolAccounts(fakes, { apiKey: { env: 'UP' } }) }),
      config: { models: [] },
      credentials: { UP: 'sk-up' },
      usual: defaultReply,
      keyName: 'never',
    }),
  );
  it('has a pool to call', () => expect(pool.key).toBeDefined());
});

describe('an OpenAI pool whose gateway fails to start, its fakes listening', () => {
  // A model that targets a provider the config does not have: parseConfig refuses it once both fakes are up.
  const pool = openAIPoolForSuite({ config: { models: [{ name: 'chat', targets: [{ provider: 'NO-SUCH-PROVIDER', model: 'gpt-4o-mini' }] }] }, key: { name: 'never' } });
  it('has a pool to call', () => expect(pool.key).toBeDefined());
});

// Runs after both blocks' afterAll: what is still open once each pool has been closed, if it could
// be. A closed server's handle is released a turn of the loop after its close resolves: one left
// listening is still there after a second.
afterAll(async () => {
  for (let waited = 0; waited < 1_000 && process.getActiveResourcesInfo().includes('TCPServerWrap'); waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
  writeFileSync(process.env.SUITE_START_RESOURCES!, JSON.stringify(process.getActiveResourcesInfo()));
});
