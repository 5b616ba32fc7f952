import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { endUserCounterId } from '../../lib/access/end-user';
import { windowAt } from '../../lib/access/rate-limits';
import { runCli } from '../../lib/cli/main';
import type { LocalGateway } from '../../lib/local/start';
import { rateWindowKey, spendItemKey } from '../../lib/store/table';
import { listUsage } from '../../lib/store/usage';
import { anthropicClient, openAIClient, storedNumber } from './harness';
import { ADMIN, behindFakesForSuite, raceChatCalls, type RaceOutcome } from './instances';

/**
 * End users under one key: attribution in usage records and reports, and each end user held to
 * the key's (or its team's) end-user limits by counters of its own, across two instances sharing
 * one table, with the official clients as callers. The clock is fixed so the minute cannot turn.
 */
const openai = (gw: LocalGateway, apiKey: string, endUser?: string) => openAIClient(gw, apiKey, endUser ? { defaultHeaders: { 'x-aigw-end-user': endUser } } : {});
const ask = (client: OpenAI, body: Partial<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming> = {}) =>
  client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], ...body });
const message = (userId?: string): Anthropic.MessageCreateParamsNonStreaming => ({
  model: 'claude-sonnet-4-6',
  max_tokens: 50,
  messages: [{ role: 'user', content: 'hi' }],
  ...(userId ? { metadata: { user_id: userId } } : {}),
});

const served = (outcomes: readonly RaceOutcome[]) => outcomes.filter((o) => o.outcome === 'served').length;
const untilRetry = (text: string | undefined) => text?.replace(/ Try again in \d+s\./, '');

describe('end users: attribution and per-minute limits under one key', () => {
  const NOW = Date.now();
  const day = new Date(NOW).toISOString().slice(0, 10);
  const minute = windowAt(NOW).id;
  const TABLE = 'end-user-rates';
  const suite = behindFakesForSuite({ tableName: TABLE, now: () => NOW });

  it('records the end user each client named (OpenAI user, the header, Anthropic metadata.user_id) and reports usage by end user', async () => {
    const app = await suite.instances.createKey({ name: 'app' });
    const claudeCodeUserId = `user_${'a'.repeat(64)}_account_00000000-0000-0000-0000-000000000000_session_11111111-1111-1111-1111-111111111111`;

    await ask(openai(suite.a, app.key), { user: 'alice' });
    await ask(openai(suite.b, app.key, 'bob'), { user: 'not-bob' });
    await ask(openai(suite.a, app.key, 'bob'));
    await anthropicClient(suite.b, app.key).messages.create(message(claudeCodeUserId));
    await ask(openai(suite.a, app.key));
    await suite.instances.drain();
    const records = await listUsage(suite.a.table, app.id, day);
    const report = await fetch(`${suite.b.url}/admin/usage/end-users?from=${day}&to=${day}&key=${app.id}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const body = (await report.json()) as { data: { endUser: string | null; model: string; requests: number; keyName: string }[] };

    expect(records.map((r) => r.endUser ?? null).sort()).toEqual(['alice', 'bob', 'bob', claudeCodeUserId, null].sort());
    expect(body.data.map((r) => [r.endUser, r.model, r.requests, r.keyName]).sort()).toEqual(
      [
        ['alice', 'gpt-4o-mini', 1, 'app'],
        ['bob', 'gpt-4o-mini', 2, 'app'],
        [claudeCodeUserId, 'claude-sonnet-4-6', 1, 'app'],
        [null, 'gpt-4o-mini', 1, 'app'],
      ].sort(),
    );
  });

  it('prints the report by end user, and one end user\'s, with aigw usage', async () => {
    const app = await suite.instances.createKey({ name: 'cli-app' });
    for (const who of ['carol', 'carol', 'dave']) await ask(openai(suite.a, app.key, who));
    await suite.instances.drain();
    const out: string[] = [];
    const cli = (args: string[]) => runCli(args, { stdout: (t) => out.push(t), stderr: (t) => out.push(t), env: { GATEWAY_URL: suite.b.url, GATEWAY_ADMIN_TOKEN: ADMIN }, cwd: process.cwd() });

    const byEndUser = await cli(['usage', '--by', 'end-user', '--key', app.id, '--from', day, '--to', day]);
    const all = out.splice(0).join('');
    const oneEndUser = await cli(['usage', '--end-user', 'carol', '--key', app.id, '--from', day, '--to', day]);
    const one = out.splice(0).join('');

    expect([byEndUser, oneEndUser]).toEqual([0, 0]);
    expect(all).toContain(`Usage of key ${app.id} on ${day} (UTC), by end-user`);
    expect(all).toMatch(new RegExp(`\\ncarol\\s+${app.id}\\s+2\\s`));
    expect(all).toMatch(new RegExp(`\\ndave\\s+${app.id}\\s+1\\s`));
    expect(one).toContain('of end user "carol"');
    expect(one).toMatch(/\nTOTAL\s+2\s/);
    expect(one).not.toContain('dave');
  });

  it('refuses an end user past its limit with a 429 naming it and the rate-limit headers of its scope, and leaves another end user of the key alone', async () => {
    const app = await suite.instances.createKey({ name: 'limited-app', endUserLimits: { requestsPerMinute: 2 } });

    const alice = await raceChatCalls(3, [openai(suite.a, app.key, 'alice')]);
    const bob = await ask(openai(suite.b, app.key), { user: 'bob' }).withResponse();

    expect(served(alice)).toBe(2);
    const refusal = alice.find((o) => o.outcome === 'limited')!;
    expect(untilRetry(refusal.message)).toBe('429 Rate limit reached: end user "alice" of this API key allows 2 requests per minute.');
    expect(refusal.code).toBe('rate_limit_exceeded');
    expect(refusal.headers).toMatchObject({ 'x-ratelimit-limit-requests': '2', 'x-ratelimit-remaining-requests': '0', 'retry-after': expect.stringMatching(/^\d+$/) });
    expect(bob.response.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    expect(await storedNumber(suite.a, rateWindowKey(endUserCounterId(app.id, 'alice'), minute), 'requests')).toBe(2);
  });

  it('refuses an Anthropic client\'s end user (metadata.user_id) past its limit in Anthropic\'s shape, with anthropic-ratelimit headers', async () => {
    const app = await suite.instances.createKey({ name: 'claude-app', endUserLimits: { requestsPerMinute: 1 } });

    const first = await anthropicClient(suite.a, app.key).messages.create(message('erin')).withResponse();
    const refused = await anthropicClient(suite.b, app.key).messages.create(message('erin')).catch((err: unknown) => err);
    const other = await anthropicClient(suite.b, app.key).messages.create(message('frank'));

    expect(first.response.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
    const error = refused as InstanceType<typeof Anthropic.RateLimitError>;
    expect(error.message).toContain('end user \\"erin\\" of this API key allows 1 requests per minute');
    expect(error.headers?.get('anthropic-ratelimit-requests-limit')).toBe('1');
    expect(other.content[0]).toBeTruthy();
  });

  it('lets exactly 50 of 200 parallel calls from one end user through its limit of 50 over two instances, while a second end user racing beside it gets its own 50', async () => {
    const app = await suite.instances.createKey({ name: 'busy-app', endUserLimits: { requestsPerMinute: 50 } });
    const calledBefore = suite.openaiUp.requests.length;

    const [alice, bob] = await Promise.all([
      raceChatCalls(200, [openai(suite.a, app.key, 'alice'), openai(suite.b, app.key, 'alice')]),
      raceChatCalls(60, [openai(suite.a, app.key, 'bob'), openai(suite.b, app.key, 'bob')]),
    ]);
    await suite.instances.drain();

    expect(served(alice)).toBe(50);
    expect(new Set(alice.filter((o) => o.outcome === 'limited').map((o) => untilRetry(o.message)))).toEqual(new Set(['429 Rate limit reached: end user "alice" of this API key allows 50 requests per minute.']));
    expect(served(bob)).toBe(50);
    expect(suite.openaiUp.requests.length - calledBefore).toBe(100);
    expect(await storedNumber(suite.a, rateWindowKey(endUserCounterId(app.id, 'alice'), minute), 'requests')).toBe(50);
    expect(await storedNumber(suite.a, rateWindowKey(endUserCounterId(app.id, 'bob'), minute), 'requests')).toBe(50);
    const records = await listUsage(suite.a.table, app.id, day);
    expect(records.filter((r) => r.endUser === 'alice')).toHaveLength(200);
  });

  it('still caps the sum of its end users by the key\'s own limit', async () => {
    // Smaller than the race above: the point is the key's cap, and the suite shares two cores with others.
    const app = await suite.instances.createKey({ name: 'capped-app', limits: { requestsPerMinute: 30 }, endUserLimits: { requestsPerMinute: 20 } });

    const alice = await raceChatCalls(60, [openai(suite.a, app.key, 'alice'), openai(suite.b, app.key, 'alice')]);
    await suite.instances.drain();
    const bob = await raceChatCalls(20, [openai(suite.a, app.key, 'bob'), openai(suite.b, app.key, 'bob')]);
    await suite.instances.drain();

    // Two limits bind alice's race at once (hers and the key's), and a call may take a place in one
    // and be refused by the other before it gives the first back: at most her 20 get through, not exactly.
    expect(served(alice)).toBeGreaterThan(0);
    expect(served(alice)).toBeLessThanOrEqual(20);
    const refusals = new Set(alice.filter((o) => o.outcome === 'limited').map((o) => untilRetry(o.message)));
    expect(refusals).toContain('429 Rate limit reached: end user "alice" of this API key allows 20 requests per minute.');
    // While alice's refused calls give back the key's places they took, the key's counter runs ahead of what it will settle at:
    // some of them may be refused by the key's limit rather than hers (without a number when the counter was back under it when read).
    const allowed = ['429 Rate limit reached: end user "alice" of this API key allows 20 requests per minute.', '429 Rate limit reached: this API key allows 30 requests per minute.', '429 Rate limit reached for this API key.'];
    expect([...refusals].filter((m) => !allowed.includes(m!))).toEqual([]);
    // Bob's own 20 would fit, but the key has only 30 − alice's places left once her refusals are given back:
    // one limit binds his race, so exactly that many get through.
    expect(served(bob)).toBe(Math.min(20, 30 - served(alice)));
    for (const refused of bob.filter((o) => o.outcome === 'limited')) expect(untilRetry(refused.message)).toBe('429 Rate limit reached: this API key allows 30 requests per minute.');
    expect(await storedNumber(suite.a, rateWindowKey(app.id, minute), 'requests')).toBe(served(alice) + served(bob));
  });

  it('counts calls without an end user as one anonymous end user, or refuses them when the key requires one', async () => {
    const open = await suite.instances.createKey({ name: 'anon-app', endUserLimits: { requestsPerMinute: 1 } });
    const strict = await suite.instances.createKey({ name: 'strict-app', endUserLimits: { requestsPerMinute: 5 }, endUserRequired: true });

    const anonymous = await raceChatCalls(2, [openai(suite.a, open.key)]);
    const required = await ask(openai(suite.b, strict.key)).catch((err: unknown) => err);
    const named = await ask(openai(suite.b, strict.key, 'gina'));
    // Token counts are not counted against limits: the requirement does not apply to them.
    const counted = await anthropicClient(suite.a, strict.key).messages.countTokens({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'hi' }] });

    expect(served(anonymous)).toBe(1);
    expect(untilRetry(anonymous.find((o) => o.outcome === 'limited')?.message)).toBe('429 Rate limit reached: calls without an end user of this API key allows 1 requests per minute.');
    expect(required).toBeInstanceOf(OpenAI.BadRequestError);
    expect(required).toMatchObject({ code: 'end_user_required' });
    expect(named.choices[0]?.message.content).toBeTruthy();
    expect(counted.input_tokens).toBeGreaterThan(0);
  });

  it('refuses an end-user id longer than 256 characters with a 400 naming the field', async () => {
    const app = await suite.instances.createKey({ name: 'long-app' });

    const refused = await ask(openai(suite.a, app.key), { user: 'x'.repeat(257) }).catch((err: unknown) => err);

    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect(refused).toMatchObject({ code: 'end_user_too_long', param: 'user' });
  });

  it('holds each end user of a team\'s keys to the team\'s end-user limit across its keys', async () => {
    const team = await suite.instances.createTeam({ name: 'product', endUserLimits: { requestsPerMinute: 3 } });
    const one = await suite.instances.createKey({ name: 'one', teamId: team.id });
    const two = await suite.instances.createKey({ name: 'two', teamId: team.id });

    const hana = await raceChatCalls(6, [openai(suite.a, one.key, 'hana'), openai(suite.b, two.key, 'hana')]);

    expect(served(hana)).toBe(3);
    expect(hana.find((o) => o.outcome === 'limited')?.message).toContain('end user "hana" of team "product" allows 3 requests per minute');
  });

  it('changes nothing for a key without end-user limits: no rate-limit headers, no counters, the end user still recorded', async () => {
    const plain = await suite.instances.createKey({ name: 'plain' });

    const { response } = await ask(openai(suite.a, plain.key, 'ivan')).withResponse();
    await suite.instances.drain();

    expect([...response.headers.keys()].filter((h) => h.startsWith('x-ratelimit'))).toEqual([]);
    expect(await storedNumber(suite.a, rateWindowKey(endUserCounterId(plain.id, 'ivan'), minute), 'requests')).toBe(0);
    expect((await listUsage(suite.a.table, plain.id, day)).map((r) => r.endUser)).toEqual(['ivan']);
  });
});

/** Output costs $1 per million tokens (one micro-dollar a token), prompts nothing: a call's worst case is its max_tokens in micro-dollars. */
describe('end users: budgets under one key', () => {
  const NOW = Date.now();
  const day = new Date(NOW).toISOString().slice(0, 10);
  const TABLE = 'end-user-budgets';
  const suite = behindFakesForSuite({ tableName: TABLE, now: () => NOW, price: { input: 0, output: 1 } });
  beforeEach(() => suite.openaiUp.reset());

  it('refuses an end user past its daily budget with 429 insufficient_quota naming it, settles its counter, and leaves another end user its own', async () => {
    suite.openaiUp.reply(() => ({ kind: 'text', text: 'Hello there', usage: { prompt: 20, completion: 1_000 } }));
    const app = await suite.instances.createKey({ name: 'app', endUserLimits: { usdPerDay: 0.003 } });

    const alice = await raceChatCalls(5, [openai(suite.a, app.key, 'alice'), openai(suite.b, app.key, 'alice')], { max_tokens: 1_000 });
    const bob = await ask(openai(suite.a, app.key), { user: 'bob', max_tokens: 1_000 });
    await suite.instances.drain();

    expect(served(alice)).toBe(3);
    const refusal = alice.find((o) => o.outcome === 'limited')!;
    expect(refusal.code).toBe('insufficient_quota');
    expect(refusal.message).toContain('end user "alice" of this API key may spend $0.003 a day');
    expect(bob.choices[0]?.message.content).toBeTruthy();
    expect(await storedNumber(suite.a, spendItemKey(endUserCounterId(app.id, 'alice'), day), 'micros')).toBe(3_000);
    expect(await storedNumber(suite.a, spendItemKey(endUserCounterId(app.id, 'bob'), day), 'micros')).toBe(1_000);
    // The key has no budget of its own: nothing is written in its name.
    expect(await storedNumber(suite.a, spendItemKey(app.id, day), 'micros')).toBe(0);
  });
});
