import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { LocalGateway } from '../../lib/local/start';
import { listUsage } from '../../lib/store/usage';
import { behindFakesForSuite } from './instances';

/**
 * Limits hold across instances: two gateways on one DynamoDB endpoint, as Lambda instances share
 * one table, with the official clients as callers. The gateways' clock is fixed so that the
 * minute cannot turn while a test runs.
 */
describe('per-key rate limits across gateway instances', () => {
  const NOW = Date.now();
  const day = new Date(NOW).toISOString().slice(0, 10);
  const fakes = behindFakesForSuite({ tableName: 'limits', now: () => NOW });

  const createKey = (body: Record<string, unknown>) => fakes.instances.createKey(body);
  const openai = (gw: LocalGateway, apiKey: string) => new OpenAI({ apiKey, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  const drain = () => fakes.instances.drain();

  it('lets exactly 50 of 200 parallel requests through a limit of 50, split over two instances, and records all 200', async () => {
    const { id, key } = await createKey({ name: 'racer', limits: { requestsPerMinute: 50 } });
    const clients = [openai(fakes.a, key), openai(fakes.b, key)];
    const calledBefore = fakes.openaiUp.requests.length;

    const outcomes = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const client = clients[i % 2]!;
        try {
          if (i % 4 < 2) {
            await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `hi ${i}` }] });
          } else {
            const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: `hi ${i}` }] });
            for await (const _ of stream) {
              // read it all
            }
          }
          return 'served';
        } catch (err) {
          if (!(err instanceof OpenAI.RateLimitError)) throw err;
          expect(Number(err.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
          expect(err.code).toBe('rate_limit_exceeded');
          return 'limited';
        }
      }),
    );
    await drain();

    expect(outcomes.filter((o) => o === 'served')).toHaveLength(50);
    expect(outcomes.filter((o) => o === 'limited')).toHaveLength(150);
    expect(fakes.openaiUp.requests.length - calledBefore).toBe(50);
    const records = await listUsage(fakes.a.table, id, day);
    expect(records).toHaveLength(200);
    expect(records.filter((r) => r.status === 429)).toHaveLength(150);
  });

  it('counts tokens served by one instance against the limit the other enforces', async () => {
    fakes.openaiUp.reply(() => ({ kind: 'text', text: 'Hello there', usage: { prompt: 60, completion: 40 } }));
    const { key } = await createKey({ name: 'tokens', limits: { tokensPerMinute: 150 } });
    const ask = (gw: LocalGateway) => openai(gw, key).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });

    try {
      await ask(fakes.a); // 0 of 150 used before it
      await drain();
      await ask(fakes.b); // 100 of 150
      await drain();
      const refused = await ask(fakes.a).catch((err: unknown) => err);

      expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
      expect((refused as InstanceType<typeof OpenAI.RateLimitError>).message).toContain('150 tokens per minute');
    } finally {
      fakes.openaiUp.reset();
    }
  });

  it('refuses Claude Code\'s client with the Anthropic error it knows, once the key is over its limit', async () => {
    const { key } = await createKey({ name: 'claude', limits: { requestsPerMinute: 1 } });
    const ask = (gw: LocalGateway) => new Anthropic({ apiKey: key, baseURL: gw.url, maxRetries: 0 }).messages.create({ model: 'claude-sonnet-4-6', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });

    await ask(fakes.b);
    const refused = await ask(fakes.a).catch((err: unknown) => err);

    expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
    expect((refused as InstanceType<typeof Anthropic.RateLimitError>).error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
  });

  it('applies a limit changed through the admin API once the instances\' key caches have turned', async () => {
    const { id, key } = await createKey({ name: 'changing' });
    await openai(fakes.a, key).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });

    const patched = await fetch(`${fakes.a.url}/admin/keys/${id}`, { method: 'PATCH', headers: { authorization: 'Bearer admin' }, body: JSON.stringify({ limits: { requestsPerMinute: 1 } }) });
    // A fresh instance reads the key anew, as every instance does within keyCache.ttlSeconds.
    const fresh = await fakes.instances.start();
    await openai(fresh, key).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    const refused = await openai(fresh, key).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).catch((err: unknown) => err);

    expect(patched.status).toBe(200);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
  });
});
