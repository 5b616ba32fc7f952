import OpenAI from 'openai';
import type { LocalGateway } from '../../lib/local/start';
import { rateWindowKey, spendItemKey } from '../../lib/store/table';
import { listUsage, type StoredUsage } from '../../lib/store/usage';
import { windowAt } from '../../lib/access/rate-limits';
import { openAIClient, storedNumber } from './harness';
import { behindFakesForSuite, raceChatCalls } from './instances';

/**
 * Team limits hold across keys and instances: two gateways on one DynamoDB endpoint, several keys
 * of one team, the official OpenAI client as caller. The clock is fixed so that the minute cannot
 * turn while a test runs.
 */
const ask = (client: OpenAI, body: Partial<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming> = {}) =>
  client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], ...body });

describe('team rate limits across keys and gateway instances', () => {
  const NOW = Date.now();
  const day = new Date(NOW).toISOString().slice(0, 10);
  const minute = windowAt(NOW).id;
  const suite = behindFakesForSuite({ tableName: 'team-rates', now: () => NOW });

  it('lets exactly 50 of 200 parallel calls through a team limit of 50, over two keys and two instances, and records all 200 with the team', async () => {
    const team = await suite.instances.createTeam({ name: 'platform', limits: { requestsPerMinute: 50 } });
    const one = await suite.instances.createKey({ name: 'one', teamId: team.id });
    const two = await suite.instances.createKey({ name: 'two', teamId: team.id });
    const calledBefore = suite.openaiUp.requests.length;

    const outcomes = await raceChatCalls(200, [openAIClient(suite.a, one.key), openAIClient(suite.b, one.key), openAIClient(suite.a, two.key), openAIClient(suite.b, two.key)]);
    await suite.instances.drain();

    expect(outcomes.filter((o) => o.outcome === 'served')).toHaveLength(50);
    const limited = outcomes.filter((o) => o.outcome === 'limited');
    expect(limited).toHaveLength(150);
    expect(new Set(limited.map((o) => o.message?.replace(/Try again in \d+s\./, '')))).toEqual(new Set(['429 Rate limit reached: team "platform" allows 50 requests per minute. ']));
    expect(suite.openaiUp.requests.length - calledBefore).toBe(50);
    const records: StoredUsage[] = [...(await listUsage(suite.a.table, one.id, day)), ...(await listUsage(suite.a.table, two.id, day))];
    expect(records).toHaveLength(200);
    expect(records.every((r) => r.teamId === team.id)).toBe(true);
    expect(records.filter((r) => r.status === 429)).toHaveLength(150);
  });

  it('holds a key to its own limit when it is stricter than its team\'s, and the team\'s other keys to the rest', async () => {
    const team = await suite.instances.createTeam({ name: 'loose', limits: { requestsPerMinute: 12 } });
    const strict = await suite.instances.createKey({ name: 'strict', teamId: team.id, limits: { requestsPerMinute: 4 } });
    const free = await suite.instances.createKey({ name: 'free', teamId: team.id });

    const strictOutcomes = await raceChatCalls(20, [openAIClient(suite.a, strict.key), openAIClient(suite.b, strict.key)]);
    const freeOutcomes = await raceChatCalls(20, [openAIClient(suite.a, free.key), openAIClient(suite.b, free.key)]);

    expect(strictOutcomes.filter((o) => o.outcome === 'served')).toHaveLength(4);
    expect(strictOutcomes.find((o) => o.outcome === 'limited')?.message).toContain('this API key allows 4 requests per minute');
    // The strict key's refusals never reached the team's counter: 12 − 4 places are left for the other key.
    expect(freeOutcomes.filter((o) => o.outcome === 'served')).toHaveLength(8);
    expect(freeOutcomes.find((o) => o.outcome === 'limited')?.message).toContain('team "loose" allows 12 requests per minute');
  });

  it('holds a key to its team\'s limit when that is the stricter, and gives back the key\'s places the team refused', async () => {
    const team = await suite.instances.createTeam({ name: 'tight', limits: { requestsPerMinute: 5 } });
    const member = await suite.instances.createKey({ name: 'member', teamId: team.id, limits: { requestsPerMinute: 30 } });

    const outcomes = await raceChatCalls(20, [openAIClient(suite.a, member.key), openAIClient(suite.b, member.key)]);
    await suite.instances.drain();

    expect(outcomes.filter((o) => o.outcome === 'served')).toHaveLength(5);
    expect(outcomes.find((o) => o.outcome === 'limited')).toMatchObject({ code: 'rate_limit_exceeded', message: expect.stringContaining('team "tight" allows 5 requests per minute') });
    expect(await storedNumber(suite.a, rateWindowKey(member.id, minute), 'requests')).toBe(5);
    expect(await storedNumber(suite.a, rateWindowKey(team.id, minute), 'requests')).toBe(5);
  });

  it('reports usage by team: the roll-up sums the team\'s calls over its keys, and the report filters by team', async () => {
    const team = await suite.instances.createTeam({ name: 'reporting' });
    const one = await suite.instances.createKey({ name: 'one', teamId: team.id });
    const two = await suite.instances.createKey({ name: 'two', teamId: team.id });
    for (const key of [one.key, two.key, two.key]) await ask(openAIClient(suite.a, key));
    await suite.instances.drain();
    const admin = (method: string, path: string) => fetch(`${suite.b.url}${path}`, { method, headers: { authorization: 'Bearer admin' } });

    const rolled = await admin('POST', '/admin/usage/rollup');
    const report = (await (await admin('GET', `/admin/usage?from=${day}&to=${day}&team=${team.id}`)).json()) as { data: { keyId: string; teamId: string; teamName: string; requests: number }[] };

    expect(rolled.status).toBe(200);
    expect(report.data.map((r) => [r.keyId, r.teamId, r.teamName, r.requests]).sort()).toEqual(
      [
        [one.id, team.id, 'reporting', 1],
        [two.id, team.id, 'reporting', 2],
      ].sort(),
    );
  });

  it('narrows a key to the models its team\'s patterns allow, in calls and in the model list', async () => {
    const team = await suite.instances.createTeam({ name: 'openai-only', models: ['gpt-*'] });
    const member = await suite.instances.createKey({ name: 'member', models: ['*'], teamId: team.id });

    const refused = await new OpenAI({ apiKey: member.key, baseURL: `${suite.a.url}/v1`, maxRetries: 0 }).chat.completions
      .create({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'hi' }] })
      .catch((err: unknown) => err);
    const served = await ask(openAIClient(suite.b, member.key));
    const listed = await openAIClient(suite.a, member.key).models.list();

    expect(refused).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(refused).toMatchObject({ code: 'model_not_allowed', message: expect.stringContaining('team "openai-only"') });
    expect(served.choices[0]?.message.content).toBeTruthy();
    expect(listed.data.map((m) => m.id)).toEqual(['gpt-4o-mini']);
  });

  it('refuses a model without a price to a key whose team has a budget', async () => {
    const team = await suite.instances.createTeam({ name: 'budgeted', limits: { usdPerDay: 5 } });
    const member = await suite.instances.createKey({ name: 'member', teamId: team.id });

    const refused = await ask(openAIClient(suite.a, member.key)).catch((err: unknown) => err);

    expect(refused).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(refused).toMatchObject({ code: 'model_not_priced' });
  });
});

/** Output costs $1 per million tokens (one micro-dollar a token), prompts nothing: a call's worst case is its max_tokens in micro-dollars. */
describe('team budgets across keys and gateway instances', () => {
  const NOW = Date.now();
  const day = new Date(NOW).toISOString().slice(0, 10);
  const suite = behindFakesForSuite({ tableName: 'team-budgets', now: () => NOW, price: { input: 0, output: 1 } });
  beforeEach(() => suite.openaiUp.reset());

  const spent = (gw: LocalGateway, scopeId: string, period: string) => storedNumber(gw, spendItemKey(scopeId, period), 'micros');
  const costOf = (records: StoredUsage[]) => records.reduce((sum, r) => sum + (typeof r.costMicros === 'number' ? r.costMicros : 0), 0);

  it('lets exactly as many of 200 parallel calls through as the team\'s budget holds, over two keys and two instances, and the books balance', async () => {
    // Each call may write 1 000 tokens and does: it costs its worst case, $0.001; the team's day holds 50 of them.
    suite.openaiUp.reply(() => ({ kind: 'text', text: 'Hello there', usage: { prompt: 20, completion: 1_000 } }));
    const team = await suite.instances.createTeam({ name: 'finance', limits: { usdPerDay: 0.05, usdPerMonth: 1 } });
    const one = await suite.instances.createKey({ name: 'one', teamId: team.id });
    const two = await suite.instances.createKey({ name: 'two', teamId: team.id });

    const outcomes = await raceChatCalls(200, [openAIClient(suite.a, one.key), openAIClient(suite.b, two.key), openAIClient(suite.b, one.key), openAIClient(suite.a, two.key)], { max_tokens: 1_000 });
    await suite.instances.drain();

    expect(outcomes.filter((o) => o.outcome === 'served')).toHaveLength(50);
    const refused = outcomes.filter((o) => o.outcome === 'limited');
    expect(refused.every((o) => o.code === 'insufficient_quota' && o.message?.includes('team "finance" may spend $0.05 a day'))).toBe(true);
    expect(suite.openaiUp.requests).toHaveLength(50);
    const records = [...(await listUsage(suite.a.table, one.id, day)), ...(await listUsage(suite.a.table, two.id, day))];
    expect(records).toHaveLength(200);
    expect(records.every((r) => r.teamId === team.id)).toBe(true);
    expect(costOf(records)).toBe(50_000);
    expect(await spent(suite.a, team.id, day)).toBe(50_000);
    expect(await spent(suite.a, team.id, day.slice(0, 7))).toBe(50_000);
    // The keys have no budgets of their own: nothing is written in their names.
    expect(await spent(suite.a, one.id, day)).toBe(0);
  });

  it('settles both the key\'s budget and the team\'s to what calls cost', async () => {
    suite.openaiUp.reply(() => ({ kind: 'text', text: 'Hello there', usage: { prompt: 20, completion: 7 } }));
    const team = await suite.instances.createTeam({ name: 'settling', limits: { usdPerDay: 1 } });
    const member = await suite.instances.createKey({ name: 'member', teamId: team.id, limits: { usdPerMonth: 1 } });

    for (let i = 0; i < 6; i++) await ask(openAIClient(i % 2 ? suite.a : suite.b, member.key), { max_tokens: 1_000 });
    await suite.instances.drain();

    expect(await spent(suite.a, team.id, day)).toBe(42);
    expect(await spent(suite.a, member.id, day.slice(0, 7))).toBe(42);
  });

  it.each([
    ['the key\'s budget is the stricter: refused by it, the team never charged for the refusals', 'roomy', 1, 0.003, 3, 'this API key may spend $0.003 a day'],
    ['the team\'s budget is the stricter: refused by it, the key\'s holds given back', 'strict', 0.002, 1, 2, 'team "strict" may spend $0.002 a day'],
  ])('holds a key in a team to both budgets when %s', async (_case, name, teamPerDay, keyPerDay, served, refusal) => {
    suite.openaiUp.reply(() => ({ kind: 'text', text: 'Hello there', usage: { prompt: 20, completion: 1_000 } }));
    const team = await suite.instances.createTeam({ name, limits: { usdPerDay: teamPerDay } });
    const member = await suite.instances.createKey({ name: 'member', teamId: team.id, limits: { usdPerDay: keyPerDay } });

    const outcomes = await raceChatCalls(10, [openAIClient(suite.a, member.key), openAIClient(suite.b, member.key)], { max_tokens: 1_000 });
    await suite.instances.drain();

    expect(outcomes.filter((o) => o.outcome === 'served')).toHaveLength(served);
    expect(outcomes.find((o) => o.outcome === 'limited')?.message).toContain(refusal);
    // Each served call cost its worst case, $0.001, in both scopes; nothing refused stayed held in either.
    expect(await spent(suite.a, member.id, day)).toBe(served * 1_000);
    expect(await spent(suite.a, team.id, day)).toBe(served * 1_000);
  });
});
