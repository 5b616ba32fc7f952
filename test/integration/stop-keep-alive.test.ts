import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { parseConfig } from '../../lib/config/load';
import type { LocalGateway } from '../../lib/local/start';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';
import { startInstances, type Instances } from './instances';
import { geminiClient, readGeminiStream } from './harness';
import { usageSince } from './usage-since';

/** Before any call: usage is read from this day on (`usageSince`). */
const STARTED_AT = Date.now();

/**
 * Keep-alives while the gateway drains the upstream after an emulated stop: the client has its
 * answer and its finish at the match, and the upstream goes on for a while (the fake's tail, a
 * chunk every 60 ms) before its usage and its end. With the quiet allowed shortened to 100 ms
 * (15 s in service), keep-alives come in that silence, in each surface's own form, and the
 * official clients read the stream through them as if they were not there.
 */
const SEQ = '\nObservation:';
const TAIL = Array.from({ length: 12 }, (_, i) => ` tail ${i}`);
const UPSTREAM_USAGE = { prompt: 21, completion: 17 };
const ask = [{ role: 'user' as const, content: 'What is the answer?' }];

let slow: FakeOpenAI;
/** A chunk every 250 ms: longer pauses than the quiet allowed. */
let slower: FakeOpenAI;
let instances: Instances;
let gw: LocalGateway;

beforeAll(async () => {
  slow = await startFakeOpenAI({ apiKey: 'sk-up', chunkDelayMs: 60 });
  slower = await startFakeOpenAI({ apiKey: 'sk-up', chunkDelayMs: 250 });
  const config = parseConfig({
    providers: [
      { id: 'slow', type: 'openai', baseUrl: slow.url, accounts: [{ id: 'a', apiKey: { env: 'UP' } }] },
      { id: 'slower', type: 'openai', baseUrl: slower.url, accounts: [{ id: 'a', apiKey: { env: 'UP' } }] },
    ],
    models: [
      { name: 'o3-slow', targets: [{ provider: 'slow', model: 'o3' }] },
      { name: 'gpt-4o-slower', targets: [{ provider: 'slower', model: 'gpt-4o' }] },
    ],
  });
  instances = await startInstances({ config, count: 1, tableName: 'keepalive', credentials: { UP: 'sk-up' }, keepAliveMs: 100 });
  gw = instances.gateways[0]!;
});
afterAll(async () => {
  await instances.close();
  await slow.close();
  await slower.close();
});
beforeEach(() => {
  slow.reset();
  slower.reset();
  slow.reply(() => ({ kind: 'text', text: '', chunks: ['Answer: 42', SEQ, ...TAIL], usage: UPSTREAM_USAGE }));
});

/** The raw SSE text of a call, to see what the clients are made to skip. */
async function rawStream(path: string, headers: Record<string, string>, body: unknown): Promise<string> {
  const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  expect(res.status).toBe(200);
  return res.text();
}

const count = (text: string, part: string) => text.split(part).length - 1;

describe('a Chat Completions stream drained after its stop', () => {
  it('sends `: keep-alive` comments between the finish chunk and the usage chunk, and none before the finish', async () => {
    const { key } = await instances.createKey({ name: 'ka-raw' });

    const text = await rawStream('/v1/chat/completions', { authorization: `Bearer ${key}` }, { model: 'o3-slow', messages: ask, stop: SEQ, stream: true, stream_options: { include_usage: true } });

    const finishAt = text.indexOf('"finish_reason":"stop"');
    const usageAt = text.indexOf('"usage":{');
    expect(finishAt).toBeGreaterThan(0);
    expect(text.indexOf(': keep-alive\n\n')).toBeGreaterThan(finishAt);
    // About 0.7 s of tail at a beat per 100 ms of quiet: six or so, fewer when a busy machine's timers run late.
    expect(count(text.slice(finishAt, usageAt), ': keep-alive\n\n')).toBeGreaterThanOrEqual(2);
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('is read by the official openai SDK as if the comments were not there: the text, one finish, the usage', async () => {
    const { id, key } = await instances.createKey({ name: 'ka-openai' });

    const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0, timeout: 10_000 });
    const stream = await client.chat.completions.create({ model: 'o3-slow', messages: ask, stop: SEQ, stream: true, stream_options: { include_usage: true } });
    let text = '';
    const finishes: string[] = [];
    const usages: unknown[] = [];
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.choices[0]?.finish_reason) finishes.push(chunk.choices[0].finish_reason);
      if (chunk.usage) usages.push(chunk.usage);
    }

    expect(text).toBe('Answer: 42');
    expect(finishes).toEqual(['stop']);
    expect(usages).toEqual([expect.objectContaining({ prompt_tokens: 21, completion_tokens: 17 })]);
    await instances.drain();
    const [record] = await usageSince(gw.table, id, STARTED_AT);
    expect(record).toMatchObject({ outcome: 'ok', params: ['stop:emulated'], outputTokens: 17 });
  });

  it('sends none on a stream without an emulated stop, however slow', async () => {
    const { key } = await instances.createKey({ name: 'ka-none' });
    // Pauses between chunks longer than the quiet allowed: the upstream's own silence is not the gateway's to fill.
    slower.reply(() => ({ kind: 'text', text: '', chunks: ['Answer:', ' 42'], usage: UPSTREAM_USAGE }));

    const text = await rawStream('/v1/chat/completions', { authorization: `Bearer ${key}` }, { model: 'gpt-4o-slower', messages: ask, stream: true });

    expect(text).toContain('Answer:');
    expect(text).not.toContain('keep-alive');
  });
});

describe('a translated stream drained after its stop', () => {
  it('sends an Anthropic client Anthropic’s own `ping` events after the text, and its SDK reads the message whole', async () => {
    const { key } = await instances.createKey({ name: 'ka-anthropic' });

    const raw = await rawStream('/v1/messages', { 'x-api-key': key, 'anthropic-version': '2023-06-01' }, { model: 'o3-slow', max_tokens: 512, stop_sequences: [SEQ], messages: ask, stream: true });
    const client = new Anthropic({ apiKey: key, baseURL: gw.url, maxRetries: 0, timeout: 10_000 });
    const message = await client.messages.stream({ model: 'o3-slow', max_tokens: 512, stop_sequences: [SEQ], messages: ask }).finalMessage();

    // The encoder's one ping after the first block opens, then the keep-alives after the text's last delta.
    const lastDelta = raw.lastIndexOf('event: content_block_delta');
    expect(count(raw.slice(lastDelta), 'event: ping\ndata: {"type":"ping"}\n\n')).toBeGreaterThanOrEqual(2);
    expect(raw).not.toContain('keep-alive');
    expect(message.content.map((b) => (b.type === 'text' ? b.text : '')).join('')).toBe('Answer: 42');
    expect(message).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: SEQ, usage: { output_tokens: 17 } });
  });

  it('sends a Gemini client (SSE) comments, and its SDK reads the answer through them', async () => {
    const { key } = await instances.createKey({ name: 'ka-gemini' });

    const raw = await rawStream('/v1beta/models/o3-slow:streamGenerateContent?alt=sse', { 'x-goog-api-key': key }, { contents: [{ role: 'user', parts: [{ text: 'What is the answer?' }] }], generationConfig: { stopSequences: [SEQ] } });
    const ai = geminiClient(gw, key, { timeout: 10_000 });
    const stream = await ai.models.generateContentStream({ model: 'o3-slow', contents: 'What is the answer?', config: { stopSequences: [SEQ] } });
    const { text, finishes } = await readGeminiStream(stream);

    expect(count(raw, ': keep-alive\n\n')).toBeGreaterThanOrEqual(2);
    expect(text).toBe('Answer: 42');
    expect(finishes).toEqual(['STOP']);
  });
});
