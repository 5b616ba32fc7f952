import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseConfig } from '../../lib/config/load';
import { LocalCredentials } from '../../lib/credentials/local';
import { startLocalGateway, type LocalGateway } from '../../lib/local/start';
import { AccountLoad } from '../../lib/routing/account-load';
import { AccountHealth } from '../../lib/routing/health';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic';
import type { FakeQuotaOptions } from '../fakes/fake-quota';
import { defaultReply, startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';
import { balancedByLog } from './balanced-by-log';

/**
 * Pools balanced by `headroom`: two accounts, each its own fake upstream that keeps a quota and
 * reports it in the provider's rate-limit headers, through the gateway as `npm start` runs it and the
 * official clients. One clock (moved on by the cases) drives the fakes' windows, the readings and the
 * rests, so a reset passes without waiting for it. Sticky routing is off: every call is balanced.
 */
describe('balancing a pool by the headroom its upstreams report', () => {
  let skewMs = 0;
  const now = () => Date.now() + skewMs;
  const { logger, balancedBy } = balancedByLog();
  let gw: LocalGateway | undefined;
  /** The readings of the gateway `gatewayOf` started last. */
  let load: AccountLoad;
  const closers: (() => Promise<void>)[] = [];

  beforeEach(() => {
    skewMs = 0;
    balancedBy.length = 0;
  });
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  /** A gateway over these providers, with its own readings and rests on the shared clock; the new key's token. */
  async function gatewayOf(providers: unknown[], models: unknown[]): Promise<string> {
    const config = parseConfig({ providers, models, routing: { sticky: false } });
    gw = await startLocalGateway({
      config,
      adminToken: 'admin',
      store: { embedded: undefined },
      health: new AccountHealth(now),
      load: (load = new AccountLoad(now)),
      logger,
      shareHealth: false,
      credentials: new LocalCredentials({ UP: 'sk-up' }),
    });
    const res = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: 'Bearer admin' }, body: JSON.stringify({ name: 'headroom' }) });
    return ((await res.json()) as { key: string }).key;
  }

  describe('with the official openai client and two OpenAI accounts', () => {
    async function openAIAccount(quota: Omit<FakeQuotaOptions, 'now'>): Promise<FakeOpenAI> {
      const fake = await startFakeOpenAI({ apiKey: 'sk-up', quota: { ...quota, now } });
      closers.push(() => fake.close());
      return fake;
    }
    let spare: FakeOpenAI;
    let client: OpenAI;
    async function start(one: FakeOpenAI, two: FakeOpenAI): Promise<void> {
      spare = await startFakeOpenAI({ apiKey: 'sk-up' });
      closers.push(() => spare.close());
      const key = await gatewayOf(
        [
          {
            id: 'pool',
            type: 'openai',
            balance: 'headroom',
            accounts: [
              { id: 'one', baseUrl: one.url, apiKey: { env: 'UP' } },
              { id: 'two', baseUrl: two.url, apiKey: { env: 'UP' } },
            ],
          },
          { id: 'spare', type: 'openai', accounts: [{ id: 'spare', baseUrl: spare.url, apiKey: { env: 'UP' } }] },
        ],
        [
          { name: 'pooled', targets: [{ provider: 'pool', model: 'gpt-4o-mini' }] },
          { name: 'with-spare', targets: [{ provider: 'pool', model: 'gpt-4o-mini' }, { provider: 'spare', model: 'gpt-4o-mini' }] },
          { name: 'tts', targets: [{ provider: 'pool', model: 'gpt-4o-mini-tts' }] },
        ],
      );
      client = new OpenAI({ apiKey: key, baseURL: `${gw!.url}/v1`, maxRetries: 0 });
    }
    const ask = (model = 'pooled') => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });

    it('sends the calls to the account with more of its quota left, and says headroom ordered them', async () => {
      const one = await openAIAccount({ requests: 100, tokens: 1_000_000 });
      const two = await openAIAccount({ requests: 100, tokens: 1_000_000 });
      one.quota!.set({ requests: 90 }); // other instances (or other users of the account) have spent the rest
      two.quota!.set({ requests: 30 });
      await start(one, two);
      await ask();
      await ask(); // each account, never read, is tried once

      const before = [one.requests.length, two.requests.length];
      for (let i = 0; i < 20; i++) await ask();

      expect(before).toEqual([1, 1]);
      expect([one.requests.length, two.requests.length]).toEqual([21, 1]);
      await gw!.gateway.drain();
      expect(balancedBy).toEqual(Array(22).fill('headroom'));
    });

    it('keeps the reading of the call sent last when the call sent first answers after it', async () => {
      const one = await openAIAccount({ requests: 100, tokens: 1_000_000 });
      const two = await openAIAccount({ requests: 100, tokens: 1_000_000 });
      one.quota!.set({ requests: 90 });
      two.quota!.set({ requests: 30 });
      await start(one, two);
      await ask();
      await ask(); // read: one has 89 left, two 29, so both calls below go to one
      let calls = 0;
      // The first call is counted (88 left) at once but answers late, as a long whole answer does.
      one.reply(async (req) => {
        if (calls++ === 0) await sleep(300);
        return defaultReply(req);
      });

      const slow = ask();
      while (one.requests.length < 2) await sleep(5);
      await ask(); // counted after it (87 left), answers first
      await slow;

      expect([one.requests.length, two.requests.length]).toEqual([3, 1]);
      expect(load.headroom('pool/one', 'gpt-4o-mini')).toBe(0.87);
    });

    it('follows the headroom as it moves: the other account takes over once the first has spent more than it', async () => {
      const one = await openAIAccount({ requests: 100, tokens: 1_000_000 });
      const two = await openAIAccount({ requests: 100, tokens: 1_000_000 });
      one.quota!.set({ requests: 60 });
      two.quota!.set({ requests: 50 });
      await start(one, two);
      await ask();
      await ask();

      for (let i = 0; i < 30; i++) await ask();

      // Both end within a band (5 requests) of each other: the fuller one took the calls as it went.
      const left = [100 - 40 - one.requests.length, 100 - 50 - two.requests.length];
      expect(one.requests.length + two.requests.length).toBe(32);
      expect(Math.abs(left[0]! - left[1]!)).toBeLessThanOrEqual(5);
      expect(two.requests.length).toBeGreaterThan(3);
    });

    it('does not try an account that reported 0 left, a healthy fallback first, until its reset has passed', async () => {
      // A minute's window: one is benched until a band of it (3 s) could have come back, longer than the asks below take on a loaded machine.
      const one = await openAIAccount({ requests: 100, tokens: 1_000_000, windowMs: 60_000 });
      const two = await openAIAccount({ requests: 100, tokens: 1_000_000, windowMs: 120_000 });
      one.quota!.set({ requests: 1 }); // its first answer says 0 left
      two.quota!.set({ requests: 60 });
      await start(one, two);
      await ask();
      await ask();
      let failed = 0;
      two.reply((req) => (failed++ ? defaultReply(req) : { kind: 'error', status: 500 }));

      const served = await ask('with-spare'); // two fails: the spare serves, not the account out of quota
      const whileOut = [one.requests.length, spare.requests.length];
      skewMs += 61_000; // one's window has ended (and two's rest after its 500)
      for (let i = 0; i < 3; i++) await ask('with-spare');

      expect(served.choices[0]!.message.content).toBe('Echo: hi');
      expect(whileOut).toEqual([1, 1]);
      // Full again, one has the most left: it takes the calls, and answers them.
      expect([one.requests.length, spare.requests.length]).toEqual([4, 1]);
    });

    it("keeps the quota readings of speech answers that came with their rate-limit headers and then gave no audio", async () => {
      // Prepare: each account answers 200 in audio's type, with its quota in the headers, and ends with no audio.
      const one = await openAIAccount({ requests: 100, tokens: 1_000_000 });
      const two = await openAIAccount({ requests: 100, tokens: 1_000_000 });
      one.quota!.set({ requests: 90 });
      two.quota!.set({ requests: 30 });
      await start(one, two);
      for (const fake of [one, two]) fake.reply({ kind: 'raw', status: 200, headers: { 'content-type': 'audio/mpeg' }, body: [] });

      // Act
      const error = await client.audio.speech.create({ model: 'tts', voice: 'alloy', input: 'Read the quota aloud.' }).catch((e: unknown) => e);

      // Assess: both failed over from (no audio reaches the client), and both answers' headers are the readings.
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect(error).toMatchObject({ status: 502, code: 'upstream_bad_response' });
      expect([one.requests.length, two.requests.length]).toEqual([1, 1]);
      expect([load.headroom('pool/one', 'gpt-4o-mini-tts'), load.headroom('pool/two', 'gpt-4o-mini-tts')]).toEqual([0.89, 0.29]);
    });
  });

  describe('with the official Anthropic client and two Anthropic accounts', () => {
    let one: FakeAnthropic;
    let two: FakeAnthropic;
    let client: Anthropic;

    beforeEach(async () => {
      one = await startFakeAnthropic({ apiKey: 'sk-up', quota: { requests: 50, tokens: 100_000, windowMs: 20_000, now } });
      two = await startFakeAnthropic({ apiKey: 'sk-up', quota: { requests: 50, tokens: 100_000, windowMs: 120_000, now } });
      closers.push(
        () => one.close(),
        () => two.close(),
      );
      const key = await gatewayOf(
        [
          {
            id: 'claude',
            type: 'anthropic',
            accounts: [
              { id: 'one', baseUrl: one.url, apiKey: { env: 'UP' } },
              { id: 'two', baseUrl: two.url, apiKey: { env: 'UP' } },
            ],
          },
        ],
        [
          { name: 'claude-sonnet-4-6', targets: [{ provider: 'claude', model: 'claude-sonnet-4-6', balance: 'headroom' }] },
          { name: 'sonnet-4-5', targets: [{ provider: 'claude', model: 'claude-sonnet-4-5-20250929', balance: 'headroom' }] },
        ],
      );
      client = new Anthropic({ apiKey: key, baseURL: gw!.url, maxRetries: 0 });
    });
    const ask = (model = 'claude-sonnet-4-6') => client.messages.create({ model, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });

    it('sends the calls to the account with more tokens left, reading what one Sonnet 4 model spent for another', async () => {
      one.quota!.set({ tokens: 90_000 });
      two.quota!.set({ tokens: 20_000 });
      await ask();
      await ask();

      for (let i = 0; i < 10; i++) await ask('sonnet-4-5'); // the same model class: already read

      expect([one.requests.length, two.requests.length]).toEqual([11, 1]);
    });

    it('does not try an account that reported 0 requests left until its reset has passed', async () => {
      one.quota!.set({ requests: 1 });
      two.quota!.set({ requests: 20 });
      await ask();
      await ask();

      for (let i = 0; i < 6; i++) await ask();
      const whileOut = one.requests.length;
      skewMs += 21_000; // one's window has ended; two's has not (its last reading said 13 of 50 left)
      const answer = await ask();

      expect(whileOut).toBe(1);
      expect(one.requests.length).toBe(2);
      expect(answer.content[0]).toMatchObject({ type: 'text', text: 'Echo: hi' });
    });
  });
});
