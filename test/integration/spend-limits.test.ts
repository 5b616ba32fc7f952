import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { spendItemKey } from '../../lib/store/table';
import { listUsage } from '../../lib/store/usage';
import { openAIClient, storedNumber } from './harness';
import { behindFakesForSuite } from './instances';

/**
 * Budgets hold across instances: two gateways on one DynamoDB endpoint, the official clients as
 * callers. Output costs $1 per million tokens (one micro-dollar a token) and prompts nothing, so a
 * call's worst case is exactly its max_tokens in micro-dollars.
 */
describe('per-key spend limits across gateway instances', () => {
  const NOW = Date.now();
  const day = new Date(NOW).toISOString().slice(0, 10);
  const fakes = behindFakesForSuite({ tableName: 'budgets', now: () => NOW, price: { input: 0, output: 1 } });
  beforeEach(() => fakes.openaiUp.reset());

  const createKey = (limits: Record<string, number>) => fakes.instances.createKey({ name: 'budget', limits });
  const drain = () => fakes.instances.drain();
  const spent = (keyId: string, period: string) => storedNumber(fakes.a, spendItemKey(keyId, period), 'micros');

  it('lets exactly as many of 200 parallel calls through as the budget holds, over two instances, and the books balance', async () => {
    // Each call may write 1 000 tokens and does: it costs its worst case, $0.001; the day holds 50 of them.
    fakes.openaiUp.reply(() => ({ kind: 'text', text: 'Hello there', usage: { prompt: 20, completion: 1_000 } }));
    const { id, key } = await createKey({ usdPerDay: 0.05, usdPerMonth: 1 });
    const clients = [openAIClient(fakes.a, key), openAIClient(fakes.b, key)];

    const outcomes = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const client = clients[i % 2]!;
        try {
          if (i % 4 < 2) {
            await client.chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 1_000, messages: [{ role: 'user', content: `hi ${i}` }] });
          } else {
            const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 1_000, stream: true, messages: [{ role: 'user', content: `hi ${i}` }] });
            for await (const _ of stream) {
              // read it all
            }
          }
          return 'served';
        } catch (err) {
          if (!(err instanceof OpenAI.RateLimitError)) throw err;
          expect(err.code).toBe('insufficient_quota');
          expect(err.headers?.get('x-should-retry')).toBe('false');
          return 'over budget';
        }
      }),
    );
    await drain();

    expect(outcomes.filter((o) => o === 'served')).toHaveLength(50);
    expect(fakes.openaiUp.requests).toHaveLength(50);
    const records = await listUsage(fakes.a.table, id, day);
    expect(records).toHaveLength(200);
    const costs = records.reduce((sum, r) => sum + (typeof r.costMicros === 'number' ? r.costMicros : 0), 0);
    expect(costs).toBe(50_000);
    expect(await spent(id, day)).toBe(50_000);
    expect(await spent(id, day.slice(0, 7))).toBe(50_000);
  });

  it('gives back what calls did not spend, so the budget holds what they cost and no more', async () => {
    fakes.openaiUp.reply(() => ({ kind: 'text', text: 'Hello there', usage: { prompt: 20, completion: 7 } }));
    const { id, key } = await createKey({ usdPerDay: 0.0025 });

    // 2 500 micro-dollars: room for two calls that may each write 1 000 tokens at a time, but each writes 7.
    for (let i = 0; i < 10; i++) {
      await openAIClient(i % 2 ? fakes.a : fakes.b, key).chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 1_000, messages: [{ role: 'user', content: 'hi' }] });
    }
    await drain();

    expect(await spent(id, day)).toBe(70);
  });

  it('tells the Anthropic client not to retry, and it does not', async () => {
    const { id, key } = await createKey({ usdPerDay: 0.001 });

    const refused = await new Anthropic({ apiKey: key, baseURL: fakes.b.url })
      .messages.create({ model: 'claude-sonnet-4-6', max_tokens: 2_000, messages: [{ role: 'user', content: 'hi' }] })
      .catch((err: unknown) => err);
    await drain();

    expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
    expect((refused as InstanceType<typeof Anthropic.RateLimitError>).message).toContain('Spend limit reached');
    // The client's default is two retries: one record means it made one attempt.
    expect(await listUsage(fakes.a.table, id, day)).toHaveLength(1);
    expect(fakes.anthropicUp.requests).toHaveLength(0);
  });
});
