/**
 * What a target cannot do is refused before anything is sent: a 400 in the client's own error
 * shape that names the field and the provider type, never a silent drop. What the target CAN do
 * (a same-dialect passthrough) is not refused. And a model's own refusal, from an OpenAI target
 * (`refusal`, finish `stop`), reaches a translated client as every other provider's refusal does.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startStack, TRANSLATED, type Stack } from './claude-code/stack';

let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => s.close());
beforeEach(() => s.resetFakes());

const CLAUDE_CODE_MODEL = 'claude-sonnet-4-20250514';
const USER: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Say hi' }];
const WEB_SEARCH = { type: 'web_search_20250305', name: 'web_search', max_uses: 5 };
const READ_TOOL = { type: 'function' as const, function: { name: 'Read', parameters: { type: 'object', properties: { path: { type: 'string' } } } } };

/** The rejection a call ends in (the test fails if it does not reject). */
async function rejection(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => {
      throw new Error('expected the gateway to refuse the request');
    },
    (err: unknown) => err,
  );
}

interface OpenAIRefusal {
  name: string;
  model: string;
  extra: Record<string, unknown>;
  messages?: OpenAI.ChatCompletionMessageParam[];
  /** The field the refusal must name (`param`), exactly or as a pattern. */
  param: string | RegExp;
  provider: 'anthropic' | 'gemini' | 'bedrock' | 'openai';
}

const OPENAI_REFUSALS: OpenAIRefusal[] = [
  { name: 'n: 2 for an Anthropic target', model: TRANSLATED.anthropic.name, extra: { n: 2 }, param: 'n', provider: 'anthropic' },
  { name: 'logprobs for a Gemini target', model: TRANSLATED.gemini.name, extra: { logprobs: true }, param: 'logprobs', provider: 'gemini' },
  { name: 'response_format json_object for an Anthropic target', model: TRANSLATED.anthropic.name, extra: { response_format: { type: 'json_object' } }, param: 'response_format', provider: 'anthropic' },
  { name: 'seed for an Anthropic target', model: TRANSLATED.anthropic.name, extra: { seed: 7 }, param: 'seed', provider: 'anthropic' },
  // parallel_tool_calls: false is taken by every target: Gemini's and Bedrock's answers are held to their
  // first call where the model has no switch for it (bedrock-parallel-tool-calls.test.ts).
  {
    name: 'an http image URL for a Bedrock target',
    model: TRANSLATED.bedrock.name,
    extra: {},
    messages: [{ role: 'user', content: [{ type: 'text', text: 'What is in this picture?' }, { type: 'image_url', image_url: { url: 'http://images.example.com/cat.png' } }] }],
    param: /^messages\[0\]\.content\[1\]/,
    provider: 'bedrock',
  },
];

describe('OpenAI clients', () => {
  it.each(OPENAI_REFUSALS)('are refused $name with a 400 naming the field and the provider type', async ({ model, extra, messages, param, provider }) => {
    // Act
    const err = await rejection(s.openaiClient().chat.completions.create({ model, messages: messages ?? USER, ...extra } as OpenAI.ChatCompletionCreateParamsNonStreaming));

    // Assess
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const e = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(e.status).toBe(400);
    expect(e.type).toBe('invalid_request_error');
    expect(e.param).toEqual(typeof param === 'string' ? param : expect.stringMatching(param));
    expect(s.upstreamRequestCount()).toBe(0);
    expect((e.error as { message: string }).message).toContain(`provider type ${provider}`);
  });

  it('are refused the same way when streaming, before any event is sent', async () => {
    const err = await rejection(s.openaiClient().chat.completions.create({ model: TRANSLATED.anthropic.name, messages: USER, n: 3, stream: true }));

    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, param: 'n' });
    expect(s.upstreamRequestCount()).toBe(0);
  });

  it('are not refused n: 2 or logprobs by an OpenAI target, which receives them', async () => {
    s.openai.reply({ kind: 'text', text: 'hi', usage: { prompt: 3, completion: 1 } });

    const completion = await s.openaiClient().chat.completions.create({ model: TRANSLATED.openai.name, messages: USER, n: 2, logprobs: true });

    expect(completion.choices.length).toBeGreaterThan(0);
    expect(s.openai.requests[0]!.body).toMatchObject({ model: TRANSLATED.openai.upstream, n: 2, logprobs: true });
  });
});

interface AnthropicRefusal {
  name: string;
  model: string;
  body: Record<string, unknown>;
  /** What the message must name: the field (Anthropic's error body has no `param`) and the provider type. */
  field: RegExp;
  provider: 'openai' | 'gemini' | 'bedrock';
}

const ANTHROPIC_REFUSALS: AnthropicRefusal[] = [
  { name: 'the web_search server tool for an OpenAI target', model: TRANSLATED.openai.name, body: { tools: [WEB_SEARCH] }, field: /tools\[0\]|tools\.0/, provider: 'openai' },
  { name: 'the web_search server tool for a Gemini target', model: TRANSLATED.gemini.name, body: { tools: [WEB_SEARCH] }, field: /tools\[0\]|tools\.0/, provider: 'gemini' },
  {
    name: 'an image from the Files API for an OpenAI target',
    model: TRANSLATED.openai.name,
    body: { messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'file_011CNha8iCJcU1wXNR6q4V8w' } }, { type: 'text', text: 'Describe it.' }] }] },
    field: /messages\[0\]\.content\[0\]|messages\.0\.content\.0/,
    provider: 'openai',
  },
  { name: 'top_k for an OpenAI target', model: TRANSLATED.openai.name, body: { top_k: 5 }, field: /top_k/, provider: 'openai' },
  {
    name: 'MCP servers for an OpenAI target',
    model: TRANSLATED.openai.name,
    body: { mcp_servers: [{ type: 'url', url: 'https://mcp.example.com/sse', name: 'example' }] },
    field: /mcp_servers/,
    provider: 'openai',
  },
];

describe('Anthropic clients', () => {
  it.each(ANTHROPIC_REFUSALS)('are refused $name with a 400 naming the field and the provider type', async ({ model, body, field, provider }) => {
    // Act
    const err = await rejection(s.anthropicClient().messages.create({ model, max_tokens: 1024, messages: [{ role: 'user', content: 'Search the web for the weather in Graz.' }], ...body } as Anthropic.MessageCreateParamsNonStreaming));

    // Assess
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    const e = err as InstanceType<typeof Anthropic.BadRequestError>;
    expect(e.status).toBe(400);
    expect(e.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(s.upstreamRequestCount()).toBe(0);
    const message = (e.error as { error: { message: string } }).error.message;
    expect(message).toContain(`provider type ${provider}`);
    expect(message).toMatch(field);
  });

  it('are not refused a server tool by an Anthropic target, which receives it untouched', async () => {
    s.anthropic.reply({ kind: 'text', text: 'It is sunny.', usage: { input: 20, output: 4 } });

    const message = await s.anthropicClient().messages.create({ model: CLAUDE_CODE_MODEL, max_tokens: 1024, messages: [{ role: 'user', content: 'Weather in Graz?' }], tools: [WEB_SEARCH] } as Anthropic.MessageCreateParamsNonStreaming);

    expect(message.content).toEqual([{ type: 'text', text: 'It is sunny.' }]);
    expect(s.anthropic.requests[0]!.body).toMatchObject({ tools: [WEB_SEARCH] });
  });
});

describe('a refusal from an OpenAI target, translated for an Anthropic client', () => {
  const REFUSAL = "I'm sorry, I can't help with that.";
  const USAGE = { prompt_tokens: 12, completion_tokens: 9, total_tokens: 21 };
  const frame = { id: 'chatcmpl-refused', created: 1_700_000_000, model: TRANSLATED.openai.upstream };
  const chunk = (delta: Record<string, unknown>, finish: string | null) => `data: ${JSON.stringify({ ...frame, object: 'chat.completion.chunk', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
  /** OpenAI's refusal to a structured-outputs call, as it sends it: the words in `refusal`, finish `stop`. */
  const replies = {
    whole: () =>
      s.openai.reply({
        kind: 'raw',
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...frame, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: REFUSAL, annotations: [] }, logprobs: null, finish_reason: 'stop' }], usage: USAGE }),
      }),
    streamed: () =>
      s.openai.reply({
        kind: 'raw',
        status: 200,
        headers: { 'content-type': 'text/event-stream' },
        body: [
          chunk({ role: 'assistant', content: null, refusal: '' }, null),
          chunk({ refusal: "I'm sorry, " }, null),
          chunk({ refusal: "I can't help with that." }, null),
          chunk({}, 'stop'),
          `data: ${JSON.stringify({ ...frame, object: 'chat.completion.chunk', choices: [], usage: USAGE })}\n\n`,
          'data: [DONE]\n\n',
        ],
      }),
  };
  const params = { model: TRANSLATED.openai.name, max_tokens: 1024, messages: [{ role: 'user' as const, content: 'Say something you must not.' }] };

  it.each([
    { name: 'not streamed', reply: replies.whole, call: () => s.anthropicClient().messages.create(params) },
    { name: 'streamed', reply: replies.streamed, call: () => s.anthropicClient().messages.stream(params).finalMessage() },
  ])('ends with stop_reason refusal and the words as text, $name', async ({ reply, call }) => {
    // Prepare
    reply();

    // Act
    const message = await call();

    // Assess
    expect(message.stop_reason).toBe('refusal');
    expect(message.content).toEqual([expect.objectContaining({ type: 'text', text: REFUSAL })]);
    expect(s.openai.requests).toHaveLength(1);
  });
});
