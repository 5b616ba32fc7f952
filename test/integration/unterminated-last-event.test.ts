import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { FakeAnthropic, Reply as AnthropicReply } from '../fakes/anthropic';
import type { FakeGemini, GeminiReply } from '../fakes/gemini';
import type { FakeOpenAI, Reply as OpenAIReply } from '../fakes/openai';
import type { FakePool } from './fake-pool';
import { geminiClient, readGeminiStream } from './harness';
import { startClaudePool, startGeminiPool, startOpenAIPool, startVllmPool } from './provider-pools';

/**
 * A stream whose last event is whole but comes without the blank line after it (`data: [DONE]`
 * and the connection closed) is a stream that ended, not one cut off: OpenAI's client reads such
 * an event (its decoder flushes what is pending), so the gateway does too (`SseReader.end`), and
 * the answer is told and booked as complete, passed through or translated. The start of an event
 * a server cut off stays a cut.
 */
let openai: FakePool<FakeOpenAI, OpenAIReply>;
let claude: FakePool<FakeAnthropic, AnthropicReply>;
let gemini: FakePool<FakeGemini, GeminiReply>;
let oai: FakePool<FakeOpenAI, OpenAIReply>;

beforeAll(async () => {
  [openai, claude, gemini, oai] = await Promise.all([
    startVllmPool('unterminated-openai'),
    startClaudePool('unterminated-anthropic'),
    startGeminiPool('unterminated-gemini'),
    startOpenAIPool('unterminated-responses'),
  ]);
});
afterAll(() => Promise.all([openai.close(), claude.close(), gemini.close(), oai.close()]));
beforeEach(() => {
  openai.reset();
  claude.reset();
  gemini.reset();
  oai.reset();
});

const SSE = { 'content-type': 'text/event-stream' };
const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'llama-3.3-70b', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const usage = `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'llama-3.3-70b', choices: [], usage: { prompt_tokens: 11, completion_tokens: 2, total_tokens: 13 } })}\n\n`;
/** An OpenAI-compatible server's whole stream, `Hello there`, its `[DONE]` ended by `last`. */
const openAIStream = (last: string): OpenAIReply => ({ kind: 'raw', status: 200, headers: SSE, body: [chunk({ role: 'assistant', content: '' }), chunk({ content: 'Hello ' }), chunk({ content: 'there' }), chunk({}, 'stop'), usage, `data: [DONE]${last}`] });

const claudeEvents = [
  { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-6', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 11, output_tokens: 1 } } },
  { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello there' } },
  { type: 'content_block_stop', index: 0 },
  { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 2 } },
  { type: 'message_stop' },
];
/** Anthropic's whole stream, `Hello there`, its `message_stop` ended by `last` instead of its blank line. */
const claudeStream = (last: string): AnthropicReply => ({
  kind: 'raw',
  status: 200,
  headers: SSE,
  body: claudeEvents.map((event, i) => `event: ${event.type}\ndata: ${JSON.stringify(event)}${i === claudeEvents.length - 1 ? last : '\n\n'}`),
});

/** Anthropic's stream to its text (`Hello there`), then `tail`, and the connection closed. */
const claudeTextThen = (tail: string): AnthropicReply => ({
  kind: 'raw',
  status: 200,
  headers: SSE,
  body: [...claudeEvents.slice(0, 3).map((event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`), tail],
});

/** The OpenAI client's Chat Completions stream read to its end: its text, and what it threw, if it did. */
async function chat(pool: FakePool<unknown, unknown>, model: string, askUsage = false) {
  const client = new OpenAI({ apiKey: pool.key, baseURL: `${pool.gw.url}/v1`, maxRetries: 0 });
  const { data: stream, response } = await client.chat.completions
    .create({ model, stream: true, messages: [{ role: 'user', content: 'Say hi.' }], ...(askUsage ? { stream_options: { include_usage: true } } : {}) })
    .withResponse();
  let text = '';
  let finish: string | null | undefined;
  const thrown = await (async () => {
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      finish ??= c.choices[0]?.finish_reason;
    }
  })().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { text, finish, thrown, record: await pool.recordOf(response.headers.get('x-request-id')) };
}

/** The Anthropic client's Messages stream read to its end: its text, and what it threw, if it did. */
async function messages(pool: FakePool<unknown, unknown>, model: string) {
  const client = new Anthropic({ apiKey: pool.key, baseURL: pool.gw.url, maxRetries: 0 });
  const { data: stream, response } = await client.messages.create({ model, max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'Say hi.' }] }).withResponse();
  let text = '';
  let finish: string | null | undefined;
  const thrown = await (async () => {
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
      if (event.type === 'message_delta') finish = event.delta.stop_reason;
    }
  })().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { text, finish, thrown, record: await pool.recordOf(response.headers.get('x-request-id')) };
}

describe('a last event without its blank line', () => {
  it.each([
    ['no line end at all', ''],
    ['one LF', '\n'],
    ['one CRLF', '\r\n'],
  ])('ends an OpenAI-compatible stream passed to the OpenAI client as complete: [DONE] with %s', async (_case, last) => {
    // Prepare
    openai.firstCallGets(openAIStream(last));

    // Act
    const got = await chat(openai, 'llama');

    // Assess
    expect(got).toMatchObject({ text: 'Hello there', finish: 'stop', thrown: undefined });
    expect(got.record).toMatchObject({ outcome: 'ok', inputTokens: 11, outputTokens: 2 });
    expect(got.record.errorCode).toBeUndefined();
  });

  it.each([
    ['re-framed (the client did not ask for the usage)', false],
    ['passed as it came (the client asked for the usage)', true],
  ])('sends the [DONE] that came without its blank line once, with it: %s', async (_case, askUsage) => {
    // Prepare
    openai.firstCallGets(openAIStream(''));

    // Act: the bytes, as no client shows them (OpenAI's stops reading at the first [DONE]).
    const res = await fetch(`${openai.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${openai.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'llama', stream: true, messages: [{ role: 'user', content: 'Say hi.' }], ...(askUsage ? { stream_options: { include_usage: true } } : {}) }),
    });
    const body = await res.text();

    // Assess
    expect(body.split('[DONE]')).toHaveLength(2);
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(await openai.recordOf(res.headers.get('x-request-id'))).toMatchObject({ outcome: 'ok', inputTokens: 11, outputTokens: 2 });
  });

  it('ends an OpenAI-compatible stream translated for the Anthropic client as complete: [DONE] with no line end', async () => {
    // Prepare
    openai.firstCallGets(openAIStream(''));

    // Act
    const got = await messages(openai, 'llama');

    // Assess: the finish chunk before it already ends the translated answer; the [DONE] read at the end changes nothing.
    expect(got).toMatchObject({ text: 'Hello there', finish: 'end_turn', thrown: undefined });
    expect(got.record).toMatchObject({ outcome: 'ok', inputTokens: 11, outputTokens: 2 });
  });

  it.each([
    ['no line end at all', ''],
    ['one LF', '\n'],
  ])('ends an Anthropic stream translated for the OpenAI client as complete: message_stop with %s', async (_case, last) => {
    // Prepare
    claude.firstCallGets(claudeStream(last));

    // Act
    const got = await chat(claude, 'claude-sonnet-4-6');

    // Assess
    expect(got).toMatchObject({ text: 'Hello there', finish: 'stop', thrown: undefined });
    expect(got.record).toMatchObject({ outcome: 'ok', inputTokens: 11, outputTokens: 2 });
  });

  it('books an Anthropic stream passed to the Anthropic client as complete: message_stop with one LF', async () => {
    // Prepare
    claude.firstCallGets(claudeStream('\n'));

    // Act
    const got = await messages(claude, 'claude-sonnet-4-6');

    // Assess
    expect(got).toMatchObject({ text: 'Hello there', finish: 'end_turn', thrown: undefined });
    expect(got.record).toMatchObject({ outcome: 'ok', inputTokens: 11, outputTokens: 2 });
  });

  it('still tells and books a stream that ended inside an event as cut', async () => {
    // Prepare: the connection closed cleanly half-way through a chunk's JSON.
    openai.firstCallGets({ kind: 'raw', status: 200, headers: SSE, body: [chunk({ role: 'assistant', content: '' }), chunk({ content: 'Hello ' }), chunk({ content: 'there' }).slice(0, 60)] });

    // Act
    const got = await chat(openai, 'llama');

    // Assess
    expect(got.thrown).toBeInstanceOf(OpenAI.APIError);
    expect(got.record).toMatchObject({ outcome: 'interrupted', errorCode: 'upstream_interrupted' });
  });

  it('tells an OpenAI client that asked for the usage (its bytes passed as they came) a stream cut inside an event with the gateway\'s error, not the cut bytes glued to it', async () => {
    // Prepare: the connection closed cleanly half-way through a chunk's JSON.
    openai.firstCallGets({ kind: 'raw', status: 200, headers: SSE, body: [chunk({ role: 'assistant', content: '' }), chunk({ content: 'Hello ' }), chunk({ content: 'there' }).slice(0, 60)] });

    // Act
    const got = await chat(openai, 'llama', true);

    // Assess
    expect(got.text).toBe('Hello ');
    expect(got.thrown).toBeInstanceOf(OpenAI.APIError);
    expect(got.record).toMatchObject({ outcome: 'interrupted', errorCode: 'upstream_interrupted' });
  });

  it('tells an Anthropic client passed an Anthropic stream cut inside an event with the gateway\'s error, not the cut bytes glued to it', async () => {
    // Prepare
    claude.firstCallGets(claudeTextThen('event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_'));

    // Act
    const got = await messages(claude, 'claude-sonnet-4-6');

    // Assess
    expect(got.text).toBe('Hello there');
    expect(got.thrown).toBeInstanceOf(Anthropic.APIError);
    expect(got.record).toMatchObject({ outcome: 'interrupted', errorCode: 'upstream_interrupted' });
  });

  it('tells an Anthropic client passed an Anthropic stream whose last event is an error without its blank line that error, rewritten', async () => {
    // Prepare
    const error = 'event: error\ndata: {"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed the rate limit for your organization (d3f27ff7-9afe-4ee2-9645-76ecfc73c2b7) of 40,000 input tokens per minute."}}';
    claude.firstCallGets(claudeTextThen(error));

    // Act
    const got = await messages(claude, 'claude-sonnet-4-6');

    // Assess
    expect(got.text).toBe('Hello there');
    expect(got.thrown).toBeInstanceOf(Anthropic.APIError);
    expect(String(got.thrown)).not.toContain('d3f27ff7');
    expect(got.record).toMatchObject({ outcome: 'upstream_error' });
  });

  it('tells an OpenAI client of an Anthropic stream, translated, whose last event is an error without its blank line that error (not a cut), in the gateway\'s words', async () => {
    // Prepare
    claude.firstCallGets(claudeTextThen('event: error\ndata: {"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed the rate limit for your organization (d3f27ff7-9afe-4ee2-9645-76ecfc73c2b7) of 40,000 input tokens per minute."}}'));

    // Act
    const got = await chat(claude, 'claude-sonnet-4-6');

    // Assess
    expect(got.text).toBe('Hello there');
    expect(got.thrown).toBeInstanceOf(OpenAI.APIError);
    expect(String(got.thrown)).not.toContain('d3f27ff7');
    expect(got.record).toMatchObject({ outcome: 'upstream_error', errorCode: 'rate_limit_error' });
  });

  it('tells an OpenAI client that asked for the usage a stream whose last event is an error without its blank line that error, rewritten', async () => {
    // Prepare
    const error = 'data: {"error":{"type":"tokens","code":"rate_limit_exceeded","message":"Rate limit reached for gpt-4o in organization org-uOtiSEwvUnroadaOnJJquBEC on tokens per min (TPM): Limit 30000, Used 29937, Requested 385."}}';
    openai.firstCallGets({ kind: 'raw', status: 200, headers: SSE, body: [chunk({ role: 'assistant', content: '' }), chunk({ content: 'Hello ' }), error] });

    // Act
    const got = await chat(openai, 'llama', true);

    // Assess
    expect(got.text).toBe('Hello ');
    expect(got.thrown).toBeInstanceOf(OpenAI.APIError);
    expect(String(got.thrown)).not.toContain('org-uOtiSEwvUnroadaOnJJquBEC');
    expect(got.record).toMatchObject({ outcome: 'upstream_error' });
  });

  it('tells an OpenAI client that did not ask for the usage (its events re-framed) a stream whose last event is an error without its blank line that error, rewritten', async () => {
    // Prepare
    const error = 'data: {"error":{"type":"tokens","code":"rate_limit_exceeded","message":"Rate limit reached for gpt-4o in organization org-uOtiSEwvUnroadaOnJJquBEC on tokens per min (TPM): Limit 30000, Used 29937, Requested 385."}}';
    openai.firstCallGets({ kind: 'raw', status: 200, headers: SSE, body: [chunk({ role: 'assistant', content: '' }), chunk({ content: 'Hello ' }), error] });

    // Act
    const got = await chat(openai, 'llama');

    // Assess
    expect(got.text).toBe('Hello ');
    expect(got.thrown).toBeInstanceOf(OpenAI.APIError);
    expect(String(got.thrown)).not.toContain('org-uOtiSEwvUnroadaOnJJquBEC');
    expect(got.record).toMatchObject({ outcome: 'upstream_error' });
  });

  it.each([
    ['no line end at all', ''],
    ['one CRLF', '\r\n'],
  ])('ends a Gemini stream passed to @google/genai as complete: its last event, with its finishReason, with %s', async (_case, last) => {
    // Prepare
    const event = (text: string, finish?: string) =>
      `data: ${JSON.stringify({ candidates: [{ content: { parts: [{ text }], role: 'model' }, ...(finish ? { finishReason: finish } : {}), index: 0 }], usageMetadata: { promptTokenCount: 11, candidatesTokenCount: 2, totalTokenCount: 13 }, modelVersion: 'gemini-2.5-flash' })}`;
    gemini.firstCallGets({ kind: 'raw', status: 200, headers: SSE, body: [`${event('Hello ')}\r\n\r\n`, `${event('there', 'STOP')}${last}`] });
    const ids: string[] = [];
    const ai = geminiClient(gemini.gw, gemini.key, {
      fetch: async (url, init) => {
        const res = await fetch(url, init);
        ids.push(res.headers.get('x-request-id') ?? '');
        return res;
      },
    });

    // Act
    const read = await readGeminiStream(await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'Say hi.' }));

    // Assess
    expect(read).toEqual({ text: 'Hello there', finishes: ['STOP'] });
    expect(await gemini.recordOf(ids[0])).toMatchObject({ outcome: 'ok', inputTokens: 11, outputTokens: 2 });
  });

  it('ends a Responses stream passed to the OpenAI client as complete: response.completed with no line end', async () => {
    // Prepare
    const response = (status: string, extra: Record<string, unknown> = {}) => ({ id: 'resp_1', object: 'response', created_at: 1, model: 'gpt-4.1', status, error: null, output: [], ...extra });
    const events = [
      { type: 'response.created', sequence_number: 0, response: response('in_progress') },
      { type: 'response.output_text.delta', sequence_number: 1, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Hello there' },
      {
        type: 'response.completed',
        sequence_number: 2,
        response: response('completed', {
          output: [{ type: 'message', id: 'msg_1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Hello there', annotations: [] }] }],
          usage: { input_tokens: 11, output_tokens: 2, total_tokens: 13, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } },
        }),
      },
    ];
    oai.firstCallGets({ kind: 'raw', status: 200, headers: SSE, body: events.map((e, i) => `event: ${e.type}\ndata: ${JSON.stringify(e)}${i === events.length - 1 ? '' : '\n\n'}`) });
    const client = new OpenAI({ apiKey: oai.key, baseURL: `${oai.gw.url}/v1`, maxRetries: 0 });

    // Act
    const { data: stream, response: res } = await client.responses.create({ model: 'gpt-4.1', input: 'Say hi.', stream: true }).withResponse();
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);

    // Assess
    expect(types).toEqual(['response.created', 'response.output_text.delta', 'response.completed']);
    expect(await oai.recordOf(res.headers.get('x-request-id'))).toMatchObject({ outcome: 'ok', inputTokens: 11, outputTokens: 2 });
  });
});
