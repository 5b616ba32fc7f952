import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startFakeAnthropic, type FakeAnthropic } from './anthropic';
import { startFakeOpenAI, type FakeOpenAI } from './openai';

/** The fakes' rate limits, read as the official clients read them: the raw answer's headers. */
describe("the fakes' rate limits", () => {
  let now = Date.parse('2026-11-27T03:00:00.000Z');
  const clock = () => now;
  let openai: FakeOpenAI;
  let anthropic: FakeAnthropic;
  let plain: FakeOpenAI;
  let oa: OpenAI;
  let an: Anthropic;

  beforeAll(async () => {
    openai = await startFakeOpenAI({ quota: { requests: 3, tokens: 10_000, now: clock } });
    anthropic = await startFakeAnthropic({ quota: { requests: 2, tokens: 10_000, windowMs: 30_000, now: clock } });
    plain = await startFakeOpenAI();
    oa = new OpenAI({ apiKey: 'sk-test', baseURL: openai.url, maxRetries: 0 });
    an = new Anthropic({ apiKey: 'sk-ant', baseURL: anthropic.url, maxRetries: 0 });
  });
  afterAll(async () => {
    await Promise.all([openai.close(), anthropic.close(), plain.close()]);
  });

  const askOpenAI = (client = oa) => client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
  const askAnthropic = () => an.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }).withResponse();

  it('counts an OpenAI account down by request and by prompt tokens, with the reset as a duration', async () => {
    const first = (await askOpenAI()).response.headers;
    now += 15_000;
    const second = (await askOpenAI()).response.headers;

    expect([first.get('x-ratelimit-limit-requests'), first.get('x-ratelimit-remaining-requests'), first.get('x-ratelimit-reset-requests')]).toEqual(['3', '2', '1m0s']);
    expect([second.get('x-ratelimit-remaining-requests'), second.get('x-ratelimit-reset-tokens')]).toEqual(['1', '45s']);
    expect(Number(first.get('x-ratelimit-limit-tokens')) - Number(second.get('x-ratelimit-remaining-tokens'))).toBeGreaterThan(2 * 7);
  });

  it('refuses an OpenAI call once the quota is spent, with the real 429 and retry-after, until the window ends', async () => {
    openai.quota!.set({ requests: 0 });

    const refused = await askOpenAI().catch((e: unknown) => e);
    now += 60_000;
    const after = (await askOpenAI()).response.headers;

    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect((refused as InstanceType<typeof OpenAI.RateLimitError>).headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(Number((refused as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after'))).toBeGreaterThan(0);
    expect(after.get('x-ratelimit-remaining-requests')).toBe('2');
  });

  it('reports the same nearly full quota on every answer of a fake without one', async () => {
    const headers = (await askOpenAI(new OpenAI({ apiKey: 'sk-test', baseURL: plain.url, maxRetries: 0 }))).response.headers;

    expect([headers.get('x-ratelimit-limit-requests'), headers.get('x-ratelimit-remaining-requests')]).toEqual(['30000', '29999']);
  });

  it('counts an Anthropic account down in anthropic-ratelimit-* headers, with the reset as an RFC 3339 time, then refuses', async () => {
    const headers = (await askAnthropic()).response.headers;
    await askAnthropic();

    const refused = await askAnthropic().catch((e: unknown) => e);

    expect([headers.get('anthropic-ratelimit-requests-limit'), headers.get('anthropic-ratelimit-requests-remaining')]).toEqual(['2', '1']);
    expect(Date.parse(headers.get('anthropic-ratelimit-requests-reset')!)).toBeGreaterThan(now);
    expect(headers.get('anthropic-ratelimit-input-tokens-remaining')).toBe(headers.get('anthropic-ratelimit-tokens-remaining'));
    expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
    expect((refused as InstanceType<typeof Anthropic.RateLimitError>).headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
  });
});
