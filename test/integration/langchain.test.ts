/**
 * LangChain.js (`@langchain/openai`'s ChatOpenAI and OpenAIEmbeddings, `@langchain/anthropic`'s
 * ChatAnthropic, on `@langchain/core`) as the caller, each chat model against a target of its
 * own dialect (passed through) and others (translated): text, a tool loop with strict tools,
 * structured output, images, embeddings in batches, reasoning, usage and errors, streamed and
 * not. The fakes' token counts are chosen, so the usage LangChain reports and the gateway
 * records can be compared with them exactly.
 */
import { ChatAnthropic } from '@langchain/anthropic';
import type { BaseChatModel, BaseChatModelCallOptions } from '@langchain/core/language_models/chat_models';
import { AIMessage, AIMessageChunk, HumanMessage, SystemMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import { z } from 'zod';
import { embeddingVector } from '../fakes/openai';
import { PNG_BASE64 } from './matrix/scenario';
import { RIG_MODELS as M, callerRigForSuite, type Upstream } from './caller-rig';

const rig = callerRigForSuite();

/** Each way to reach a model: the LangChain chat model, and which fake serves it. */
interface Route {
  name: string;
  chat: (key: string, options?: { streaming?: boolean }) => BaseChatModel;
  upstream: Upstream;
  /** Which LangChain integration the chat model is. */
  library: 'openai' | 'anthropic';
  /** The surface the usage record names. */
  surface: string;
}

// LangChain retries on its own (six times by default): off, so errors surface at once. `streaming`
// only when wanted: an explicit `false` makes ChatOpenAI's `.stream()` one whole answer.
const openaiChat = (model: string, extra: Record<string, unknown> = {}) => (key: string, o: { streaming?: boolean } = {}) =>
  new ChatOpenAI({ model, apiKey: key, configuration: { baseURL: rig.baseURL }, maxRetries: 0, ...(o.streaming ? { streaming: true } : {}), ...extra });
// ChatAnthropic takes the origin: the Anthropic client adds `/v1/messages` itself.
const anthropicChat = (model: string) => (key: string, o: { streaming?: boolean } = {}) =>
  new ChatAnthropic({ model, apiKey: key, anthropicApiUrl: rig.gw.url, maxRetries: 0, ...(o.streaming ? { streaming: true } : {}) });

const ROUTES: Route[] = [
  { name: 'ChatOpenAI → OpenAI, passed through', chat: openaiChat(M.gpt), upstream: 'openai', library: 'openai', surface: 'openai' },
  { name: 'ChatOpenAI (useResponsesApi) → OpenAI, passed through', chat: openaiChat(M.gpt, { useResponsesApi: true }), upstream: 'openai', library: 'openai', surface: 'openai-responses' },
  { name: 'ChatOpenAI (useResponsesApi) → Anthropic, translated', chat: openaiChat(M.claude, { useResponsesApi: true }), upstream: 'anthropic', library: 'openai', surface: 'openai-responses' },
  { name: 'ChatOpenAI → Anthropic, translated', chat: openaiChat(M.claude), upstream: 'anthropic', library: 'openai', surface: 'openai' },
  { name: 'ChatOpenAI → Gemini, translated', chat: openaiChat(M.gemini), upstream: 'gemini', library: 'openai', surface: 'openai' },
  { name: 'ChatAnthropic → Anthropic, passed through', chat: anthropicChat(M.claude), upstream: 'anthropic', library: 'anthropic', surface: 'anthropic' },
  { name: 'ChatAnthropic → OpenAI, translated', chat: anthropicChat(M.gpt), upstream: 'openai', library: 'anthropic', surface: 'anthropic' },
];

/**
 * The usage LangChain reports for an answer whose upstream counted `input` and `output` tokens.
 * Streamed, ChatAnthropic adds message_start's `output_tokens` (1, as Anthropic sends it) to
 * message_delta's, and takes `input_tokens` from message_start only: translated from OpenAI, whose
 * count comes last, that is the gateway's estimate (the usage record holds the upstream's count).
 */
function expectedUsage(route: Route, streamed: boolean, counted: { input: number; output: number }): Record<string, unknown> {
  if (!streamed || route.library !== 'anthropic') return { input_tokens: counted.input, output_tokens: counted.output, total_tokens: counted.input + counted.output };
  const input = route.upstream === 'anthropic' ? counted.input : expect.any(Number);
  return { input_tokens: input, output_tokens: counted.output + 1 };
}

/** One call, streamed (the chunks concatenated, as LangChain's docs do) or not. */
async function call(model: { invoke(m: BaseMessage[]): Promise<AIMessage>; stream(m: BaseMessage[]): Promise<AsyncIterable<AIMessageChunk>> }, messages: BaseMessage[], streamed: boolean): Promise<{ message: AIMessage; chunks: number }> {
  if (!streamed) return { message: await model.invoke(messages), chunks: 1 };
  let whole: AIMessageChunk | undefined;
  let chunks = 0;
  for await (const chunk of await model.stream(messages)) {
    whole = whole ? whole.concat(chunk) : chunk;
    chunks++;
  }
  return { message: whole!, chunks };
}

const weather = tool(async ({ city }) => JSON.stringify({ city, celsius: 4 }), {
  name: 'weather',
  description: 'The weather in a city',
  schema: z.object({ city: z.string() }),
});

describe.each(ROUTES)('$name', (route) => {
  it.each([false, true])('answers text and reports the upstream\'s token counts, which the usage record holds too (streamed: %s)', async (streamed) => {
    // Prepare
    const { id, key } = await rig.freshKey();
    rig.replyText(route.upstream, 'Hello from the fake, word by word.');

    // Act
    const { message, chunks } = await call(route.chat(key), [new SystemMessage('Be brief.'), new HumanMessage('Say hello')], streamed);

    // Assess
    expect(message.text).toBe('Hello from the fake, word by word.');
    if (streamed) expect(chunks).toBeGreaterThan(2);
    expect(message.usage_metadata).toMatchObject(expectedUsage(route, streamed, { input: 11, output: 7 }));
    const [record] = await rig.usage(id, 1);
    expect(record).toMatchObject({ surface: route.surface, stream: streamed, outcome: 'ok', inputTokens: 11, outputTokens: 7 });
  });

  it.each([false, true])('runs a tool loop with a strict tool: the call, the ToolMessage sent back, the answer (streamed: %s)', async (streamed) => {
    // Prepare
    const { id, key } = await rig.freshKey();
    rig.replyToolLoop(route.upstream);
    const chat = route.chat(key, { streaming: streamed });
    // ChatOpenAI also sends `parallel_tool_calls`, which goes to OpenAI, becomes Anthropic's
    // disable_parallel_tool_use, and holds Gemini's answer to one call (below). `strict` and
    // `parallel_tool_calls` are the integrations' own call options, not the base class's.
    const bound = { strict: true, ...(route.library === 'openai' ? { parallel_tool_calls: false } : {}) } as Partial<BaseChatModelCallOptions>;
    const model = chat.bindTools!([weather], bound);
    const messages: BaseMessage[] = [new HumanMessage('Weather in Oslo?')];

    // Act
    const first = await call(model, messages, streamed);
    const toolCall = first.message.tool_calls?.[0];
    messages.push(first.message, await weather.invoke(toolCall!));
    const second = await call(model, messages, streamed);

    // Assess
    expect(toolCall).toMatchObject({ name: 'weather', args: { city: 'Oslo' } });
    expect(second.message.text).toBe('Oslo is 4°C.');
    expect(messages[2]).toBeInstanceOf(ToolMessage);
    const sent = JSON.stringify(rig.fakes[route.upstream].requests[1]!.body);
    expect(sent).toContain('celsius');
    expect(first.message.usage_metadata).toMatchObject(expectedUsage(route, streamed, { input: 20, output: 9 }));
    const records = await rig.usage(id, 2);
    expect(records.map((r) => [r.inputTokens, r.outputTokens]).sort()).toEqual([[20, 9], [30, 5]]);
  });

  it.each([false, true])('returns withStructuredOutput\'s object (streamed: %s)', async (streamed) => {
    // Prepare
    const { key } = await rig.freshKey();
    const json = '{"name":"Ada","age":36}';
    rig.replyText(route.upstream, json);
    // ChatAnthropic asks through a tool named after the schema, as Claude is then made to call.
    if (route.upstream === 'anthropic') rig.fakes.anthropic.reply((req) => (JSON.stringify(req.body).includes('"tool_choice"') ? { kind: 'tool_use', calls: [{ name: 'person', input: JSON.parse(json) }] } : { kind: 'text', text: json }));
    if (route.upstream === 'openai') rig.fakes.openai.reply((req) => (JSON.stringify(req.body).includes('"tool_choice"') ? { kind: 'tool_calls', calls: [{ name: 'person', arguments: json }] } : { kind: 'text', text: json }));
    // ChatAnthropic's default (a forced tool) fails streamed in LangChain itself (core 1.4, anthropic
    // 1.5.11): merging the chunks keeps the tool_use block (input "") apart from its input_json_delta
    // blocks, and the parser reads the former, whatever the server (the bytes passed through here
    // are Anthropic's format; the merged tool_calls are right). Its `jsonSchema` method streams.
    const method = streamed && route.library === 'anthropic' ? ('jsonSchema' as const) : undefined;
    const model = route.chat(key).withStructuredOutput(z.object({ name: z.string(), age: z.number() }), { name: 'person', ...(method ? { method } : {}) });

    // Act
    let output: unknown;
    if (streamed) {
      for await (const partial of await model.stream([new HumanMessage('Who wrote the first program?')])) output = partial;
    } else {
      output = await model.invoke([new HumanMessage('Who wrote the first program?')]);
    }

    // Assess
    expect(output).toEqual({ name: 'Ada', age: 36 });
    expect(JSON.stringify(rig.fakes[route.upstream].requests[0]!.body).toLowerCase()).toContain('"age":{"type":"number"');
  });

  it('sends an image the upstream receives in its own format', async () => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.replyText(route.upstream, 'A single pixel.');
    const image = new HumanMessage({ content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_BASE64}` } }] });

    // Act
    const { message } = await call(route.chat(key), [image], false);

    // Assess
    expect(message.text).toBe('A single pixel.');
    expect(JSON.stringify(rig.fakes[route.upstream].requests[0]!.body)).toContain(PNG_BASE64);
  });

  it('surfaces the gateway\'s 429 as the client\'s RateLimitError, marked MODEL_RATE_LIMIT, with the message', async () => {
    // Prepare
    const { key } = await rig.freshKey({ limits: { requestsPerMinute: 1 } });
    const chat = route.chat(key);
    // Both calls in one minute's window, or the second is let through.
    rig.startMinute();
    await chat.invoke([new HumanMessage('first')]);

    // Act
    const error = await chat.invoke([new HumanMessage('second')]).catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ status: 429, lc_error_code: 'MODEL_RATE_LIMIT' });
    expect((error as Error).constructor.name).toBe('RateLimitError');
    expect((error as Error).message).toMatch(/rate limit/i);
  });

  it.each([false, true])('surfaces an upstream 400 as the client\'s BadRequestError with the upstream\'s message (streamed: %s)', async (streamed) => {
    // Prepare
    const { key } = await rig.freshKey();
    const message = 'max_tokens is too large: 999999';
    if (route.upstream === 'openai') rig.fakes.openai.reply({ kind: 'error', status: 400, body: { error: { message, type: 'invalid_request_error', param: 'max_tokens', code: null } } });
    if (route.upstream === 'anthropic') rig.fakes.anthropic.reply({ kind: 'error', status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message } } });
    if (route.upstream === 'gemini') rig.fakes.gemini.reply({ kind: 'error', status: 400, body: { error: { code: 400, message, status: 'INVALID_ARGUMENT' } } });

    // Act
    const error = await call(route.chat(key), [new HumanMessage('x')], streamed).catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ status: 400 });
    expect((error as Error).constructor.name).toBe('BadRequestError');
    expect((error as Error).message).toContain(message);
  });
});

describe('one call at a time', () => {
  it.each([false, true])('holds Gemini, which has no such switch, to the first call when ChatOpenAI sends parallel_tool_calls: false (streamed: %s)', async (streamed) => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.fakes.gemini.reply({ kind: 'function_calls', calls: [{ name: 'weather', args: { city: 'Oslo' } }, { name: 'weather', args: { city: 'Bergen' } }] });
    const model = openaiChat(M.gemini)(key).bindTools([weather], { parallel_tool_calls: false });

    // Act
    const { message } = await call(model, [new HumanMessage('Weather in Oslo and Bergen?')], streamed);

    // Assess
    expect(message.tool_calls).toEqual([expect.objectContaining({ name: 'weather', args: { city: 'Oslo' } })]);
    expect(message.response_metadata).toMatchObject({ finish_reason: 'tool_calls' });
  });
});

describe('what a target cannot do', () => {
  it('answers ChatOpenAI\'s n: 2 to Claude with the gateway\'s own 400 naming the field, a BadRequestError, before any upstream call', async () => {
    // Prepare
    const { key } = await rig.freshKey();

    // Act
    const error = await openaiChat(M.claude, { n: 2 })(key).invoke([new HumanMessage('Two answers, please')]).catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ status: 400, param: 'n' });
    expect((error as Error).constructor.name).toBe('BadRequestError');
    expect((error as Error).message).toMatch(/anthropic/);
    expect(rig.fakes.anthropic.requests).toHaveLength(0);
  });
});

describe('reasoning', () => {
  it.each([false, true])('passes ChatOpenAI\'s reasoning effort to OpenAI and reports the reasoning tokens (streamed: %s)', async (streamed) => {
    // Prepare
    const { id, key } = await rig.freshKey();
    rig.fakes.openai.reply({ kind: 'text', text: 'Forty-two.', usage: { prompt: 11, completion: 7, reasoning: 3 } });

    // Act
    const { message } = await call(openaiChat(M.reasoningGpt, { reasoning: { effort: 'high' } })(key), [new HumanMessage('The answer?')], streamed);

    // Assess
    expect(message.text).toBe('Forty-two.');
    expect(message.usage_metadata).toMatchObject({ input_tokens: 11, output_tokens: 7, output_token_details: { reasoning: 3 } });
    expect(rig.fakes.openai.requests[0]!.body).toMatchObject({ reasoning_effort: 'high' });
    expect(await rig.usage(id, 1)).toEqual([expect.objectContaining({ reasoningTokens: 3 })]);
  });

  it.each([false, true])('turns ChatOpenAI\'s reasoning effort into Claude\'s thinking when translated (streamed: %s)', async (streamed) => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.fakes.anthropic.reply({ kind: 'thinking', thinking: 'Six times seven.', text: 'Forty-two.', usage: { input: 11, output: 7 } });

    // Act
    // ChatOpenAI sends `reasoning` only for model names it knows reason (o1…, gpt-5…): for Claude or
    // Gemini behind the gateway, reasoning_effort goes in modelKwargs.
    const { message } = await call(openaiChat(M.claude, { modelKwargs: { reasoning_effort: 'high' } })(key), [new HumanMessage('The answer?')], streamed);

    // Assess
    expect(message.text).toBe('Forty-two.');
    expect(rig.fakes.anthropic.requests[0]!.body).toMatchObject({ thinking: { type: 'enabled' } });
  });

  it.each([false, true])('sends ChatAnthropic\'s thinking to Claude and returns the thinking block, whose signature goes back in the next turn (streamed: %s)', async (streamed) => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.fakes.anthropic.reply({ kind: 'thinking', thinking: 'Six times seven.', text: 'Forty-two.', usage: { input: 11, output: 7 } });
    const chat = new ChatAnthropic({ model: M.claude, apiKey: key, anthropicApiUrl: rig.gw.url, maxRetries: 0, maxTokens: 4000, thinking: { type: 'enabled', budget_tokens: 2048 } });
    const messages: BaseMessage[] = [new HumanMessage('The answer?')];

    // Act
    const first = await call(chat, messages, streamed);
    messages.push(first.message, new HumanMessage('And doubled?'));
    await call(chat, messages, streamed);

    // Assess
    expect(first.message.text).toBe('Forty-two.');
    const blocks = first.message.content as { type: string; thinking?: string; signature?: string }[];
    expect(blocks.find((b) => b.type === 'thinking')).toMatchObject({ thinking: 'Six times seven.', signature: expect.stringMatching(/^Sig/) });
    expect(rig.fakes.anthropic.requests[0]!.body).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 2048 } });
    expect(JSON.stringify(rig.fakes.anthropic.requests[1]!.body)).toContain(blocks.find((b) => b.type === 'thinking')!.signature!);
  });
});

describe('OpenAIEmbeddings', () => {
  it.each([
    { target: 'OpenAI, passed through', model: M.embedding },
    { target: 'Gemini, translated', model: M.geminiEmbedding },
  ])('embeds documents in batches and a query on $target, one vector per text in order, each batch with its usage record', async ({ model }) => {
    // Prepare
    const { id, key } = await rig.freshKey();
    const embeddings = new OpenAIEmbeddings({ model, apiKey: key, configuration: { baseURL: rig.baseURL }, batchSize: 2, maxRetries: 0 });
    const documents = ['rainy afternoon', 'snowy night', 'windy morning'];

    // Act
    const vectors = await embeddings.embedDocuments(documents);
    const query = await embeddings.embedQuery('sunny day at the beach');

    // Assess
    expect(vectors).toHaveLength(3);
    expect(new Set(vectors.map((v) => v.join(','))).size).toBe(3);
    if (model === M.embedding) expect(vectors).toEqual(documents.map((d) => embeddingVector(d, vectors[0]!.length)));
    expect(query.length).toBe(vectors[0]!.length);
    const records = await rig.usage(id, 3);
    expect(records.map((r) => r.surface)).toEqual(['openai-embeddings', 'openai-embeddings', 'openai-embeddings']);
  });
});
