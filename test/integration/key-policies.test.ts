import OpenAI from 'openai';
import { parseConfig } from '../../lib/config/load';
import { FAKE } from '../../lib/guardrails/fake-tokens';
import type { LocalGateway } from '../../lib/local/start';
import type { StoredUsage } from '../../lib/store/usage';
import type { FakeOpenAI } from '../fakes/openai';
import { startFakeTrio, type FakeTrio } from './fake-trio';
import { openAIClient } from './harness';
import { ADMIN, startInstances, type Instances } from './instances';

/**
 * Guardrail rule sets and parameter policies per key and per team, end to end: the official
 * OpenAI client against a gateway on dynalite and a fake OpenAI that echoes the prompt (so a
 * token in a prompt comes back in the answer). The gateway's own rules only flag GitHub tokens;
 * `strict` blocks every secret; `answers` redacts GitHub tokens in answers only. `ci` forces
 * temperature 0; `contractors` caps output at 4 000 tokens, under the model's own 8 192.
 */
const PRICE = { input: 0, output: 1 };

let fakes: FakeTrio;
let openaiUp: FakeOpenAI;
let instances: Instances;
let gw: LocalGateway;

beforeAll(async () => {
  fakes = await startFakeTrio();
  openaiUp = fakes.openai;
  const gpt = [{ provider: 'up', model: 'gpt-4o-mini' }];
  const config = parseConfig({
    providers: fakes.providers,
    models: [
      { name: 'gpt-4o-mini', price: PRICE, targets: gpt, params: { caps: { maxOutputTokens: 8192 } } },
      { name: 'gpt-shared', price: PRICE, targets: gpt, cache: { share: 'all' } },
    ],
    guardrails: {
      rules: [{ detect: 'github-token', action: 'flag' }],
      sets: {
        strict: { rules: [{ detect: 'secrets', action: 'block' }] },
        answers: { on: ['response'], rules: [{ detect: 'github-token', action: 'redact' }] },
      },
    },
    paramPolicies: { ci: { force: { temperature: 0 } }, contractors: { caps: { maxOutputTokens: 4000 } } },
  });
  instances = await startInstances({ config, count: 1, tableName: 'key-policies', credentials: fakes.credentials });
  gw = instances.gateways[0]!;
});
afterAll(async () => {
  await instances.close();
  await fakes.close();
});
beforeEach(() => fakes.reset());

const openai = (key: string) => openAIClient(gw, key);
const ask = (key: string, content: string, extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}) =>
  openai(key).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], ...extra });
const recordsOf = (keyId: string): Promise<StoredUsage[]> => instances.usage(keyId);
async function refusal(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OpenAI.APIError);
  return err as InstanceType<typeof OpenAI.APIError>;
}
const upstreamBody = (i = 0) => openaiUp.requests[i]!.body as Record<string, unknown>;
const TOKEN_PROMPT = `deploy with ${FAKE.githubClassic}`;

describe('rule sets per key and team, through the official OpenAI client', () => {
  it('blocks the call of a key on a strict set and lets the same call of a key on the gateway\'s own rules through, flagged', async () => {
    // Prepare
    const plain = await instances.createKey({ name: 'plain' });
    const strict = await instances.createKey({ name: 'strict', guardrails: 'strict' });

    // Act
    const passed = await ask(plain.key, TOKEN_PROMPT);
    const blocked = await refusal(ask(strict.key, TOKEN_PROMPT));

    // Assess
    expect(passed.choices[0]!.message.content).toContain(FAKE.githubClassic);
    expect([blocked.status, blocked.code]).toEqual([400, 'guardrail_blocked']);
    expect(openaiUp.requests).toHaveLength(1);
    expect((await recordsOf(plain.id))[0]!.guardrails).toEqual([{ rule: 'github-token', action: 'flag', count: 1 }]);
    expect((await recordsOf(strict.id))[0]).toMatchObject({ errorCode: 'guardrail_blocked', guardrails: [{ rule: 'github-token', action: 'block', count: 1 }] });
  });

  it('applies a team\'s set to its keys, and a key\'s own choice over its team\'s', async () => {
    // Prepare
    const team = await instances.createTeam({ name: 'contractors', guardrails: 'strict' });
    const member = await instances.createKey({ name: 'member', teamId: team.id });
    const automation = await instances.createKey({ name: 'automation', teamId: team.id, guardrails: 'off' });

    // Act
    const blocked = await refusal(ask(member.key, TOKEN_PROMPT));
    const passed = await ask(automation.key, TOKEN_PROMPT);

    // Assess
    expect(blocked.code).toBe('guardrail_blocked');
    expect(passed.choices[0]!.message.content).toContain(FAKE.githubClassic);
    // Exempt: not even the gateway's own flag rule looked at it.
    expect((await recordsOf(automation.id))[0]).not.toHaveProperty('guardrails');
  });

  it('redacts the answers of a key whose set looks at answers, and not another key\'s', async () => {
    const screened = await instances.createKey({ name: 'answers', guardrails: 'answers' });
    const plain = await instances.createKey({ name: 'plain-answers' });

    const redacted = await ask(screened.key, TOKEN_PROMPT);
    const whole = await ask(plain.key, TOKEN_PROMPT);

    expect(redacted.choices[0]!.message.content).toBe('Echo: deploy with [REDACTED:github-token]');
    expect(whole.choices[0]!.message.content).toContain(FAKE.githubClassic);
    expect((await recordsOf(screened.id))[0]!.guardrails).toEqual([{ rule: 'github-token', action: 'redact', count: 1, side: 'response' }]);
  });

  it('does not serve one key the cached answer another key\'s rules screened otherwise, sharing a cache with everyone', async () => {
    // Prepare
    const plain = await instances.createKey({ name: 'cache-plain' });
    const screened = await instances.createKey({ name: 'cache-screened', guardrails: 'answers' });
    const alsoScreened = await instances.createKey({ name: 'cache-screened-2', guardrails: 'answers' });
    const call = (key: string) => openai(key).chat.completions.create({ model: 'gpt-shared', messages: [{ role: 'user', content: `cache ${TOKEN_PROMPT}` }] }).withResponse();

    // Act
    const first = await call(plain.key);
    await instances.drain();
    const second = await call(screened.key);
    await instances.drain();
    const third = await call(alsoScreened.key);

    // Assess
    expect(first.data.choices[0]!.message.content).toContain(FAKE.githubClassic);
    expect(second.response.headers.get('x-aigw-cache')).toBe('miss');
    expect(second.data.choices[0]!.message.content).not.toContain(FAKE.githubClassic);
    // Keys on the same rules share what those rules left.
    expect(third.response.headers.get('x-aigw-cache')).toBe('hit');
    expect(third.data.choices[0]!.message.content).toBe(second.data.choices[0]!.message.content);
    expect(openaiUp.requests).toHaveLength(2);
  });

  it('refuses, at the admin API, a key or team naming a set or policy the config does not have', async () => {
    const post = (what: string, body: unknown) => fetch(`${gw.url}/admin/${what}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` }, body: JSON.stringify(body) });

    const key = await post('keys', { name: 'typo', guardrails: 'stritc' });
    const team = await post('teams', { name: 'typo', params: 'cl' });

    expect(key.status).toBe(400);
    expect(((await key.json()) as { error: { code: string } }).error.code).toBe('guardrail_set_unknown');
    expect(team.status).toBe(400);
    expect(((await team.json()) as { error: { code: string } }).error.code).toBe('param_policy_unknown');
  });
});

describe('parameter policies per key and team, through the official OpenAI client', () => {
  it('caps one key\'s output at its policy\'s 4 000 and another\'s at the model\'s 8 192, and the records say so', async () => {
    // Prepare
    const capped = await instances.createKey({ name: 'capped', params: 'contractors' });
    const plain = await instances.createKey({ name: 'uncapped' });

    // Act
    await ask(capped.key, 'Write a long essay', { max_tokens: 32000 });
    await ask(plain.key, 'Write a long essay', { max_tokens: 32000 });

    // Assess
    expect(upstreamBody(0).max_tokens).toBe(4000);
    expect(upstreamBody(1).max_tokens).toBe(8192);
    expect((await recordsOf(capped.id))[0]!.params).toEqual(['maxOutputTokens:capped']);
    expect((await recordsOf(plain.id))[0]!.params).toEqual(['maxOutputTokens:capped']);
  });

  it('applies a team\'s policy to its keys, and a key\'s own over it: forced temperature, the model\'s cap still held', async () => {
    // Prepare
    const team = await instances.createTeam({ name: 'vendors', params: 'contractors' });
    const member = await instances.createKey({ name: 'vendor', teamId: team.id });
    const ci = await instances.createKey({ name: 'ci', teamId: team.id, params: 'ci' });

    // Act
    await ask(member.key, 'Summarise', { max_tokens: 32000, temperature: 0.9 });
    await ask(ci.key, 'Summarise', { max_tokens: 32000, temperature: 0.9 });

    // Assess
    expect(upstreamBody(0)).toMatchObject({ max_tokens: 4000, temperature: 0.9 });
    expect(upstreamBody(1)).toMatchObject({ max_tokens: 8192, temperature: 0 });
    expect((await recordsOf(ci.id))[0]!.params).toEqual(['maxOutputTokens:capped', 'temperature:forced']);
  });
});
