import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { LocalGateway } from '../../lib/local/start';
import { behindFakesForSuite } from './instances';

/**
 * The gateway tells a limited key's clients where its limits stand, in their own dialect, read
 * through the official clients; the upstream account's own headers never reach them. The clock is
 * fixed 12 s before a minute's end.
 */
describe('rate-limit headers', () => {
  const MINUTE_END = Date.parse(`${new Date().toISOString().slice(0, 10)}T12:01:00Z`);
  const fakes = behindFakesForSuite({ tableName: 'rate-headers', now: () => MINUTE_END - 12_000 });
  const openai = (gw: LocalGateway, apiKey: string) => new OpenAI({ apiKey, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  const anthropic = (gw: LocalGateway, apiKey: string) => new Anthropic({ apiKey, baseURL: gw.url, maxRetries: 0 });
  const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] };
  const ratelimitHeaders = (headers: Headers) => Object.fromEntries([...headers].filter(([name]) => name.includes('ratelimit')));

  it('gives OpenAI clients the key\'s x-ratelimit-* headers, counting down, on answers and streams, and on the 429', async () => {
    const { a, b, instances, openaiUp } = fakes;
    openaiUp.reply(() => ({ kind: 'text', text: 'Hello', usage: { prompt: 60, completion: 40 } }));
    const { key } = await instances.createKey({ name: 'paced', limits: { requestsPerMinute: 3, tokensPerMinute: 1000 } });

    const first = await openai(a, key).chat.completions.create(chat).withResponse();
    await instances.drain();
    const second = await openai(b, key).chat.completions.create({ ...chat, stream: true }).withResponse();
    for await (const _ of second.data) {
      // read it all
    }
    await instances.drain();
    const third = await openai(a, key).chat.completions.create(chat).withResponse();
    const refused = await openai(b, key).chat.completions.create(chat).catch((err: unknown) => err);

    expect(ratelimitHeaders(first.response.headers)).toEqual({
      'x-ratelimit-limit-requests': '3',
      'x-ratelimit-remaining-requests': '2',
      'x-ratelimit-reset-requests': '12s',
      'x-ratelimit-limit-tokens': '1000',
      'x-ratelimit-remaining-tokens': '1000',
      'x-ratelimit-reset-tokens': '12s',
    });
    expect(ratelimitHeaders(second.response.headers)).toMatchObject({ 'x-ratelimit-remaining-requests': '1', 'x-ratelimit-remaining-tokens': '900' });
    expect(ratelimitHeaders(third.response.headers)).toMatchObject({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-remaining-tokens': '800' });
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    const { headers } = refused as InstanceType<typeof OpenAI.RateLimitError>;
    expect(ratelimitHeaders(headers!)).toMatchObject({ 'x-ratelimit-limit-requests': '3', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '12s' });
    expect(headers!.get('retry-after')).toBe('12');
  });

  it('gives a key without limits no rate-limit headers, not even the upstream account\'s', async () => {
    const { a, instances } = fakes;
    const { key } = await instances.createKey({ name: 'free' });

    const { response } = await openai(a, key).chat.completions.create(chat).withResponse();

    expect(ratelimitHeaders(response.headers)).toEqual({});
  });

  it('tells the numbers of the tighter scope: the team\'s when it has fewer left than the key', async () => {
    const { a, instances } = fakes;
    const team = await instances.createTeam({ name: 'small', limits: { requestsPerMinute: 2 } });
    const { key } = await instances.createKey({ name: 'member', teamId: team.id, limits: { requestsPerMinute: 100 } });

    const { response } = await openai(a, key).chat.completions.create(chat).withResponse();

    expect(ratelimitHeaders(response.headers)).toEqual({ 'x-ratelimit-limit-requests': '2', 'x-ratelimit-remaining-requests': '1', 'x-ratelimit-reset-requests': '12s' });
  });

  it('gives Anthropic clients anthropic-ratelimit-* headers with an RFC 3339 reset, on the answer and on the 429', async () => {
    const { a, instances } = fakes;
    const { key } = await instances.createKey({ name: 'claude', limits: { requestsPerMinute: 1 } });
    const message = { model: 'claude-sonnet-4-6', max_tokens: 16, messages: [{ role: 'user' as const, content: 'hi' }] };

    const { response } = await anthropic(a, key).messages.create(message).withResponse();
    const refused = await anthropic(a, key).messages.create(message).catch((err: unknown) => err);

    const reset = new Date(MINUTE_END).toISOString().replace('.000Z', 'Z');
    expect(ratelimitHeaders(response.headers)).toEqual({ 'anthropic-ratelimit-requests-limit': '1', 'anthropic-ratelimit-requests-remaining': '0', 'anthropic-ratelimit-requests-reset': reset });
    expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
    expect(ratelimitHeaders((refused as InstanceType<typeof Anthropic.RateLimitError>).headers!)).toEqual({
      'anthropic-ratelimit-requests-limit': '1',
      'anthropic-ratelimit-requests-remaining': '0',
      'anthropic-ratelimit-requests-reset': reset,
    });
  });
});
