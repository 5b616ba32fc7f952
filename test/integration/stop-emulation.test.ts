import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { parseConfig } from '../../lib/config/load';
import type { LocalGateway } from '../../lib/local/start';
import type { StoredUsage } from '../../lib/store/usage';
import { startFakeAzureOpenAI, type FakeAzureOpenAI } from '../fakes/azure-openai';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';
import { startFakeTrio, type FakeTrio } from './fake-trio';
import { anthropicClient, geminiClient, openAIClient, readGeminiStream } from './harness';
import { startInstances, type Instances } from './instances';

/**
 * Stop sequences honoured by the gateway on models that refuse `stop` (o3, GPT-5): the official
 * clients against a gateway on dynalite and the fake OpenAI upstream, which refuses `stop` for o3
 * with OpenAI's real 400 (so a call that succeeds proves it was dropped) and is told to answer text
 * that runs past the client's sequence, split across chunks (so an answer that ends before it proves the cut).
 */
const TABLE = 'stopemu';
const SEQ = '\nObservation:';
// A ReAct agent's turn that runs on past its stop, the sequence split across two content deltas.
const RUN_ON = ['Thought: I should look it up.', '\nObser', 'vation: 42 (made up by the model)', '\nThought: done'];
const UPSTREAM_USAGE = { prompt: 21, completion: 17 };

let fakes: FakeTrio;
let openaiUp: FakeOpenAI;
let slow: FakeOpenAI;
let azureUp: FakeAzureOpenAI;
let instances: Instances;
let gw: LocalGateway;

beforeAll(async () => {
  fakes = await startFakeTrio();
  openaiUp = fakes.openai;
  slow = await startFakeOpenAI({ apiKey: fakes.credentials.UP, chunkDelayMs: 60 });
  // Azure's deployment of o4-mini, with its content filter's annotation chunks in the stream.
  // `prod-reasoner`: a deployment of o4-mini under a name of its own, which only its target's `capabilities` can tell.
  azureUp = await startFakeAzureOpenAI({ apiKey: 'az-key', deployments: { 'o4-mini': 'o4-mini', 'prod-reasoner': 'o4-mini' } });
  const config = parseConfig({
    providers: [
      ...fakes.providers,
      { id: 'slow', type: 'openai', baseUrl: slow.url, accounts: [{ id: 'a', apiKey: { env: 'UP' } }] },
      { id: 'az', type: 'azure-openai', baseUrl: azureUp.url, apiVersion: '2024-10-21', accounts: [{ id: 'a', apiKey: { env: 'AZ' } }] },
    ],
    models: [
      { name: 'o3', targets: [{ provider: 'up', model: 'o3' }] },
      { name: 'gpt-5-mini', targets: [{ provider: 'up', model: 'gpt-5-mini' }] },
      { name: 'azure-o4-mini', targets: [{ provider: 'az', model: 'o4-mini' }] },
      { name: 'prod-reasoner', targets: [{ provider: 'az', model: 'prod-reasoner', capabilities: { reasoning: true, stop: false } }] },
      { name: 'prod-reasoner-undeclared', targets: [{ provider: 'az', model: 'prod-reasoner', capabilities: { reasoning: true } }] },
      { name: 'o3-slow', targets: [{ provider: 'slow', model: 'o3' }] },
      { name: 'o3-then-gpt-4o', targets: [{ provider: 'up', model: 'o3' }, { provider: 'up', model: 'gpt-4o' }] },
      { name: 'gpt-4o', targets: [{ provider: 'up', model: 'gpt-4o' }] },
      // What Claude Code or an agent framework on Anthropic's SDK is given: a Claude-like name routed to o3.
      { name: 'smart', targets: [{ provider: 'up', model: 'o3' }] },
    ],
  });
  instances = await startInstances({ config, count: 1, tableName: TABLE, credentials: { ...fakes.credentials, AZ: 'az-key' } });
  gw = instances.gateways[0]!;
});
afterAll(async () => {
  await instances.close();
  await Promise.all([fakes.close(), slow.close(), azureUp.close()]);
});
beforeEach(() => {
  fakes.reset();
  slow.reset();
  azureUp.reset();
  openaiUp.reply(() => ({ kind: 'text', text: RUN_ON.join(''), chunks: RUN_ON, usage: UPSTREAM_USAGE }));
});

const openai = (key: string) => openAIClient(gw, key, { timeout: 10_000 });
const anthropic = (key: string) => anthropicClient(gw, key, { timeout: 10_000 });
const recordsOf = (keyId: string): Promise<StoredUsage[]> => instances.usage(keyId);
const sentUp = (i = 0) => openaiUp.requests[i]!.body as Record<string, unknown>;
const ask = [{ role: 'user' as const, content: 'What is the answer?' }];

describe('an OpenAI client’s stop on a model that refuses it, honoured by the gateway', () => {
  it('cuts a whole answer before the sequence with finish_reason stop, and records the upstream’s exact usage and stop:emulated', async () => {
    const { id, key } = await instances.createKey({ name: 'stop-whole' });

    const answer = await openai(key).chat.completions.create({ model: 'o3', messages: ask, stop: [SEQ] });

    expect(sentUp()).not.toHaveProperty('stop');
    expect(answer.choices[0]).toMatchObject({ message: { content: 'Thought: I should look it up.' }, finish_reason: 'stop' });
    expect(answer.usage).toMatchObject({ prompt_tokens: 21, completion_tokens: 17 });
    const [record] = await recordsOf(id);
    expect(record).toMatchObject({ outcome: 'ok', params: ['stop:emulated'], inputTokens: 21, outputTokens: 17 });
    expect(record!.estimated).toBeUndefined();
  });

  it('streams the text before a sequence split across chunks, then a stop finish, and the upstream’s own usage chunk when asked', async () => {
    const { id, key } = await instances.createKey({ name: 'stop-stream' });

    const stream = await openai(key).chat.completions.create({ model: 'gpt-5-mini', messages: ask, stop: SEQ, stream: true, stream_options: { include_usage: true } });
    let text = '';
    const finishes: (string | null)[] = [];
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      for (const choice of chunk.choices) {
        text += choice.delta.content ?? '';
        if (choice.finish_reason) finishes.push(choice.finish_reason);
      }
      if (chunk.usage) usage = chunk.usage;
    }

    expect(sentUp()).not.toHaveProperty('stop');
    expect(text).toBe('Thought: I should look it up.');
    expect(finishes).toEqual(['stop']);
    expect(usage).toMatchObject({ prompt_tokens: 21, completion_tokens: 17 });
    const [record] = await recordsOf(id);
    expect(record).toMatchObject({ outcome: 'ok', params: ['stop:emulated'], inputTokens: 21, outputTokens: 17 });
    expect(record!.estimated).toBeUndefined();
  });

  it('ends a stream at the sequence without a usage chunk when none was asked, the upstream’s usage still on the books', async () => {
    const { id, key } = await instances.createKey({ name: 'stop-stream-no-usage' });

    const stream = await openai(key).chat.completions.create({ model: 'o3', messages: ask, stop: [SEQ, 'never'], stream: true });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Thought: I should look it up.');
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.every((c) => !c.usage)).toBe(true);
    const [record] = await recordsOf(id);
    expect(record).toMatchObject({ outcome: 'ok', params: ['stop:emulated'], inputTokens: 21, outputTokens: 17 });
  });

  it('gives the client its finish as soon as the sequence comes, and reads the upstream to its end for the books', async () => {
    const { id, key } = await instances.createKey({ name: 'stop-early' });
    // Eight more chunks after the sequence, 60 ms apart: the upstream goes on for about half a second after it.
    slow.reply(() => ({ kind: 'text', text: '', chunks: ['Answer: 42', SEQ, ...Array.from({ length: 8 }, (_, i) => ` tail ${i}`)], usage: UPSTREAM_USAGE }));

    const stream = await openai(key).chat.completions.create({ model: 'o3-slow', messages: ask, stop: SEQ, stream: true });
    const started = performance.now();
    let finishedAt = 0;
    let text = '';
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.choices[0]?.finish_reason) finishedAt = performance.now() - started;
    }
    const endedAt = performance.now() - started;

    expect(text).toBe('Answer: 42');
    expect(endedAt - finishedAt).toBeGreaterThan(300);
    const [record] = await recordsOf(id);
    // The upstream's own count, not an estimate from the text: o3's reasoning tokens are in it.
    expect(record).toMatchObject({ outcome: 'ok', params: ['stop:emulated'], inputTokens: 21, outputTokens: 17 });
    expect(record!.estimated).toBeUndefined();
  });

  it('leaves an answer without the sequence whole, with the upstream’s finish', async () => {
    const { key } = await instances.createKey({ name: 'stop-absent' });

    const answer = await openai(key).chat.completions.create({ model: 'o3', messages: ask, stop: ['</done>'] });

    expect(answer.choices[0]).toMatchObject({ message: { content: RUN_ON.join('') }, finish_reason: 'stop' });
  });

  it('changes nothing for a model that takes stop: gpt-4o gets it, and the gateway cuts nothing itself', async () => {
    const { id, key } = await instances.createKey({ name: 'stop-native' });

    // The fake does not apply stop, so a gateway that cut here would show.
    const answer = await openai(key).chat.completions.create({ model: 'gpt-4o', messages: ask, stop: [SEQ] });

    expect(sentUp()).toMatchObject({ stop: [SEQ] });
    expect(answer.choices[0]!.message.content).toBe(RUN_ON.join(''));
    const [record] = await recordsOf(id);
    expect(record!.params).toBeUndefined();
  });
});

describe('an OpenAI client’s stop on an Azure deployment of a model that refuses it', () => {
  it('cuts the stream among Azure’s content-filter chunks, with the usage chunk asked for', async () => {
    const { id, key } = await instances.createKey({ name: 'stop-azure' });
    azureUp.reply(() => ({ kind: 'text', text: RUN_ON.join(''), chunks: RUN_ON, usage: UPSTREAM_USAGE }));

    const stream = await openai(key).chat.completions.create({ model: 'azure-o4-mini', messages: ask, stop: [SEQ], stream: true, stream_options: { include_usage: true } });
    let text = '';
    const finishes: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      for (const choice of chunk.choices) {
        text += choice.delta?.content ?? '';
        if (choice.finish_reason) finishes.push(choice.finish_reason);
      }
      if (chunk.usage) usage = chunk.usage;
    }

    expect(azureUp.requests[0]!.body).not.toHaveProperty('stop');
    expect(text).toBe('Thought: I should look it up.');
    expect(finishes).toEqual(['stop']);
    expect(usage).toMatchObject({ prompt_tokens: 21, completion_tokens: 17 });
    const [record] = await recordsOf(id);
    expect(record).toMatchObject({ outcome: 'ok', params: ['stop:emulated'], outputTokens: 17 });
  });
});

describe('a deployment under a name of its own whose target says it refuses stop (`capabilities.stop: false`)', () => {
  it('drops stop and cuts the answer; without the declaration Azure’s own 400 comes back', async () => {
    const { id, key } = await instances.createKey({ name: 'stop-declared' });
    azureUp.reply(() => ({ kind: 'text', text: RUN_ON.join(''), chunks: RUN_ON, usage: UPSTREAM_USAGE }));

    const answer = await openai(key).chat.completions.create({ model: 'prod-reasoner', messages: ask, stop: [SEQ], max_tokens: 500 });
    const refused = await openai(key).chat.completions.create({ model: 'prod-reasoner-undeclared', messages: ask, stop: [SEQ] }).catch((err: unknown) => err);

    expect(azureUp.requests[0]!.body).not.toHaveProperty('stop');
    expect(azureUp.requests[0]!.body).toMatchObject({ max_completion_tokens: 500 });
    expect(answer.choices[0]).toMatchObject({ message: { content: 'Thought: I should look it up.' }, finish_reason: 'stop' });
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).message).toContain("Unsupported parameter: 'stop'");
    const records = await recordsOf(id);
    expect(records.find((r) => r.model === 'prod-reasoner')).toMatchObject({ outcome: 'ok', params: ['maxOutputTokens:renamed', 'stop:emulated'] });
  });
});

describe('a fallback from a model that refuses stop to one that takes it', () => {
  it('sends gpt-4o the client’s stop and cuts nothing itself, the o3 attempt’s emulation gone with it', async () => {
    const { id, key } = await instances.createKey({ name: 'stop-fallback' });
    openaiUp.reply((req) => ((req.body as { model?: string }).model === 'o3' ? { kind: 'error', status: 503 } : { kind: 'text', text: RUN_ON.join(''), usage: UPSTREAM_USAGE }));

    const answer = await openai(key).chat.completions.create({ model: 'o3-then-gpt-4o', messages: ask, stop: [SEQ] });

    expect(sentUp(0)).not.toHaveProperty('stop');
    expect(sentUp(1)).toMatchObject({ model: 'gpt-4o', stop: [SEQ] });
    // The fake does not apply stop: the whole text shows the gateway left gpt-4o's answer alone.
    expect(answer.choices[0]!.message.content).toBe(RUN_ON.join(''));
    const [record] = await recordsOf(id);
    expect(record).toMatchObject({ outcome: 'ok', upstreamModel: 'gpt-4o' });
    expect(record!.params).toBeUndefined();
  });
});

describe('an Anthropic client’s stop_sequences translated to a model that refuses stop, honoured by the gateway', () => {
  it('cuts a whole answer, stop_reason stop_sequence naming the one matched', async () => {
    const { id, key } = await instances.createKey({ name: 'stop-anthropic' });

    const answer = await anthropic(key).messages.create({ model: 'smart', max_tokens: 512, stop_sequences: ['</answer>', SEQ], messages: ask });

    expect(sentUp()).not.toHaveProperty('stop');
    expect(answer.content).toHaveLength(1);
    expect(answer.content[0]).toMatchObject({ type: 'text', text: 'Thought: I should look it up.' });
    expect(answer).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: SEQ });
    const [record] = await recordsOf(id);
    expect(record).toMatchObject({ outcome: 'ok', params: ['stop:emulated'], outputTokens: 17 });
  });

  it('takes more stop_sequences than OpenAI’s four, since the gateway cuts at them itself', async () => {
    const { id, key } = await instances.createKey({ name: 'stop-anthropic-many' });
    const many = ['</a>', '</b>', '</c>', '</d>', SEQ];

    const answer = await anthropic(key).messages.create({ model: 'smart', max_tokens: 512, stop_sequences: many, messages: ask });

    expect(sentUp()).not.toHaveProperty('stop');
    expect(answer).toMatchObject({ content: [{ type: 'text', text: 'Thought: I should look it up.' }], stop_reason: 'stop_sequence', stop_sequence: SEQ });
    const [record] = await recordsOf(id);
    expect(record).toMatchObject({ outcome: 'ok', params: ['stop:emulated'] });
  });

  it('still refuses more than four stop_sequences for a model that takes stop, as OpenAI would', async () => {
    const { key } = await instances.createKey({ name: 'stop-anthropic-many-native' });

    const call = anthropic(key).messages.create({ model: 'gpt-4o', max_tokens: 512, stop_sequences: ['1', '2', '3', '4', '5'], messages: ask });

    await expect(call).rejects.toMatchObject({ status: 400, message: expect.stringContaining('More than 4 stop sequences') });
    expect(openaiUp.requests).toHaveLength(0);
  });

  it('cuts a stream, message_delta saying stop_sequence, with the upstream’s usage', async () => {
    const { id, key } = await instances.createKey({ name: 'stop-anthropic-stream' });

    const stream = anthropic(key).messages.stream({ model: 'smart', max_tokens: 512, stop_sequences: [SEQ], messages: ask });
    const message = await stream.finalMessage();

    expect(message.content.map((b) => (b.type === 'text' ? b.text : '')).join('')).toBe('Thought: I should look it up.');
    expect(message).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: SEQ, usage: { output_tokens: 17 } });
    const [record] = await recordsOf(id);
    expect(record).toMatchObject({ outcome: 'ok', params: ['stop:emulated'], outputTokens: 17 });
  });
});

describe('a Gemini client’s stopSequences translated to a model that refuses stop, honoured by the gateway', () => {
  it('cuts a streamed answer, finishReason STOP', async () => {
    const { id, key } = await instances.createKey({ name: 'stop-gemini' });
    const ai = geminiClient(gw, key, { timeout: 10_000 });

    const stream = await ai.models.generateContentStream({ model: 'smart', contents: 'What is the answer?', config: { stopSequences: [SEQ] } });
    const { text, finishes } = await readGeminiStream(stream);

    expect(sentUp()).not.toHaveProperty('stop');
    expect(text).toBe('Thought: I should look it up.');
    expect(finishes).toEqual(['STOP']);
    const [record] = await recordsOf(id);
    expect(record).toMatchObject({ outcome: 'ok', params: ['stop:emulated'], outputTokens: 17 });
  });
});

describe('an upstream that fails after the cut: the client has its whole answer, the books the failure', () => {
  // The fake's default reply echoes the prompt a word a chunk: `Echo: one two END three … ten`.
  const LONG = [{ role: 'user' as const, content: 'one two END three four five six seven eight nine ten' }];
  // Its first seven events: the role chunk and `Echo:` … `three`, the sequence among them, its finish not.
  const AFTER_THE_CUT = 7;

  it('ends an OpenAI client’s stream at its stop finish when the upstream breaks off afterwards', async () => {
    const { id, key } = await instances.createKey({ name: 'stop-drop-after' });
    openaiUp.reply(() => ({ kind: 'drop', afterChunks: AFTER_THE_CUT }));

    const stream = await openai(key).chat.completions.create({ model: 'o3', messages: LONG, stop: 'END', stream: true });
    let text = '';
    const finishes: string[] = [];
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.choices[0]?.finish_reason) finishes.push(chunk.choices[0].finish_reason);
    }

    expect(text).toBe('Echo: one two ');
    expect(finishes).toEqual(['stop']);
    const [record] = await recordsOf(id);
    expect(record).toMatchObject({ outcome: 'interrupted', params: ['stop:emulated'] });
  });

  it('ends an OpenAI client’s stream with [DONE] when the upstream sends an in-band error afterwards', async () => {
    const { id, key } = await instances.createKey({ name: 'stop-error-after' });
    openaiUp.reply(() => ({ kind: 'stream-error', afterChunks: AFTER_THE_CUT, error: { message: 'The server had an error while processing your request.', type: 'server_error' } }));

    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'o3', messages: LONG, stop: ['END'], stream: true }),
      signal: AbortSignal.timeout(10_000),
    });
    const events = (await res.text()).split('\n\n').filter(Boolean);

    expect(events.some((e) => e.includes('"error"'))).toBe(false);
    expect(events.at(-1)).toBe('data: [DONE]');
    expect(events.at(-2)).toContain('"finish_reason":"stop"');
    const [record] = await recordsOf(id);
    expect(record).toMatchObject({ outcome: 'upstream_error', params: ['stop:emulated'] });
  });

  it('ends an Anthropic client’s stream with its stop_sequence when the upstream sends an error afterwards', async () => {
    const { id, key } = await instances.createKey({ name: 'stop-error-after-anthropic' });
    openaiUp.reply(() => ({ kind: 'stream-error', afterChunks: AFTER_THE_CUT, error: { message: 'The server had an error while processing your request.', type: 'server_error' } }));

    const message = await anthropic(key).messages.stream({ model: 'smart', max_tokens: 512, stop_sequences: ['END'], messages: LONG }).finalMessage();

    expect(message.content.map((b) => (b.type === 'text' ? b.text : '')).join('')).toBe('Echo: one two ');
    expect(message).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'END' });
    const [record] = await recordsOf(id);
    expect(record).toMatchObject({ outcome: 'upstream_error', params: ['stop:emulated'] });
  });

  it('ends an Anthropic client’s stream with its stop_sequence when the upstream breaks off afterwards', async () => {
    const { id, key } = await instances.createKey({ name: 'stop-drop-after-anthropic' });
    openaiUp.reply(() => ({ kind: 'drop', afterChunks: AFTER_THE_CUT }));

    const message = await anthropic(key).messages.stream({ model: 'smart', max_tokens: 512, stop_sequences: ['END'], messages: LONG }).finalMessage();

    expect(message.content.map((b) => (b.type === 'text' ? b.text : '')).join('')).toBe('Echo: one two ');
    expect(message).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'END' });
    const [record] = await recordsOf(id);
    expect(record).toMatchObject({ outcome: 'interrupted', params: ['stop:emulated'] });
  });
});
