import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { FakeAnthropic, Reply as AnthropicReply } from '../fakes/anthropic';
import type { FakeBedrock, Reply as BedrockReply } from '../fakes/bedrock';
import { anthropicStreamEvents, chunkFrame, converseStreamEvents, eventFrame, type AnswerContent } from '../fakes/bedrock-wire';
import type { FakeGemini, GeminiReply } from '../fakes/gemini';
import { defaultReply as usualOpenAI, startFakeOpenAI, type FakeOpenAI, type Reply as OpenAIReply } from '../fakes/openai';
import type { FakeVertex, VertexReply } from '../fakes/vertex';
import type { GatewayLogger } from '../../lib/observe/logger';
import type { StoredUsage } from '../../lib/store/usage';
import { poolAccounts, startFakePool, type FakePool } from './fake-pool';
import { geminiClient } from './harness';
import { BEDROCK_CLAUDE, startBedrockPool, startClaudePool, startGeminiPool, startVertexPool } from './provider-pools';

/**
 * A stream the upstream ends (cleanly, at the HTTP level) before its last event is one failure
 * whatever the provider: the client is told in-band that the provider (by its config id) ended the
 * stream before it was complete (`upstream_interrupted`), in its own dialect, and the books say
 * `interrupted`, so the cut is charged as a cut (`lib/usage/cut-off.ts`) and not counted as an
 * upstream error (the `UpstreamErrors` metric). One row per provider path and client; a connection
 * that breaks instead is `cut-off.test.ts`'s.
 */
let openai: FakePool<FakeOpenAI, OpenAIReply>;
let claude: FakePool<FakeAnthropic, AnthropicReply>;
let bedrock: FakePool<FakeBedrock, BedrockReply>;
let gemini: FakePool<FakeGemini, GeminiReply>;
let vertex: FakePool<FakeVertex, VertexReply>;

/** The gateway's WARN lines, as its logger wrote them (one logger for every pool). */
const warned: { message: string; fields: Record<string, unknown> }[] = [];
const record = () => undefined;
const logger = { debug: record, info: record, error: record, warn: (message: string, fields: Record<string, unknown> = {}) => void warned.push({ message, fields }) } as unknown as GatewayLogger;

beforeAll(async () => {
  // Provider ids unlike their types (`oai`, `claude`), so the words are seen to name the config's.
  [openai, claude, bedrock, gemini, vertex] = await Promise.all([
    startFakePool({
      start: () => startFakeOpenAI(),
      provider: (fakes) => ({ id: 'oai', type: 'openai', accounts: poolAccounts(fakes, { apiKey: { env: 'OAI_KEY' } }) }),
      config: { models: [{ name: 'gpt-4o-mini', targets: [{ provider: 'oai', model: 'gpt-4o-mini' }] }], routing: { sticky: false } },
      credentials: { OAI_KEY: 'sk-up' },
      usual: usualOpenAI,
      keyName: 'cut-stream-openai',
      gateway: { logger },
    }),
    startClaudePool('cut-stream-anthropic', { logger }),
    startBedrockPool('cut-stream-bedrock', { logger }),
    startGeminiPool('cut-stream-gemini', { logger }),
    startVertexPool('cut-stream-vertex', { logger }),
  ]);
});
afterAll(() => Promise.all([openai.close(), claude.close(), bedrock.close(), gemini.close(), vertex.close()]));
beforeEach(() => {
  openai.reset();
  claude.reset();
  bedrock.reset();
  gemini.reset();
  vertex.reset();
  warned.length = 0;
});

const EVENT_STREAM = { 'content-type': 'application/vnd.amazon.eventstream' };
const ANSWER: AnswerContent = { text: 'Hello there', chunks: ['Hello ', 'there'], calls: [], stopReason: 'end_turn', usage: { input: 17, output: 9 } };
/** Claude's first three events on Bedrock: message_start (17 input tokens), content_block_start, a first delta; no message_stop. */
const claudeOpening = () => anthropicStreamEvents(ANSWER, 'claude-sonnet-4-5').slice(0, 3).map(chunkFrame);
/** Converse's messageStart and first delta; no messageStop. */
const converseOpening = () =>
  converseStreamEvents(ANSWER)
    .slice(0, 2)
    .map((e) => eventFrame(e.type, e.payload));
/** A Gemini SSE stream's first event, with text and the prompt's count, and no finishReason: then the body ends. */
const GEMINI_OPENING = `data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: 'Hello ' }] }, index: 0 }], usageMetadata: { promptTokenCount: 17, totalTokenCount: 17 }, modelVersion: 'gemini-2.5-flash' })}\r\n\r\n`;
const geminiCut = { kind: 'raw' as const, status: 200, headers: { 'content-type': 'text/event-stream' }, body: [GEMINI_OPENING] };

/** An OpenAI stream's role chunk and first text, and no `[DONE]`. */
const openAICut = { kind: 'raw' as const, status: 200, headers: { 'content-type': 'text/event-stream' }, body: [`data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hello ' }, finish_reason: null }] })}\n\n`] };
/** An Anthropic stream's message_start (17 input tokens), content_block_start and first delta, and no message_stop. */
const anthropicCut = {
  kind: 'raw' as const,
  status: 200,
  headers: { 'content-type': 'text/event-stream' },
  body: [
    { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-6', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 17, output_tokens: 1 } } },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello ' } },
  ].map((event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`),
};

/** What a client was told in-band, and the books of its call. */
interface Cut {
  told: { code: unknown; message: string };
  text: string;
  record: StoredUsage;
}

/** The OpenAI client's Chat Completions stream, read to the error it ends with. */
async function chatCut(pool: FakePool<unknown, unknown>, model: string): Promise<Cut> {
  const client = new OpenAI({ apiKey: pool.key, baseURL: `${pool.gw.url}/v1`, maxRetries: 0 });
  const { data: stream, response } = await client.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'Say hi.' }] }).withResponse();
  let text = '';
  const err = await (async () => {
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  })().catch((e: unknown) => e);
  if (!(err instanceof OpenAI.APIError)) throw new Error(`the stream ended without an API error: ${String(err)}`);
  return { told: { code: err.code, message: err.message }, text, record: await pool.recordOf(response.headers.get('x-request-id')) };
}

/** The Anthropic client's Messages stream, read to the error event it ends with. */
async function messagesCut(pool: FakePool<unknown, unknown>, model: string): Promise<Cut> {
  const client = new Anthropic({ apiKey: pool.key, baseURL: pool.gw.url, maxRetries: 0 });
  const { data: stream, response } = await client.messages.create({ model, max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'Say hi.' }] }).withResponse();
  let text = '';
  const err = await (async () => {
    for await (const event of stream) if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
  })().catch((e: unknown) => e);
  if (!(err instanceof Anthropic.APIError)) throw new Error(`the stream ended without an API error: ${String(err)}`);
  const body = err.error as { error: { type: string; message: string } };
  return { told: { code: body.error.type, message: body.error.message }, text, record: await pool.recordOf(response.headers.get('x-request-id')) };
}

/** The OpenAI client's Responses stream, read to its end: the `error` event it ends with (the SDK throws it, or hands it on). */
async function responsesCut(pool: FakePool<unknown, unknown>, model: string): Promise<Cut> {
  const client = new OpenAI({ apiKey: pool.key, baseURL: `${pool.gw.url}/v1`, maxRetries: 0 });
  const { data: stream, response } = await client.responses.create({ model, stream: true, input: 'Say hi.' }).withResponse();
  let text = '';
  let told: Cut['told'] | undefined;
  const err = await (async () => {
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'error') told = { code: event.code, message: event.message };
    }
  })().catch((e: unknown) => e);
  if (err instanceof OpenAI.APIError) told = { code: err.code, message: err.message };
  if (!told) throw new Error(`the stream ended without an error event: ${String(err)}`);
  return { told, text, record: await pool.recordOf(response.headers.get('x-request-id')) };
}

/** `@google/genai`'s stream, read to the error it throws. */
async function genaiCut(pool: FakePool<unknown, unknown>): Promise<Cut> {
  let requestId: string | null = null;
  const ai = geminiClient(pool.gw, pool.key, {
    fetch: async (url, init) => {
      const res = await fetch(url, init);
      requestId = res.headers.get('x-request-id');
      return res;
    },
  });
  let text = '';
  const err = await (async () => {
    const stream = await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'Say hi.', config: { httpOptions: { retryOptions: { attempts: 1 } } } });
    for await (const chunk of stream) text += chunk.text ?? '';
  })().catch((e: unknown) => e);
  if (!(err instanceof Error)) throw new Error('the stream ended without an error');
  // The SDK's message is `got status: …. ` and Google's error body as JSON.
  const body = JSON.parse(err.message.slice(err.message.indexOf('{'))) as { error: { code: number; message: string } };
  return { told: { code: body.error.code, message: body.error.message }, text, record: await pool.recordOf(requestId) };
}

describe('a stream the upstream ends before its last event, whatever the provider', () => {
  it.each([
    { path: 'OpenAI, passed through (OpenAI client)', provider: 'oai', code: 'upstream_interrupted', promptCounted: false, cut: () => (openai.firstCallGets(openAICut), chatCut(openai, 'gpt-4o-mini')) },
    { path: 'OpenAI, translated (Anthropic client)', provider: 'oai', code: 'api_error', promptCounted: false, cut: () => (openai.firstCallGets(openAICut), messagesCut(openai, 'gpt-4o-mini')) },
    { path: 'Anthropic, passed through (Anthropic client)', provider: 'claude', code: 'api_error', promptCounted: true, cut: () => (claude.firstCallGets(anthropicCut), messagesCut(claude, 'claude-sonnet-4-6')) },
    { path: 'Anthropic, translated (OpenAI client)', provider: 'claude', code: 'upstream_interrupted', promptCounted: true, cut: () => (claude.firstCallGets(anthropicCut), chatCut(claude, 'claude-sonnet-4-6')) },
    { path: 'Bedrock Converse, translated (OpenAI client)', provider: 'aws', code: 'upstream_interrupted', promptCounted: false, cut: () => (bedrock.firstCallGets({ kind: 'raw', status: 200, headers: EVENT_STREAM, body: converseOpening() }), chatCut(bedrock, BEDROCK_CLAUDE)) },
    { path: 'Bedrock Claude, passed through (Anthropic client)', provider: 'aws', code: 'api_error', promptCounted: true, cut: () => (bedrock.firstCallGets({ kind: 'raw', status: 200, headers: EVENT_STREAM, body: claudeOpening() }), messagesCut(bedrock, BEDROCK_CLAUDE)) },
    { path: 'Gemini, translated (OpenAI client)', provider: 'google', code: 'upstream_interrupted', promptCounted: true, cut: () => (gemini.firstCallGets(geminiCut), chatCut(gemini, 'gemini-2.5-flash')) },
    { path: 'Gemini, translated (Anthropic client)', provider: 'google', code: 'api_error', promptCounted: true, cut: () => (gemini.firstCallGets(geminiCut), messagesCut(gemini, 'gemini-2.5-flash')) },
    { path: 'Bedrock Converse, translated (Responses, OpenAI client)', provider: 'aws', code: 'upstream_interrupted', promptCounted: false, cut: () => (bedrock.firstCallGets({ kind: 'raw', status: 200, headers: EVENT_STREAM, body: converseOpening() }), responsesCut(bedrock, BEDROCK_CLAUDE)) },
    { path: 'Gemini, passed through (@google/genai)', provider: 'google', code: 502, promptCounted: true, cut: () => (gemini.firstCallGets(geminiCut), genaiCut(gemini)) },
    { path: 'Vertex Gemini, translated (OpenAI client)', provider: 'vertex', code: 'upstream_interrupted', promptCounted: true, cut: () => (vertex.firstCallGets(geminiCut), chatCut(vertex, 'gemini-2.5-flash')) },
    { path: 'Vertex Gemini, passed through (@google/genai)', provider: 'vertex', code: 502, promptCounted: true, cut: () => (vertex.firstCallGets(geminiCut), genaiCut(vertex)) },
  ])('$path: told the stream was cut, booked interrupted (upstream_interrupted), charged as a cut and logged at WARN', async ({ provider, code, promptCounted, cut }) => {
    // Act
    const { told, text, record } = await cut();

    // Assess: what came before the cut reached the client, then the cut in the client's own dialect.
    expect(text).toBe('Hello ');
    expect(told.code).toBe(code);
    expect(told.message).toBe(`The upstream provider "${provider}" ended the stream before it was complete.`);
    expect(record).toMatchObject({ status: 200, outcome: 'interrupted', errorCode: 'upstream_interrupted', estimated: true });
    // Charged as every provider's cut stream is: the prompt as counted (Converse counts only at its end: estimated), the output relayed.
    if (promptCounted) expect(record.inputTokens).toBe(17);
    else expect(record.inputTokens).toBeGreaterThan(0);
    expect(record.outputTokens).toBeGreaterThan(0);
    // Logged once, passed through or translated, as the stream guard logs any cut: the request, the provider by its config id, the words the client had.
    const interrupted = warned.filter((l) => l.message === 'stream interrupted');
    const fields = { requestId: record.requestId, provider, code: 'upstream_interrupted', error: `The upstream provider "${provider}" ended the stream before it was complete.` };
    expect(interrupted).toEqual([{ message: 'stream interrupted', fields: expect.objectContaining(fields) }]);
  });
});

/** An OpenAI-compatible upstream's own in-band error that happens to carry the gateway's code (another aigw in front of a provider sends it so). */
const upstreamSaysInterrupted = {
  kind: 'raw' as const,
  status: 200,
  headers: { 'content-type': 'text/event-stream' },
  body: [openAICut.body[0]!, `data: ${JSON.stringify({ error: { message: 'The upstream provider ended the stream before it was complete.', type: 'api_error', code: 'upstream_interrupted' } })}\n\n`],
};

describe("an upstream's own in-band error coded upstream_interrupted", () => {
  it.each([
    { path: 'passed through (OpenAI client)', cut: () => chatCut(openai, 'gpt-4o-mini') },
    { path: 'translated (Anthropic client)', cut: () => messagesCut(openai, 'gpt-4o-mini') },
  ])('$path: is the upstream’s error, booked upstream_error and not logged as a cut', async ({ cut }) => {
    // Prepare
    openai.firstCallGets(upstreamSaysInterrupted);

    // Act
    const { text, record } = await cut();

    // Assess: the stream the gateway read was whole; the failure is the one the upstream reported.
    expect(text).toBe('Hello ');
    expect(record).toMatchObject({ status: 200, outcome: 'upstream_error', errorCode: 'upstream_interrupted' });
    expect(warned.filter((l) => l.message === 'stream interrupted')).toEqual([]);
  });
});
