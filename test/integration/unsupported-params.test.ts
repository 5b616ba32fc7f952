import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { parseConfig } from '../../lib/config/load';
import type { LocalGateway } from '../../lib/local/start';
import type { StoredUsage } from '../../lib/store/usage';
import { startFakeAzureOpenAI, type FakeAzureOpenAI } from '../fakes/azure-openai';
import { defaultReply, type FakeOpenAI } from '../fakes/openai';
import { startFakeTrio, type FakeTrio } from './fake-trio';
import { anthropicClient, openAIClient } from './harness';
import { startInstances, type Instances } from './instances';

/**
 * Parameters a routed-to model refuses, mended on the way: the official clients against a
 * gateway on dynalite, and fake OpenAI and Azure upstreams that refuse them as the real ones do
 * (`refusedByModel` in `test/fakes/openai-wire.ts`: `max_tokens`, a temperature other than 1…
 * on reasoning models, `reasoning_effort` on chat models), so a call that succeeds proves the
 * mending.
 */
const TABLE = 'unsupported';

let fakes: FakeTrio;
let openaiUp: FakeOpenAI;
let azureUp: FakeAzureOpenAI;
let instances: Instances;
let gw: LocalGateway;

beforeAll(async () => {
  fakes = await startFakeTrio();
  openaiUp = fakes.openai;
  azureUp = await startFakeAzureOpenAI({ apiKey: 'az-key', deployments: { 'prod-reasoner': 'o3', 'o4-mini': 'o4-mini' } });
  const o3 = [{ provider: 'up', model: 'o3' }];
  const config = parseConfig({
    providers: [...fakes.providers, { id: 'az', type: 'azure-openai', baseUrl: azureUp.url, apiVersion: '2024-10-21', accounts: [{ id: 'a', apiKey: { env: 'AZ' } }] }],
    models: [
      // What Cursor or Continue users do: a familiar name routed to a reasoning model.
      { name: 'smart', aliases: ['gpt-4'], targets: o3 },
      { name: 'o3', targets: o3 },
      { name: 'o3-as-sent', targets: o3, params: { unsupported: 'pass' } },
      { name: 'o3-forced', targets: o3, params: { force: { temperature: 0.2 } } },
      { name: 'gpt-4o', targets: [{ provider: 'up', model: 'gpt-4o' }] },
      { name: 'azure-reasoner', targets: [{ provider: 'az', model: 'prod-reasoner', capabilities: { reasoning: true } }] },
      { name: 'azure-unknown', targets: [{ provider: 'az', model: 'prod-reasoner' }] },
      { name: 'azure-o4-mini', targets: [{ provider: 'az', model: 'o4-mini' }] },
      { name: 'o3-then-gpt-4o', targets: [...o3, { provider: 'up', model: 'gpt-4o' }] },
    ],
  });
  instances = await startInstances({ config, count: 1, tableName: TABLE, credentials: { ...fakes.credentials, AZ: 'az-key' } });
  gw = instances.gateways[0]!;
});
afterAll(async () => {
  await instances.close();
  await Promise.all([fakes.close(), azureUp.close()]);
});
beforeEach(() => {
  fakes.reset();
  azureUp.reset();
});

const openai = (key: string) => openAIClient(gw, key);
const anthropic = (key: string) => anthropicClient(gw, key);
const recordsOf = (keyId: string): Promise<StoredUsage[]> => instances.usage(keyId);
const sentUp = (fake: FakeOpenAI | FakeAzureOpenAI, i = 0) => fake.requests[i]!.body as Record<string, unknown>;
const hi = [{ role: 'user' as const, content: 'Hello reasoner' }];
// What chat apps send to any model they are given.
const CHATTY = { max_tokens: 4096, temperature: 0.2, top_p: 0.9, presence_penalty: 0.5, frequency_penalty: 0 };

describe('an OpenAI client’s parameters that a reasoning model refuses, mended on the way', () => {
  it('renames max_tokens and drops the sampling values o3 refuses, keeping a penalty at its default, and the usage record says so', async () => {
    const { id, key } = await instances.createKey({ name: 'mend-chat' });

    const answer = await openai(key).chat.completions.create({ model: 'gpt-4', messages: hi, ...CHATTY });

    expect(answer.choices[0]!.message.content).toContain('Hello reasoner');
    expect(sentUp(openaiUp)).toEqual({ model: 'o3', messages: hi, max_completion_tokens: 4096, frequency_penalty: 0 });
    const [record] = await recordsOf(id);
    expect(record).toMatchObject({ outcome: 'ok', params: ['maxOutputTokens:renamed', 'temperature:dropped', 'topP:dropped', 'presence_penalty:dropped'] });
  });

  it('mends a stream the same way, and the client reads the whole answer', async () => {
    const { id, key } = await instances.createKey({ name: 'mend-stream' });

    const stream = await openai(key).chat.completions.create({ model: 'smart', messages: hi, stream: true, max_tokens: 100, temperature: 0.7 });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';

    expect(text).toContain('Hello reasoner');
    expect(sentUp(openaiUp)).toMatchObject({ model: 'o3', max_completion_tokens: 100, stream: true, stream_options: { include_usage: true } });
    expect(sentUp(openaiUp)).not.toHaveProperty('temperature');
    expect(sentUp(openaiUp)).not.toHaveProperty('max_tokens');
    const [record] = await recordsOf(id);
    expect(record).toMatchObject({ stream: true, outcome: 'ok', params: ['maxOutputTokens:renamed', 'temperature:dropped'] });
  });

  it('keeps temperature 1, the default a reasoning model accepts', async () => {
    const { key } = await instances.createKey({ name: 'mend-default' });

    await openai(key).chat.completions.create({ model: 'o3', messages: hi, temperature: 1, max_completion_tokens: 50 });

    expect(sentUp(openaiUp)).toMatchObject({ temperature: 1, max_completion_tokens: 50 });
  });

  it('sends a body that needs nothing mended as the client’s very bytes', async () => {
    const { id, key } = await instances.createKey({ name: 'mend-none' });
    const raw = '{"messages":[{"role":"user","content":"as sent"}],  "model":"o3","max_completion_tokens":20}';

    const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: raw });

    expect(res.status).toBe(200);
    expect(openaiUp.requests[0]!.rawBody).toBe(raw);
    const [record] = await recordsOf(id);
    expect(record!.params).toBeUndefined();
  });

  it('passes the body as sent where the model says `unsupported: "pass"`, and the client gets OpenAI’s own 400', async () => {
    const { key } = await instances.createKey({ name: 'mend-pass' });

    const refused = await openai(key)
      .chat.completions.create({ model: 'o3-as-sent', messages: hi, max_tokens: 100 })
      .catch((err: unknown) => err);

    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('max_tokens');
    expect((refused as Error).message).toContain("Use 'max_completion_tokens' instead.");
    expect(sentUp(openaiUp)).toMatchObject({ max_tokens: 100 });
  });

  it('drops the temperature the model’s policy forced, which o3 would refuse: the policy runs first, the mending wins', async () => {
    const { id, key } = await instances.createKey({ name: 'mend-forced' });

    const answer = await openai(key).chat.completions.create({ model: 'o3-forced', messages: hi });

    expect(answer.choices[0]!.message.content).toContain('Hello reasoner');
    expect(sentUp(openaiUp)).not.toHaveProperty('temperature');
    const [record] = await recordsOf(id);
    expect(record!.params).toEqual(['temperature:forced', 'temperature:dropped']);
  });

  it('refuses logprobs for a reasoning model with a 400 naming it, without calling the upstream', async () => {
    const { key } = await instances.createKey({ name: 'mend-logprobs' });

    const refused = await openai(key)
      .chat.completions.create({ model: 'o3', messages: hi, logprobs: true })
      .catch((err: unknown) => err);

    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('logprobs');
    expect(openaiUp.requests).toHaveLength(0);
  });

  it('drops the stop CrewAI sends, which o3 refuses (the gateway honours it: stop-emulation.test.ts), and keeps it for gpt-4o', async () => {
    const { id, key } = await instances.createKey({ name: 'mend-stop' });

    await openai(key).chat.completions.create({ model: 'o3', messages: hi, stop: ['\nObservation:'] });
    await openai(key).chat.completions.create({ model: 'gpt-4o', messages: hi, stop: ['\nObservation:'] });

    expect(sentUp(openaiUp, 0)).toEqual({ model: 'o3', messages: hi });
    expect(sentUp(openaiUp, 1)).toEqual({ model: 'gpt-4o', messages: hi, stop: ['\nObservation:'] });
    const records = await recordsOf(id);
    expect(records.map((r) => r.params)).toEqual([['stop:emulated'], undefined]);
  });

  it('drops the reasoning_effort a chat model refuses', async () => {
    const { id, key } = await instances.createKey({ name: 'mend-effort' });

    await openai(key).chat.completions.create({ model: 'gpt-4o', messages: hi, reasoning_effort: 'high', temperature: 0.3 });

    expect(sentUp(openaiUp)).toEqual({ model: 'gpt-4o', messages: hi, temperature: 0.3 });
    const [record] = await recordsOf(id);
    expect(record!.params).toEqual(['reasoningEffort:dropped']);
  });
});

describe('a Responses client passed through', () => {
  it('drops the temperature o3 refuses and the reasoning gpt-4o refuses, whole and streamed', async () => {
    const { id, key } = await instances.createKey({ name: 'mend-responses' });

    const reasoned = await openai(key).responses.create({ model: 'smart', input: 'Hello reasoner', temperature: 0.2, reasoning: { effort: 'low' } });
    const stream = await openai(key).responses.create({ model: 'gpt-4o', input: 'Hello chat', temperature: 0.2, reasoning: { effort: 'low' }, stream: true });
    let text = '';
    for await (const event of stream) if (event.type === 'response.output_text.delta') text += event.delta;

    expect(reasoned.output_text).toBeTruthy();
    expect(text).toBeTruthy();
    expect(sentUp(openaiUp, 0)).toMatchObject({ model: 'o3', reasoning: { effort: 'low' } });
    expect(sentUp(openaiUp, 0)).not.toHaveProperty('temperature');
    expect(sentUp(openaiUp, 1)).toMatchObject({ model: 'gpt-4o', temperature: 0.2, stream: true });
    expect(sentUp(openaiUp, 1)).not.toHaveProperty('reasoning');
    const records = await recordsOf(id);
    expect(records.map((r) => r.params)).toEqual([['temperature:dropped'], ['reasoningEffort:dropped']]);
  });
});

describe('a Codex-style Responses client on a chat model', () => {
  it('drops the effort and the encrypted reasoning it includes on every turn, which gpt-4o refuses, and keeps them for o3', async () => {
    const { id, key } = await instances.createKey({ name: 'mend-codex' });
    const codex = { input: 'Hello chat', store: false, reasoning: { effort: 'medium' as const, summary: 'auto' as const }, include: ['reasoning.encrypted_content' as const] };

    const chat = await openai(key).responses.create({ model: 'gpt-4o', ...codex });
    const reasoned = await openai(key).responses.create({ model: 'o3', ...codex });

    expect(chat.output_text).toContain('Hello chat');
    expect(reasoned.output_text).toBeTruthy();
    expect(sentUp(openaiUp, 0)).toEqual({ model: 'gpt-4o', input: 'Hello chat', store: false });
    expect(sentUp(openaiUp, 1)).toMatchObject({ model: 'o3', reasoning: { effort: 'medium' }, include: ['reasoning.encrypted_content'] });
    const records = await recordsOf(id);
    expect(records.map((r) => r.params)).toEqual([['reasoningEffort:dropped', 'reasoning.encrypted_content:dropped'], undefined]);
  });
});

describe('an Anthropic client translated to a reasoning model', () => {
  it('sends no temperature to o3 (the translation already writes max_completion_tokens), whole and streamed', async () => {
    const { id, key } = await instances.createKey({ name: 'mend-anthropic' });
    // This SDK version's types leave temperature out of the create params; the Messages API takes it.
    const params = { model: 'smart', max_tokens: 1024, temperature: 0.5, messages: [{ role: 'user', content: 'Hello reasoner' }] } as Anthropic.MessageCreateParamsNonStreaming;

    const whole = await anthropic(key).messages.create(params);
    const streamed = await anthropic(key).messages.stream(params).finalMessage();

    for (const answer of [whole, streamed]) expect(answer.content.map((b) => (b.type === 'text' ? b.text : '')).join('')).toContain('Hello reasoner');
    for (const i of [0, 1]) {
      expect(sentUp(openaiUp, i)).toMatchObject({ model: 'o3', max_completion_tokens: 1024 });
      expect(sentUp(openaiUp, i)).not.toHaveProperty('temperature');
    }
    const records = await recordsOf(id);
    expect(records.map((r) => r.params)).toEqual([['temperature:dropped'], ['temperature:dropped']]);
  });

  it('sends no stop to o3, which refuses it, for the stop_sequences an agent asks for', async () => {
    const { id, key } = await instances.createKey({ name: 'mend-anthropic-stop' });

    const answer = await anthropic(key).messages.create({ model: 'smart', max_tokens: 512, stop_sequences: ['\nObservation:'], messages: [{ role: 'user', content: 'Hello reasoner' }] });

    expect(answer.content.map((b) => (b.type === 'text' ? b.text : '')).join('')).toContain('Hello reasoner');
    expect(sentUp(openaiUp)).toMatchObject({ model: 'o3', max_completion_tokens: 512 });
    expect(sentUp(openaiUp)).not.toHaveProperty('stop');
    const [record] = await recordsOf(id);
    expect(record!.params).toEqual(['stop:emulated']);
  });

  it('sends no reasoning_effort to a chat model for the thinking Claude Code asks for', async () => {
    const { key } = await instances.createKey({ name: 'mend-anthropic-thinking' });

    const answer = await anthropic(key).messages.create({ model: 'gpt-4o', max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 2048 }, messages: [{ role: 'user', content: 'Think' }] });

    expect(answer.content.map((b) => (b.type === 'text' ? b.text : '')).join('')).toContain('Think');
    expect(sentUp(openaiUp)).not.toHaveProperty('reasoning_effort');
  });
});

describe('Azure OpenAI deployments of reasoning models', () => {
  it('mends for a deployment whose name says nothing, by the target’s capabilities, passed through and streamed', async () => {
    const { id, key } = await instances.createKey({ name: 'mend-azure' });

    const whole = await openai(key).chat.completions.create({ model: 'azure-reasoner', messages: hi, ...CHATTY });
    const stream = await openai(key).chat.completions.create({ model: 'azure-reasoner', messages: hi, stream: true, max_tokens: 64, temperature: 0 });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';

    expect(whole.choices[0]!.message.content).toBeTruthy();
    expect(text).toBeTruthy();
    expect(azureUp.requests[0]!.path).toBe('/openai/deployments/prod-reasoner/chat/completions');
    expect(sentUp(azureUp, 0)).toEqual({ messages: hi, max_completion_tokens: 4096, frequency_penalty: 0 });
    expect(sentUp(azureUp, 1)).toMatchObject({ max_completion_tokens: 64, stream: true });
    expect(sentUp(azureUp, 1)).not.toHaveProperty('temperature');
    const records = await recordsOf(id);
    expect(records.map((r) => r.params)).toEqual([['maxOutputTokens:renamed', 'temperature:dropped', 'topP:dropped', 'presence_penalty:dropped'], ['maxOutputTokens:renamed', 'temperature:dropped']]);
  });

  it('leaves a deployment it cannot know as sent, so Azure’s 400 comes back', async () => {
    const { key } = await instances.createKey({ name: 'mend-azure-unknown' });

    const refused = await openai(key)
      .chat.completions.create({ model: 'azure-unknown', messages: hi, max_tokens: 10 })
      .catch((err: unknown) => err);

    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('max_tokens');
  });

  it('mends for a deployment named after its model, an Anthropic client translated to it', async () => {
    const { key } = await instances.createKey({ name: 'mend-azure-anthropic' });

    const answer = await anthropic(key).messages.create({ model: 'azure-o4-mini', max_tokens: 300, temperature: 0.2, messages: [{ role: 'user', content: 'Hi Azure' }] } as Anthropic.MessageCreateParamsNonStreaming);

    expect(answer.content.map((b) => (b.type === 'text' ? b.text : '')).join('')).toBeTruthy();
    expect(sentUp(azureUp)).toMatchObject({ max_completion_tokens: 300 });
    expect(sentUp(azureUp)).not.toHaveProperty('temperature');
  });
});

describe('a fallback', () => {
  it('mends each attempt for its own target: o3 got the mended body, gpt-4o after its 429 the client’s, and the record is the last attempt’s', async () => {
    const { id, key } = await instances.createKey({ name: 'mend-fallback' });
    openaiUp.reply((req) => ((req.body as { model?: string }).model === 'o3' ? { kind: 'error', status: 429 } : defaultReply(req)));

    const answer = await openai(key).chat.completions.create({ model: 'o3-then-gpt-4o', messages: hi, max_tokens: 200, temperature: 0.4 });

    expect(answer.choices[0]!.message.content).toContain('Hello reasoner');
    expect(sentUp(openaiUp, 0)).toEqual({ model: 'o3', messages: hi, max_completion_tokens: 200 });
    expect(sentUp(openaiUp, 1)).toEqual({ model: 'gpt-4o', messages: hi, max_tokens: 200, temperature: 0.4 });
    const [record] = await recordsOf(id);
    expect(record).toMatchObject({ outcome: 'ok', upstreamModel: 'gpt-4o' });
    expect(record!.params).toBeUndefined();
  });
});
