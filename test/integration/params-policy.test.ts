import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { parseConfig } from '../../lib/config/load';
import type { LocalGateway } from '../../lib/local/start';
import type { StoredUsage } from '../../lib/store/usage';
import type { FakeAnthropic } from '../fakes/anthropic';
import type { FakeGemini } from '../fakes/gemini';
import { defaultReply, type FakeOpenAI } from '../fakes/openai';
import { startFakeTrio, type FakeTrio } from './fake-trio';
import { anthropicClient, geminiClient, openAIClient, spentSince } from './harness';
import { startInstances, type Instances } from './instances';

/** Before any call: spend is read from this day on (`spentSince`). */
const STARTED_AT = Date.now();

/**
 * A model's request parameter policy end to end: the official clients against a gateway on
 * dynalite, fake upstreams recording what reached them. Output costs $1 per million tokens (one
 * micro-dollar a token) and prompts nothing, so a call's budget hold is exactly its output limit.
 */
const PRICE = { input: 0, output: 1 };
const TABLE = 'params';

let fakes: FakeTrio;
let openaiUp: FakeOpenAI;
let anthropicUp: FakeAnthropic;
let geminiUp: FakeGemini;
let instances: Instances;
let gw: LocalGateway;

beforeAll(async () => {
  fakes = await startFakeTrio();
  ({ openai: openaiUp, anthropic: anthropicUp, gemini: geminiUp } = fakes);
  const gpt = [{ provider: 'up', model: 'gpt-4o-mini' }];
  const config = parseConfig({
    providers: fakes.providers,
    models: [
      { name: 'gpt-capped', price: PRICE, targets: gpt, params: { force: { temperature: 0 }, defaults: { reasoningEffort: 'low' }, caps: { maxOutputTokens: 100 } } },
      { name: 'gpt-plain', price: PRICE, targets: gpt },
      { name: 'o-capped', price: PRICE, targets: [{ provider: 'up', model: 'o4-mini' }], params: { defaults: { reasoningEffort: 'low' }, caps: { maxOutputTokens: 100 } } },
      { name: 'gemini-2.5-flash', price: PRICE, targets: [{ provider: 'gem', model: 'gemini-2.5-flash' }], params: { defaults: { reasoningEffort: 'low', temperature: 0.2 }, caps: { maxOutputTokens: 256 } } },
      { name: 'gpt-cached', price: PRICE, targets: gpt, cache: {}, params: { force: { temperature: 0 } } },
      // Known upstream by the same name: a body nothing changes goes up as the client's bytes.
      { name: 'gpt-4o-mini', price: PRICE, targets: gpt, params: { force: { temperature: 0 }, caps: { maxOutputTokens: 100 } } },
      { name: 'gpt-on-claude', price: PRICE, targets: [{ provider: 'ant', model: 'claude-sonnet-4-6' }], params: { caps: { maxOutputTokens: 100 } } },
      { name: 'gpt-thinks-capped', price: PRICE, targets: [{ provider: 'ant', model: 'claude-sonnet-4-6' }], params: { defaults: { reasoningEffort: 'high' }, caps: { maxOutputTokens: 2000 } } },
      { name: 'gpt-thinks-tiny', price: PRICE, targets: [{ provider: 'ant', model: 'claude-sonnet-4-6' }], params: { defaults: { reasoningEffort: 'high' }, caps: { maxOutputTokens: 1000 } } },
      { name: 'gpt-thinks-on-claude', price: PRICE, targets: [{ provider: 'ant', model: 'claude-sonnet-4-6' }], params: { defaults: { reasoningEffort: 'low', temperature: 0.3 } } },
      { name: 'claude-sonnet-4-6', price: PRICE, targets: [{ provider: 'ant', model: 'claude-sonnet-4-6' }], params: { force: { temperature: 0 }, caps: { maxOutputTokens: 8192 } } },
    ],
  });
  instances = await startInstances({ config, count: 1, tableName: TABLE, credentials: fakes.credentials });
  gw = instances.gateways[0]!;
});
afterAll(async () => {
  await instances.close();
  await fakes.close();
});
beforeEach(() => {
  fakes.reset();
});

const openai = (key: string) => openAIClient(gw, key);
const anthropic = (key: string) => anthropicClient(gw, key);
const recordsOf = (keyId: string): Promise<StoredUsage[]> => instances.usage(keyId);
const upstreamBody = (fake: FakeOpenAI | FakeAnthropic, i = 0) => fake.requests[i]!.body as Record<string, unknown>;

describe('the request parameter policy, through the official clients', () => {
  it('caps max_tokens and forces temperature on a chat call passed through to OpenAI, fills the default effort (which gpt-4o-mini refuses, so it is mended away after), and the usage record says so', async () => {
    const { id, key } = await instances.createKey({ name: 'params-chat' });

    const answer = await openai(key).chat.completions.create({ model: 'gpt-capped', max_tokens: 32000, temperature: 0.9, messages: [{ role: 'user', content: 'Classify: great product' }] });

    expect(answer.choices[0]!.message.content).toContain('Classify');
    expect(upstreamBody(openaiUp)).toMatchObject({ model: 'gpt-4o-mini', max_tokens: 100, temperature: 0 });
    expect(upstreamBody(openaiUp)).not.toHaveProperty('max_completion_tokens');
    // The policy runs first; the mending for the target's model (a chat model: no reasoning_effort) after it, and wins.
    expect(upstreamBody(openaiUp)).not.toHaveProperty('reasoning_effort');
    const [record] = await recordsOf(id);
    expect(record!.params).toEqual(['maxOutputTokens:capped', 'reasoningEffort:defaulted', 'temperature:forced', 'reasoningEffort:dropped']);
  });

  it('applies it to a stream: the upstream is asked for the capped limit, and the client reads the whole answer', async () => {
    const { id, key } = await instances.createKey({ name: 'params-stream' });

    const stream = await openai(key).chat.completions.create({ model: 'gpt-capped', max_completion_tokens: 5000, stream: true, messages: [{ role: 'user', content: 'stream please' }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';

    expect(text).toContain('stream please');
    expect(upstreamBody(openaiUp)).toMatchObject({ max_completion_tokens: 100, temperature: 0, stream: true, stream_options: { include_usage: true } });
    const [record] = await recordsOf(id);
    expect(record).toMatchObject({ stream: true, outcome: 'ok', params: ['maxOutputTokens:capped', 'reasoningEffort:defaulted', 'temperature:forced', 'reasoningEffort:dropped'] });
  });

  it('caps the max_tokens a chat call translated to Anthropic asks for', async () => {
    const { key } = await instances.createKey({ name: 'params-translated' });

    const answer = await openai(key).chat.completions.create({ model: 'gpt-on-claude', max_tokens: 32000, messages: [{ role: 'user', content: 'Hello Claude' }] });

    expect(answer.choices[0]!.message.content).toContain('Hello Claude');
    expect(upstreamBody(anthropicUp)).toMatchObject({ model: 'claude-sonnet-4-6', max_tokens: 100 });
  });

  it('sends a chat call translated to Claude without the thinking its policy filled in when the client set a temperature, which Claude refuses with thinking', async () => {
    const { id, key } = await instances.createKey({ name: 'params-claude-temperature' });

    const answer = await openai(key).chat.completions.create({ model: 'gpt-thinks-on-claude', temperature: 0.2, messages: [{ role: 'user', content: 'Classify: fine' }] });

    expect(answer.choices[0]!.message.content).toContain('Classify');
    expect(upstreamBody(anthropicUp)).toMatchObject({ temperature: 0.2, max_tokens: 4096 });
    expect(upstreamBody(anthropicUp)).not.toHaveProperty('thinking');
    const [record] = await recordsOf(id);
    // The policy filled the effort in, and the translation declined it: the record does not say it went upstream.
    expect(record!.params).toEqual(['reasoningEffort:declined']);
  });

  it('records the effort its policy filled in as declined when the capped max_tokens leaves Claude no room to think', async () => {
    const { id, key } = await instances.createKey({ name: 'params-claude-no-room' });

    await openai(key).chat.completions.create({ model: 'gpt-thinks-tiny', messages: [{ role: 'user', content: 'Quick' }] });

    expect(upstreamBody(anthropicUp)).toMatchObject({ max_tokens: 1000 });
    expect(upstreamBody(anthropicUp)).not.toHaveProperty('thinking');
    const [record] = await recordsOf(id);
    expect(record!.params).toEqual(['maxOutputTokens:capped', 'reasoningEffort:declined']);
  });

  it('leaves out the temperature a chat call’s policy filled in when the client asked Claude to think, and records it once, as declined', async () => {
    const { id, key } = await instances.createKey({ name: 'params-claude-thinks' });

    await openai(key).chat.completions.create({ model: 'gpt-thinks-on-claude', reasoning_effort: 'medium', messages: [{ role: 'user', content: 'Think' }] });

    expect(upstreamBody(anthropicUp)).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 4096 } });
    expect(upstreamBody(anthropicUp)).not.toHaveProperty('temperature');
    const [record] = await recordsOf(id);
    // One entry for the field, as for an effort the policy filled in that did not go (not `temperature:defaulted` beside `temperature:dropped`).
    expect(record!.params).toEqual(['temperature:declined']);
  });

  it('records the client’s own temperature left out beside its effort as dropped, after what the policy changed', async () => {
    const { id, key } = await instances.createKey({ name: 'params-claude-own-temperature' });

    await openai(key).chat.completions.create({ model: 'gpt-thinks-capped', reasoning_effort: 'low', temperature: 0, messages: [{ role: 'user', content: 'Think' }] });

    expect(upstreamBody(anthropicUp)).toMatchObject({ thinking: { type: 'enabled' } });
    expect(upstreamBody(anthropicUp)).not.toHaveProperty('temperature');
    const [record] = await recordsOf(id);
    expect(record!.params).toEqual(['maxOutputTokens:capped', 'temperature:dropped']);
  });

  it('sizes the thinking budget of a chat call translated to Claude to fit under the capped max_tokens, where the effort’s would not', async () => {
    const { id, key } = await instances.createKey({ name: 'params-claude-budget' });

    const answer = await openai(key).chat.completions.create({ model: 'gpt-thinks-capped', messages: [{ role: 'user', content: 'Think a little' }] });
    await openai(key).chat.completions.create({ model: 'gpt-thinks-capped', max_tokens: 32000, reasoning_effort: 'medium', messages: [{ role: 'user', content: 'Think more' }] });

    expect(answer.choices[0]!.message.content).toContain('Think a little');
    expect(upstreamBody(anthropicUp, 0)).toMatchObject({ max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1999 } });
    expect(upstreamBody(anthropicUp, 1)).toMatchObject({ max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1999 } });
    const records = await recordsOf(id);
    expect(records.map((r) => r.params)).toEqual([['maxOutputTokens:capped', 'reasoningEffort:defaulted'], ['maxOutputTokens:capped']]);
  });

  it('sends the temperature of a chat call to Claude whose client sent it beside an effort when the policy’s cap leaves no room for thinking', async () => {
    const { key } = await instances.createKey({ name: 'params-claude-clash' });

    await openai(key).chat.completions.create({ model: 'gpt-on-claude', temperature: 0.2, reasoning_effort: 'low', messages: [{ role: 'user', content: 'Both' }] });

    // Thinking asked for as an effort gives way to nothing but room: with it, the temperature is left out (cline-roo.test.ts).
    expect(upstreamBody(anthropicUp)).toMatchObject({ max_tokens: 100, temperature: 0.2 });
    expect(upstreamBody(anthropicUp)).not.toHaveProperty('thinking');
  });

  it('caps a Messages call with thinking validly: the budget lowered below max_tokens, temperature left out while thinking is on', async () => {
    const { id, key } = await instances.createKey({ name: 'params-thinking' });

    // Claude Code's shape: a stream, 32 000 tokens with a budget of 31 999.
    const answer = await anthropic(key).messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 32000, thinking: { type: 'enabled', budget_tokens: 31999 }, messages: [{ role: 'user', content: 'Think hard' }] }).finalMessage();

    expect(answer.content.map((b) => (b.type === 'text' ? b.text : '')).join('')).toContain('Think hard');

    const sent = upstreamBody(anthropicUp) as { max_tokens: number; thinking: { type: string; budget_tokens: number } };
    expect(sent.max_tokens).toBe(8192);
    expect(sent.thinking).toEqual({ type: 'enabled', budget_tokens: 8191 });
    expect(sent).not.toHaveProperty('temperature');
    const [record] = await recordsOf(id);
    expect(record).toMatchObject({ stream: true, outcome: 'ok', params: ['maxOutputTokens:capped', 'thinking:lowered'] });
  });

  it('forces temperature on a Messages call without thinking, its body otherwise as sent', async () => {
    const { key } = await instances.createKey({ name: 'params-messages' });

    // This SDK version's types leave temperature out of the create params; the Messages API takes it.
    await anthropic(key).messages.create({ model: 'claude-sonnet-4-6', max_tokens: 50, temperature: 1, metadata: { user_id: 'u1' }, messages: [{ role: 'user', content: 'Hi' }] } as Anthropic.MessageCreateParamsNonStreaming);

    expect(upstreamBody(anthropicUp)).toEqual({ model: 'claude-sonnet-4-6', max_tokens: 50, temperature: 0, metadata: { user_id: 'u1' }, messages: [{ role: 'user', content: 'Hi' }] });
  });

  it('forces no temperature beside the top_p a Messages call sent (Claude Sonnet 4.5 and later refuse both), sending the client’s bytes', async () => {
    const { id, key } = await instances.createKey({ name: 'params-top-p' });

    await anthropic(key).messages.create({ model: 'claude-sonnet-4-6', max_tokens: 50, top_p: 0.8, messages: [{ role: 'user', content: 'Hi' }] } as Anthropic.MessageCreateParamsNonStreaming);

    expect(upstreamBody(anthropicUp)).toEqual({ model: 'claude-sonnet-4-6', max_tokens: 50, top_p: 0.8, messages: [{ role: 'user', content: 'Hi' }] });
    const [record] = await recordsOf(id);
    expect(record!.params).toBeUndefined();
  });

  it('sends a body the policy leaves as it is as the very bytes the client sent, and re-serialises one it changed', async () => {
    const { id, key } = await instances.createKey({ name: 'params-untouched' });
    // Odd spacing and key order: only the client's own bytes look like this.
    const untouched = '{ "temperature":0,"model" : "gpt-4o-mini",  "max_tokens": 50, "messages":[{"role":"user","content":"as is"}]}';
    const changed = untouched.replace('"max_tokens": 50', '"max_tokens": 500');
    const post = async (body: string) => {
      const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });
      expect(res.status).toBe(200);
      await res.text();
    };

    await post(untouched);
    await post(changed);

    expect(openaiUp.requests[0]!.rawBody).toBe(untouched);
    expect(openaiUp.requests[1]!.rawBody).toBe(JSON.stringify({ ...JSON.parse(changed), max_tokens: 100 }));
    const records = await recordsOf(id);
    expect(records.map((r) => r.params)).toEqual([undefined, ['maxOutputTokens:capped']]);
  });

  it('holds what the cap allows in a key’s budget, not what the client asked for', async () => {
    // 500 micro-dollars a day: a hold of 32 000 tokens would be refused, one of 100 fits.
    const { id, key } = await instances.createKey({ name: 'params-budget', limits: { usdPerDay: 0.0005 } });
    const held: number[] = [];
    openaiUp.reply(async (req) => {
      held.push(await spentSince(gw, id, STARTED_AT));
      return { ...defaultReply(req), kind: 'text', text: 'ok', usage: { prompt: 10, completion: 7 } };
    });

    await openai(key).chat.completions.create({ model: 'gpt-capped', max_tokens: 32000, messages: [{ role: 'user', content: 'capped' }] });
    const refused = await openai(key)
      .chat.completions.create({ model: 'gpt-plain', max_tokens: 32000, messages: [{ role: 'user', content: 'not capped' }] })
      .catch((err: unknown) => err);
    await instances.drain();

    expect(held).toEqual([100]);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect((refused as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('insufficient_quota');
    expect(openaiUp.requests).toHaveLength(1);
    const records = await recordsOf(id);
    expect(records.map((r) => [r.costMicros, r.errorCode])).toEqual([
      [7, undefined],
      [undefined, 'insufficient_quota'],
    ]);
  });

  it('keys the response cache on the policy’s body: calls the policy makes the same are one entry', async () => {
    const { key } = await instances.createKey({ name: 'params-cache' });
    const messages = [{ role: 'user' as const, content: 'Classify: fine' }];

    const first = await openai(key).chat.completions.create({ model: 'gpt-cached', temperature: 0.9, messages }).withResponse();
    await instances.drain();
    const second = await openai(key).chat.completions.create({ model: 'gpt-cached', temperature: 0.3, messages }).withResponse();

    expect(first.response.headers.get('x-aigw-cache')).toBe('miss');
    expect(second.response.headers.get('x-aigw-cache')).toBe('hit');
    expect(second.data.choices[0]!.message.content).toBe(first.data.choices[0]!.message.content);
    expect(openaiUp.requests).toHaveLength(1);
  });

  it('creates Gemini’s nested generationConfig and thinkingConfig for @google/genai, capping its output limit', async () => {
    const { id, key } = await instances.createKey({ name: 'params-gemini' });
    const ai = geminiClient(gw, key);

    const answer = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hello Gemini', config: { maxOutputTokens: 10000, stopSequences: ['END'] } });

    expect(answer.text).toContain('Hello Gemini');
    expect(geminiUp.requests[0]!.body).toMatchObject({ generationConfig: { maxOutputTokens: 256, stopSequences: ['END'], temperature: 0.2, thinkingConfig: { thinkingBudget: 1024 } } });
    const [record] = await recordsOf(id);
    expect(record!.params).toEqual(['maxOutputTokens:capped', 'reasoningEffort:defaulted', 'temperature:defaulted']);
  });

  it('caps a Gemini limit sent in snake_case (which Gemini takes too), filling the defaults in the client’s own generation_config', async () => {
    const { id, key } = await instances.createKey({ name: 'params-gemini-snake' });

    const res = await fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Hello snake' }] }], generation_config: { max_output_tokens: 10000 } }),
    });

    expect(res.status).toBe(200);
    await res.text();
    const sent = geminiUp.requests[0]!.body as Record<string, unknown>;
    expect(sent.generation_config).toEqual({ max_output_tokens: 256, temperature: 0.2, thinking_config: { thinking_budget: 1024 } });
    expect(sent).not.toHaveProperty('generationConfig');
    const [record] = await recordsOf(id);
    expect(record!.params).toEqual(['maxOutputTokens:capped', 'reasoningEffort:defaulted', 'temperature:defaulted']);
  });

  it('sets reasoning.effort on a Responses call passed through, keeping the client’s other reasoning settings', async () => {
    const { key } = await instances.createKey({ name: 'params-responses' });

    await openai(key).responses.create({ model: 'o-capped', input: 'Hi', max_output_tokens: 4000, reasoning: { summary: 'auto' } });

    expect(openaiUp.requests[0]!.body).toMatchObject({ model: 'o4-mini', max_output_tokens: 100, reasoning: { summary: 'auto', effort: 'low' } });
  });
});
