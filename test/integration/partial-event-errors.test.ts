import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { FakeAnthropic, Reply as AnthropicReply } from '../fakes/anthropic';
import type { FakeOpenAI, Reply as OpenAIReply } from '../fakes/openai';
import type { FakePool } from './fake-pool';
import { startClaudePool, startOpenAIPool, startVllmPool } from './provider-pools';

/**
 * An upstream that sends whole events, then the start of one (no blank line after it), then ends
 * or resets the connection: the gateway's in-band error must start an event of its own. Glued to
 * the cut bytes, a client's SSE parser would join both into one event whose JSON does not parse,
 * and the client would raise a JSON error (or nothing) instead of the gateway's typed error. The
 * relay holds an event back until its blank line, so the cut start is never sent at all.
 */
let openai: FakePool<FakeOpenAI, OpenAIReply>;
let claude: FakePool<FakeAnthropic, AnthropicReply>;
let oai: FakePool<FakeOpenAI, OpenAIReply>;

beforeAll(async () => {
  [openai, claude, oai] = await Promise.all([
    startVllmPool('partial-openai'),
    startClaudePool('partial-anthropic'),
    startOpenAIPool('partial-responses'),
  ]);
});
afterAll(() => Promise.all([openai.close(), claude.close(), oai.close()]));
beforeEach(() => {
  openai.reset();
  claude.reset();
  oai.reset();
});

const SSE = { 'content-type': 'text/event-stream' };
const chunk = (delta: Record<string, unknown>) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'llama-3.3-70b', choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;
const OPENAI_PART = 'data: {"id":"x","choi';
/** An OpenAI-compatible stream: `Hello `, the start of a chunk, then the connection ended or reset. */
const openAICut = (reset: boolean): OpenAIReply => ({ kind: 'raw', status: 200, headers: SSE, body: [chunk({ role: 'assistant', content: '' }), chunk({ content: 'Hello ' }), OPENAI_PART], reset });

const claudeEvents = [
  { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-6', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 11, output_tokens: 1 } } },
  { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello there' } },
];
const CLAUDE_PART = 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_';
/** Anthropic's stream to its text (`Hello there`), the start of an event, then the connection ended or reset. */
const claudeCut = (reset: boolean): AnthropicReply => ({
  kind: 'raw',
  status: 200,
  headers: SSE,
  body: [...claudeEvents.map((event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`), CLAUDE_PART],
  reset,
});

const responsesEvents = [
  { type: 'response.created', sequence_number: 0, response: { id: 'resp_1', object: 'response', created_at: 1, model: 'gpt-4.1', status: 'in_progress', error: null, output: [] } },
  { type: 'response.output_text.delta', sequence_number: 1, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Hello there' },
];
const RESPONSES_PART = 'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":2,"item_id":"msg_x';
/** A Responses stream to its text (`Hello there`), the start of an event, then the connection ended or reset. */
const responsesCut = (reset: boolean): OpenAIReply => ({
  kind: 'raw',
  status: 200,
  headers: SSE,
  body: [...responsesEvents.map((event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`), RESPONSES_PART],
  reset,
});

/** The stream's bytes as the gateway sent them, and its record. */
async function raw(pool: FakePool<unknown, unknown>, path: string, headers: Record<string, string>, body: Record<string, unknown>) {
  const res = await fetch(`${pool.gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  return { text, record: await pool.recordOf(res.headers.get('x-request-id')) };
}
const chatBytes = (pool: FakePool<unknown, unknown>, model: string, askUsage: boolean) =>
  raw(pool, '/v1/chat/completions', { authorization: `Bearer ${pool.key}` }, { model, stream: true, messages: [{ role: 'user', content: 'Say hi.' }], ...(askUsage ? { stream_options: { include_usage: true } } : {}) });
const messagesBytes = (pool: FakePool<unknown, unknown>, model: string) =>
  raw(pool, '/v1/messages', { 'x-api-key': pool.key, 'anthropic-version': '2023-06-01' }, { model, max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'Say hi.' }] });

/**
 * The SSE events of a stream's bytes as a client's parser splits them at blank lines, each as its
 * `data` (lines joined); the bytes after the last blank line are returned apart, as `rest`.
 */
function sseEvents(text: string): { data: string[]; rest: string } {
  const parts = text.split(/\r\n\r\n|\n\n|\r\r/);
  const rest = parts.pop() ?? '';
  const data = parts.map((event) =>
    event
      .split(/\r\n|\n|\r/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trimStart())
      .join('\n'),
  );
  return { data, rest };
}

/** Every event's data is JSON (or `[DONE]`): no cut bytes were glued to the event after them. */
const unreadable = (data: string[]) =>
  data.filter((d) => {
    if (d === '[DONE]') return false;
    try {
      JSON.parse(d);
      return false;
    } catch {
      return true;
    }
  });

async function chat(pool: FakePool<unknown, unknown>, model: string, askUsage: boolean) {
  const client = new OpenAI({ apiKey: pool.key, baseURL: `${pool.gw.url}/v1`, maxRetries: 0 });
  const stream = await client.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'Say hi.' }], ...(askUsage ? { stream_options: { include_usage: true } } : {}) });
  let text = '';
  const thrown = await (async () => {
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
  })().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { text, thrown };
}

async function messages(pool: FakePool<unknown, unknown>, model: string) {
  const client = new Anthropic({ apiKey: pool.key, baseURL: pool.gw.url, maxRetries: 0 });
  const stream = client.messages.stream({ model, max_tokens: 64, messages: [{ role: 'user', content: 'Say hi.' }] });
  let text = '';
  const thrown = await (async () => {
    for await (const event of stream) if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
  })().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { text, thrown };
}

const ENDINGS = [
  ['ends its response', false],
  ['resets the connection', true],
] as const;

describe.each(ENDINGS)('an upstream that sends the start of an event and then %s', (_ending, reset) => {
  it.each([
    ['passed as it came (the client asked for the usage)', true],
    ['re-framed (the client did not ask for the usage)', false],
  ])('sends an OpenAI-compatible stream to a Chat Completions client without the cut bytes, the error an event of its own: %s', async (_case, askUsage) => {
    // Prepare
    openai.firstCallGets(openAICut(reset));

    // Act
    const got = await chatBytes(openai, 'llama', askUsage);

    // Assess
    const { data, rest } = sseEvents(got.text);
    expect(got.text).not.toContain('"id":"x"');
    expect(unreadable(data)).toEqual([]);
    expect(rest).toBe('');
    expect(JSON.parse(data[data.length - 1]!)).toMatchObject({ error: { code: 'upstream_interrupted' } });
    expect(got.record).toMatchObject({ outcome: 'interrupted', errorCode: 'upstream_interrupted' });
  });

  it.each([
    ['passed as it came', true],
    ['re-framed', false],
  ])('has the OpenAI client raise the gateway\'s typed error, not a JSON error: %s', async (_case, askUsage) => {
    // Prepare
    openai.firstCallGets(openAICut(reset));

    // Act
    const got = await chat(openai, 'llama', askUsage);

    // Assess
    expect(got.text).toBe('Hello ');
    expect(got.thrown).toBeInstanceOf(OpenAI.APIError);
    expect(String(got.thrown)).not.toMatch(/JSON/);
  });

  it('sends an Anthropic stream to a Messages client without the cut bytes, the error an event of its own', async () => {
    // Prepare
    claude.firstCallGets(claudeCut(reset));

    // Act
    const got = await messagesBytes(claude, 'claude-sonnet-4-6');

    // Assess
    const { data, rest } = sseEvents(got.text);
    expect(got.text).not.toContain('"type":"text_"');
    expect(got.text.split('event: content_block_delta')).toHaveLength(2);
    expect(unreadable(data)).toEqual([]);
    expect(rest).toBe('');
    expect(JSON.parse(data[data.length - 1]!)).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    expect(got.record).toMatchObject({ outcome: 'interrupted', errorCode: 'upstream_interrupted' });
  });

  it('has the Anthropic client raise the gateway\'s typed error, not a JSON error', async () => {
    // Prepare
    claude.firstCallGets(claudeCut(reset));

    // Act
    const got = await messages(claude, 'claude-sonnet-4-6');

    // Assess
    expect(got.text).toBe('Hello there');
    expect(got.thrown).toBeInstanceOf(Anthropic.APIError);
    expect(String(got.thrown)).not.toMatch(/JSON/);
  });

  it('translates an Anthropic stream for the OpenAI client (for contrast: no upstream bytes go on): the error an event of its own', async () => {
    // Prepare
    claude.firstCallGets(claudeCut(reset));

    // Act
    const got = await chatBytes(claude, 'claude-sonnet-4-6', false);

    // Assess
    const { data, rest } = sseEvents(got.text);
    expect(unreadable(data)).toEqual([]);
    expect(rest).toBe('');
    expect(JSON.parse(data[data.length - 1]!)).toMatchObject({ error: { code: 'upstream_interrupted' } });
    expect(got.record).toMatchObject({ outcome: 'interrupted', errorCode: 'upstream_interrupted' });
  });

  it('translates an Anthropic stream for the OpenAI client, which raises the gateway\'s typed error', async () => {
    // Prepare
    claude.firstCallGets(claudeCut(reset));

    // Act
    const got = await chat(claude, 'claude-sonnet-4-6', false);

    // Assess
    expect(got.text).toBe('Hello there');
    expect(got.thrown).toBeInstanceOf(OpenAI.APIError);
    expect(String(got.thrown)).not.toMatch(/JSON/);
  });

  it('sends a Responses stream to a Responses client without the cut bytes, the error an event of its own', async () => {
    // Prepare
    oai.firstCallGets(responsesCut(reset));

    // Act
    const got = await raw(oai, '/v1/responses', { authorization: `Bearer ${oai.key}` }, { model: 'gpt-4.1', input: 'Say hi.', stream: true });

    // Assess
    const { data, rest } = sseEvents(got.text);
    expect(got.text).not.toContain('msg_x');
    expect(unreadable(data)).toEqual([]);
    expect(rest).toBe('');
    expect(data.length).toBeGreaterThan(responsesEvents.length);
    expect(got.record).toMatchObject({ outcome: 'interrupted', errorCode: 'upstream_interrupted' });
  });

  it('has the OpenAI client raise the gateway\'s typed error on a Responses stream, not a JSON error', async () => {
    // Prepare
    oai.firstCallGets(responsesCut(reset));
    const client = new OpenAI({ apiKey: oai.key, baseURL: `${oai.gw.url}/v1`, maxRetries: 0 });

    // Act
    const stream = await client.responses.create({ model: 'gpt-4.1', input: 'Say hi.', stream: true });
    const types: string[] = [];
    const thrown = await (async () => {
      for await (const event of stream) types.push(event.type);
    })().then(
      () => undefined,
      (e: unknown) => e,
    );

    // Assess
    expect(types.slice(0, 2)).toEqual(['response.created', 'response.output_text.delta']);
    expect(thrown).toBeInstanceOf(OpenAI.APIError);
  });
});
