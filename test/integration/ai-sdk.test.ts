/**
 * The Vercel AI SDK (`ai` 6 with `@ai-sdk/openai`, `@ai-sdk/anthropic` and
 * `@ai-sdk/openai-compatible`) as the caller, each provider against a target of its own dialect
 * (passed through) and one of another (translated): text, a tool loop, structured output, images,
 * embeddings, reasoning, usage and errors, streamed and not. The fakes' token counts are chosen,
 * so the usage the SDK reports and the gateway records can be compared with them exactly.
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { APICallError, embed, embedMany, generateObject, generateText, jsonSchema, Output, stepCountIs, streamText, tool, type LanguageModel } from 'ai';
import { streamEvents } from '../fakes/anthropic';
import { embeddingVector } from '../fakes/openai';
import { PNG_BASE64 } from './matrix/scenario';
import { hasToolResult, RIG_MODELS as M, callerRigForSuite, type Upstream } from './caller-rig';

// The SDK warns on the console about settings a model id it does not know may not take (an
// OpenAI provider on Claude, say); what those settings do is asserted here instead.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

const rig = callerRigForSuite();

/** The SDK's providers pointed at the gateway with one key, retries off so errors surface at once. */
function providers(key: string) {
  const options = { apiKey: key, baseURL: rig.baseURL };
  return {
    openai: createOpenAI(options),
    anthropic: createAnthropic(options),
    // Without `supportsStructuredOutputs` the provider sends JSON mode without the schema.
    compatible: createOpenAICompatible({ name: 'aigw', ...options, includeUsage: true, supportsStructuredOutputs: true }),
  };
}
type Providers = ReturnType<typeof providers>;

/** Each way to reach a model: the SDK provider, the gateway model, and which fake serves it. */
interface Route {
  name: string;
  model: (p: Providers) => LanguageModel;
  upstream: Upstream;
  /** The surface the usage record names. */
  surface: string;
}
const ROUTES: Route[] = [
  { name: 'openai(...) (Responses) → OpenAI, passed through', model: (p) => p.openai(M.gpt), upstream: 'openai', surface: 'openai-responses' },
  { name: 'openai(...) (Responses) → Anthropic, translated', model: (p) => p.openai(M.claude), upstream: 'anthropic', surface: 'openai-responses' },
  { name: 'openai(...) (Responses) → Gemini, translated', model: (p) => p.openai(M.gemini), upstream: 'gemini', surface: 'openai-responses' },
  { name: 'openai.chat(...) → OpenAI, passed through', model: (p) => p.openai.chat(M.gpt), upstream: 'openai', surface: 'openai' },
  { name: 'openai.chat(...) → Anthropic, translated', model: (p) => p.openai.chat(M.claude), upstream: 'anthropic', surface: 'openai' },
  { name: 'openai-compatible → Gemini, translated', model: (p) => p.compatible.chatModel(M.gemini), upstream: 'gemini', surface: 'openai' },
  { name: 'anthropic(...) → Anthropic, passed through', model: (p) => p.anthropic(M.claude), upstream: 'anthropic', surface: 'anthropic' },
  { name: 'anthropic(...) → OpenAI, translated', model: (p) => p.anthropic(M.gpt), upstream: 'openai', surface: 'anthropic' },
  { name: 'anthropic(...) → Gemini, translated', model: (p) => p.anthropic(M.gemini), upstream: 'gemini', surface: 'anthropic' },
];

/** What the fake of a route received, oldest first. */
const upstreamRequests = (upstream: Upstream) => rig.fakes[upstream].requests;

/** The JSON schema the upstream was asked to answer in, wherever its dialect puts it. */
function schemaSent(upstream: Upstream): unknown {
  // `any`: three dialects' bodies, read by optional paths; the assertion on the result checks the shape.
  const body = upstreamRequests(upstream)[0]!.body as Record<string, any>;
  // The Anthropic provider asks models it does not know (here an OpenAI one) through a `json` tool.
  if (upstream === 'openai') return body.response_format?.json_schema?.schema ?? body.text?.format?.schema ?? body.tools?.[0]?.function?.parameters;
  if (upstream === 'anthropic') return body.output_config?.format?.schema;
  // Gemini's OpenAPI-style schema spells types in capitals.
  const declared = body.tools?.[0]?.functionDeclarations?.[0];
  const schema = JSON.stringify(body.generationConfig?.responseSchema ?? body.generationConfig?.responseJsonSchema ?? declared?.parameters ?? declared?.parametersJsonSchema ?? null);
  return JSON.parse(schema.replace(/"type":"([A-Z]+)"/g, (_, t: string) => `"type":"${t.toLowerCase()}"`));
}

const weather = tool({
  description: 'The weather in a city',
  inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }),
  execute: async ({ city }) => ({ city, celsius: 4 }),
});

describe.each(ROUTES)('$name', (route) => {
  it('generates text and reports the upstream\'s token counts, which the usage record holds too', async () => {
    // Prepare
    const { id, key } = await rig.freshKey();
    rig.replyText(route.upstream, 'Hello from the fake.');

    // Act
    const result = await generateText({ model: route.model(providers(key)), system: 'Be brief.', prompt: 'Say hello', maxRetries: 0 });

    // Assess
    expect(result.text).toBe('Hello from the fake.');
    expect(result.finishReason).toBe('stop');
    expect(result.usage).toMatchObject({ inputTokens: 11, outputTokens: 7 });
    const [record] = await rig.usage(id, 1);
    expect(record).toMatchObject({ surface: route.surface, stream: false, outcome: 'ok', inputTokens: 11, outputTokens: 7 });
  });

  it('streams text and reports the upstream\'s token counts, which the usage record holds too', async () => {
    // Prepare
    const { id, key } = await rig.freshKey();
    rig.replyText(route.upstream, 'Streaming from the fake, word by word.');

    // Act
    const result = streamText({ model: route.model(providers(key)), prompt: 'Say something', maxRetries: 0 });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);

    // Assess
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('Streaming from the fake, word by word.');
    expect(await result.usage).toMatchObject({ inputTokens: 11, outputTokens: 7 });
    expect(await result.finishReason).toBe('stop');
    const [record] = await rig.usage(id, 1);
    expect(record).toMatchObject({ surface: route.surface, stream: true, outcome: 'ok', inputTokens: 11, outputTokens: 7 });
  });

  it.each([false, true])('runs a two-step tool loop (streamed: %s): the call, the tool\'s result sent back, the answer', async (streamed) => {
    // Prepare
    const { id, key } = await rig.freshKey();
    rig.replyToolLoop(route.upstream);
    const call = { model: route.model(providers(key)), prompt: 'Weather in Oslo?', tools: { weather }, stopWhen: stepCountIs(3), maxRetries: 0 };

    // Act
    const result = streamed ? streamText(call) : await generateText(call);
    const text = await result.text;
    const steps = await result.steps;

    // Assess
    expect(text).toBe('Oslo is 4°C.');
    expect(steps).toHaveLength(2);
    expect(steps[0]!.toolCalls).toEqual([expect.objectContaining({ toolName: 'weather', input: { city: 'Oslo' } })]);
    expect(await result.totalUsage).toMatchObject({ inputTokens: 50, outputTokens: 14 });
    const second = JSON.stringify(upstreamRequests(route.upstream)[1]!.body);
    expect(second).toContain('celsius');
    const records = await rig.usage(id, 2);
    expect(records.map((r) => [r.inputTokens, r.outputTokens]).sort()).toEqual([[20, 9], [30, 5]]);
  });

  it.each([false, true])('returns a structured object from a JSON schema (streamed: %s)', async (streamed) => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.replyText(route.upstream, '{"name":"Ada","age":36}');
    // What a model does when asked through a `json` tool with tool_choice required.
    if (route.upstream === 'openai') rig.fakes.openai.reply((req) => (JSON.stringify(req.body).includes('"name":"json"') ? { kind: 'tool_calls', calls: [{ name: 'json', arguments: '{"name":"Ada","age":36}' }] } : { kind: 'text', text: '{"name":"Ada","age":36}' }));
    if (route.upstream === 'gemini') rig.fakes.gemini.reply((req) => (JSON.stringify(req.body).includes('"name":"json"') ? { kind: 'function_calls', calls: [{ name: 'json', args: { name: 'Ada', age: 36 } }] } : { kind: 'text', text: '{"name":"Ada","age":36}' }));
    const schema = jsonSchema<{ name: string; age: number }>({ type: 'object', properties: { name: { type: 'string' }, age: { type: 'number' } }, required: ['name', 'age'], additionalProperties: false });
    const call = { model: route.model(providers(key)), prompt: 'Who wrote the first program?', output: Output.object({ schema }), maxRetries: 0 };

    // Act
    const output = streamed ? await streamText(call).output : (await generateText(call)).output;

    // Assess
    expect(output).toEqual({ name: 'Ada', age: 36 });
    expect(schemaSent(route.upstream)).toMatchObject({ properties: { name: { type: 'string' }, age: { type: 'number' } } });
  });

  it('sends an image the upstream receives in its own format', async () => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.replyText(route.upstream, 'A single pixel.');

    // Act
    const result = await generateText({
      model: route.model(providers(key)),
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', image: Buffer.from(PNG_BASE64, 'base64'), mediaType: 'image/png' }] }],
      maxRetries: 0,
    });

    // Assess
    expect(result.text).toBe('A single pixel.');
    expect(JSON.stringify(upstreamRequests(route.upstream)[0]!.body)).toContain(PNG_BASE64);
  });

  it('surfaces the gateway\'s 429 as an APICallError with the status and the message', async () => {
    // Prepare
    const { key } = await rig.freshKey({ limits: { requestsPerMinute: 1 } });
    const model = route.model(providers(key));
    // Both calls in one minute's window, or the second is let through.
    rig.startMinute();
    await generateText({ model, prompt: 'first', maxRetries: 0 });

    // Act
    const error = await generateText({ model, prompt: 'second', maxRetries: 0 }).catch((e: unknown) => e);

    // Assess
    expect(APICallError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 429, isRetryable: true });
    expect((error as APICallError).message).toMatch(/rate limit/i);
  });

  it('surfaces an upstream 400 as an APICallError with the status and the upstream\'s message, streamed too', async () => {
    // Prepare
    const { key } = await rig.freshKey();
    const message = 'max_tokens is too large: 999999';
    if (route.upstream === 'openai') rig.fakes.openai.reply({ kind: 'error', status: 400, body: { error: { message, type: 'invalid_request_error', param: 'max_tokens', code: null } } });
    if (route.upstream === 'anthropic') rig.fakes.anthropic.reply({ kind: 'error', status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message } } });
    if (route.upstream === 'gemini') rig.fakes.gemini.reply({ kind: 'error', status: 400, body: { error: { code: 400, message, status: 'INVALID_ARGUMENT' } } });
    const model = route.model(providers(key));

    // Act
    const whole = await generateText({ model, prompt: 'x', maxRetries: 0 }).catch((e: unknown) => e);
    const streamErrors: unknown[] = [];
    const streamed = streamText({ model, prompt: 'x', maxRetries: 0, onError: ({ error }) => void streamErrors.push(error) });
    await streamed.consumeStream();

    // Assess
    for (const error of [whole, streamErrors[0]]) {
      expect(APICallError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ statusCode: 400 });
      expect((error as APICallError).message).toContain(message);
    }
  });
});

describe('reasoning', () => {
  it.each([false, true])('passes OpenAI\'s reasoning effort through the Responses API and reports the reasoning (streamed: %s)', async (streamed) => {
    // Prepare
    const { id, key } = await rig.freshKey();
    rig.fakes.openai.reply({ kind: 'text', text: 'Forty-two.', usage: { prompt: 11, completion: 7, reasoning: 3 } });
    const call = { model: providers(key).openai(M.reasoningGpt), prompt: 'The answer?', providerOptions: { openai: { reasoningEffort: 'high', reasoningSummary: 'auto' } }, maxRetries: 0 };

    // Act
    const result = streamed ? streamText(call) : await generateText(call);

    // Assess
    expect(await result.text).toBe('Forty-two.');
    expect(await result.usage).toMatchObject({ inputTokens: 11, outputTokens: 7, outputTokenDetails: expect.objectContaining({ reasoningTokens: 3 }) });
    expect(rig.fakes.openai.requests[0]!.body).toMatchObject({ reasoning: { effort: 'high', summary: 'auto' } });
    expect(await rig.usage(id, 1)).toEqual([expect.objectContaining({ reasoningTokens: 3 })]);
  });

  it.each([false, true])('turns OpenAI\'s reasoning effort into Claude\'s thinking when translated, and returns the thinking as reasoning (streamed: %s)', async (streamed) => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.fakes.anthropic.reply({ kind: 'thinking', thinking: 'Six times seven.', text: 'Forty-two.', usage: { input: 11, output: 7 } });
    // The SDK drops reasoning options for model ids it does not know as OpenAI reasoning models
    // unless told otherwise: `forceReasoning` is what a user of the gateway sets for Claude or Gemini.
    const call = { model: providers(key).openai(M.claude), prompt: 'The answer?', providerOptions: { openai: { reasoningEffort: 'high', reasoningSummary: 'auto', forceReasoning: true } }, maxRetries: 0 };

    // Act
    const result = streamed ? streamText(call) : await generateText(call);

    // Assess
    expect(await result.text).toBe('Forty-two.');
    expect(await result.reasoningText).toBe('Six times seven.');
    expect(rig.fakes.anthropic.requests[0]!.body).toMatchObject({ thinking: { type: 'enabled' } });
  });

  it.each([
    { target: 'Anthropic, passed through', model: M.claude },
    { target: 'OpenAI, translated', model: M.reasoningGpt },
  ])('sends Anthropic thinking from providerOptions to $target, and returns it as reasoning, streamed and not', async ({ model }) => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.fakes.anthropic.reply({ kind: 'thinking', thinking: 'Six times seven.', text: 'Forty-two.', usage: { input: 11, output: 7 } });
    rig.fakes.openai.reply({ kind: 'text', text: 'Forty-two.', usage: { prompt: 11, completion: 7, reasoning: 3 } });
    const call = { model: providers(key).anthropic(model), prompt: 'The answer?', maxOutputTokens: 4000, providerOptions: { anthropic: { thinking: { type: 'enabled', budgetTokens: 2048 } } }, maxRetries: 0 };

    // Act
    const whole = await generateText(call);
    const streamed = streamText(call);

    // Assess
    expect([whole.text, await streamed.text]).toEqual(['Forty-two.', 'Forty-two.']);
    if (model === M.claude) {
      expect([whole.reasoningText, await streamed.reasoningText]).toEqual(['Six times seven.', 'Six times seven.']);
      expect(rig.fakes.anthropic.requests[0]!.body).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 2048 } });
    } else {
      expect(rig.fakes.openai.requests[0]!.body).toMatchObject({ reasoning_effort: expect.any(String) });
    }
  });
});

describe('thinking through a tool loop', () => {
  /** Claude thinks, then calls `weather`; with the result back (and its signed thinking), it answers. */
  function replyThinkingToolLoop(): void {
    rig.fakes.anthropic.reply((req) =>
      hasToolResult(req.body)
        ? { kind: 'text', text: 'Oslo is 4°C.', usage: { input: 30, output: 5 } }
        : { kind: 'tool_use', thinking: { thinking: 'I should look it up.' }, calls: [{ name: 'weather', input: { city: 'Oslo' } }], usage: { input: 20, output: 9 } },
    );
  }

  type ProviderOptions = NonNullable<Parameters<typeof generateText>[0]['providerOptions']>;
  it.each<{ provider: string; model: (p: Providers) => LanguageModel; options: ProviderOptions }>([
    { provider: 'anthropic(...) → Anthropic, passed through', model: (p) => p.anthropic(M.claude), options: { anthropic: { thinking: { type: 'enabled', budgetTokens: 2048 } } } },
    // `low`: 1,024 tokens of thinking, within the 4,000 asked for (high's 16,384 would be refused).
    { provider: 'openai(...) (Responses) → Anthropic, translated', model: (p) => p.openai(M.claude), options: { openai: { reasoningEffort: 'low', forceReasoning: true, store: false } } },
  ])('sends Claude its signed thinking back with the tool result via $provider, streamed and not', async ({ model, options }) => {
    for (const streamed of [false, true]) {
      // Prepare
      rig.reset();
      const { key } = await rig.freshKey();
      replyThinkingToolLoop();
      const call = { model: model(providers(key)), prompt: 'Weather in Oslo?', tools: { weather }, stopWhen: stepCountIs(3), maxOutputTokens: 4000, providerOptions: options, maxRetries: 0 };

      // Act
      const result = streamed ? streamText(call) : await generateText(call);
      const text = await result.text;

      // Assess
      expect(text).toBe('Oslo is 4°C.');
      expect((await result.steps)[0]!.reasoningText).toBe('I should look it up.');
      const first = rig.fakes.anthropic.requests[0]!.body as { thinking?: unknown };
      expect(first.thinking).toMatchObject({ type: 'enabled' });
      // The fake refuses a thinking block whose signature is not Claude's, as Anthropic does.
      const second = rig.fakes.anthropic.requests[1]!.body as { messages: { role: string; content: { type: string }[] }[] };
      expect(second.messages[1]!.content.map((b) => b.type)).toEqual(['thinking', 'tool_use']);
    }
  });
  it('answers the Responses provider\'s default store: true, which refers to its reasoning by item_reference, with a 400 that says to set store: false', async () => {
    // Prepare
    const { key } = await rig.freshKey();
    replyThinkingToolLoop();

    // Act
    const error = await generateText({
      model: providers(key).openai(M.claude),
      prompt: 'Weather in Oslo?',
      tools: { weather },
      stopWhen: stepCountIs(3),
      providerOptions: { openai: { reasoningEffort: 'low', forceReasoning: true } },
      maxRetries: 0,
    }).catch((e: unknown) => e);

    // Assess
    expect(APICallError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 400 });
    expect((error as APICallError).message).toContain('item_reference; the gateway keeps no responses: send the items themselves, as clients do with store: false');
    expect(rig.fakes.anthropic.requests).toHaveLength(1);
  });
});

describe('a call the token limit cut', () => {
  it('reaches the SDK through the Responses provider without an error: the call before it whole, the cut one refused as invalid, the finish the length', async () => {
    // Prepare: Claude finishes one call, then max_tokens stops the second in the middle of its JSON.
    const { key } = await rig.freshKey();
    const whole = { type: 'tool_use' as const, id: 'toolu_a', name: 'weather', input: { city: 'Oslo' }, chunks: ['{"city":', '"Oslo"}'] };
    const cut = { type: 'tool_use' as const, id: 'toolu_b', name: 'weather', input: {}, chunks: ['{"city":', '"Ber'] };
    rig.fakes.anthropic.reply({ kind: 'raw', status: 200, headers: { 'content-type': 'text/event-stream' }, body: streamEvents(M.claude, [whole, cut], 'max_tokens', { input: 10, output: 20 }) });

    // Act
    const result = streamText({ model: providers(key).openai(M.claude), prompt: 'Weather in Oslo and Bergen?', tools: { weather }, providerOptions: { openai: { store: false } }, maxRetries: 0 });
    const parts: { type: string; toolCallId?: string; input?: unknown; invalid?: boolean }[] = [];
    for await (const part of result.fullStream) parts.push(part);

    // Assess
    expect(parts.filter((p) => p.type === 'error')).toEqual([]);
    expect(await result.finishReason).toBe('length');
    // The SDK reads no status on a function call's done: the cut call's arguments, which do not parse, keep it from running.
    expect(parts.filter((p) => p.type === 'tool-call')).toMatchObject([
      { toolCallId: 'toolu_a', input: { city: 'Oslo' } },
      { toolCallId: 'toolu_b', input: '{"city":"Ber', invalid: true },
    ]);
    expect(parts.filter((p) => p.type === 'tool-error').map((p) => p.toolCallId)).toEqual(['toolu_b']);
  });
});

describe('Gemini 3 thought signatures through a tool loop', () => {
  // Only the Responses API has a field a client sends back for it (a reasoning item's
  // encrypted_content); through Chat Completions and Messages the call goes back with Google's
  // documented stand-in, which Gemini 3 takes.
  it.each<{ provider: string; model: (p: Providers) => LanguageModel; signature: string }>([
    { provider: 'openai(...) (Responses, store: false), its own signature', model: (p) => p.openai(M.gemini3), signature: 'R2VtaW5pU2lnMQ==' },
    { provider: 'openai.chat(...), the stand-in', model: (p) => p.openai.chat(M.gemini3), signature: 'skip_thought_signature_validator' },
    { provider: 'anthropic(...), the stand-in', model: (p) => p.anthropic(M.gemini3), signature: 'skip_thought_signature_validator' },
  ])('gives Gemini 3 a signed call with the result via $provider, streamed and not', async ({ model, signature }) => {
    for (const streamed of [false, true]) {
      // Prepare
      rig.reset();
      const { key } = await rig.freshKey();
      rig.fakes.gemini.reply((req) =>
        hasToolResult(req.body)
          ? { kind: 'text', text: 'Oslo is 4°C.' }
          : { kind: 'function_calls', thoughts: 'Look it up.', calls: [{ name: 'weather', args: { city: 'Oslo' }, thoughtSignature: 'R2VtaW5pU2lnMQ==' }] },
      );
      const call = { model: model(providers(key)), prompt: 'Weather in Oslo?', tools: { weather }, stopWhen: stepCountIs(3), providerOptions: { openai: { store: false } }, maxRetries: 0 };

      // Act
      const result = streamed ? streamText(call) : await generateText(call);

      // Assess: the fake, as Gemini 3 does, refuses a call in history that lost its signature.
      expect(await result.text).toBe('Oslo is 4°C.');
      const history = (rig.fakes.gemini.requests[1]!.body as { contents: { role: string; parts: Record<string, unknown>[] }[] }).contents;
      const callPart = history.flatMap((c) => c.parts).find((p) => p.functionCall !== undefined);
      expect(callPart).toMatchObject({ functionCall: { name: 'weather' }, thoughtSignature: signature });
    }
  });
});

describe('Anthropic provider specifics', () => {
  it('keeps cache_control on the system prompt and the SDK\'s beta header on the way to Anthropic, and reports cache reads', async () => {
    // Prepare
    const { id, key } = await rig.freshKey();
    rig.fakes.anthropic.reply({ kind: 'text', text: 'Cached.', usage: { input: 5, output: 2, cacheRead: 100 } });

    // Act
    const result = await generateText({
      model: providers(key).anthropic(M.claude),
      messages: [
        { role: 'system', content: 'A long shared preamble.', providerOptions: { anthropic: { cacheControl: { type: 'ephemeral' } } } },
        { role: 'user', content: 'Hi' },
      ],
      // A system message is where the SDK takes per-message provider options such as cacheControl.
      allowSystemInMessages: true,
      headers: { 'anthropic-beta': 'fine-grained-tool-streaming-2025-05-14' },
      maxRetries: 0,
    });

    // Assess
    expect(result.text).toBe('Cached.');
    expect(result.usage).toMatchObject({ inputTokens: 105, outputTokens: 2, inputTokenDetails: expect.objectContaining({ cacheReadTokens: 100 }) });
    const sent = rig.fakes.anthropic.requests[0]!;
    expect(sent.body).toMatchObject({ system: [{ type: 'text', text: 'A long shared preamble.', cache_control: { type: 'ephemeral' } }] });
    expect(sent.headers['anthropic-beta']).toContain('fine-grained-tool-streaming-2025-05-14');
    // The record counts cache reads in the input, as Chat Completions' prompt_tokens does, and apart.
    expect(await rig.usage(id, 1)).toEqual([expect.objectContaining({ inputTokens: 105, cacheReadTokens: 100 })]);
  });
});

describe('embeddings', () => {
  it.each([
    { target: 'OpenAI, passed through', model: M.embedding },
    { target: 'Gemini, translated', model: M.geminiEmbedding },
  ])('embed and embedMany on $target give one vector per value and the token count, and leave usage records', async ({ model }) => {
    // Prepare
    const { id, key } = await rig.freshKey();
    const embedding = providers(key).openai.embedding(model);

    // Act
    const one = await embed({ model: embedding, value: 'sunny day at the beach', maxRetries: 0 });
    const many = await embedMany({ model: embedding, values: ['rainy afternoon', 'snowy night', 'windy morning'], maxRetries: 0 });

    // Assess
    expect(one.embedding.length).toBeGreaterThan(0);
    expect(many.embeddings).toHaveLength(3);
    expect(new Set(many.embeddings.map((e) => e.join(','))).size).toBe(3);
    if (model === M.embedding) expect(one.embedding).toEqual(embeddingVector('sunny day at the beach', one.embedding.length));
    expect(one.usage.tokens).toBeGreaterThan(0);
    const records = await rig.usage(id, 2);
    expect(records.map((r) => r.surface)).toEqual(['openai-embeddings', 'openai-embeddings']);
    expect(records.map((r) => r.inputTokens).sort()).toEqual([one.usage.tokens, many.usage.tokens].sort());
  });
});

describe('generateObject', () => {
  it.each([
    { target: 'OpenAI, passed through', model: M.gpt, upstream: 'openai' as const },
    { target: 'Anthropic, translated', model: M.claude, upstream: 'anthropic' as const },
  ])('returns the object on $target', async ({ model, upstream }) => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.replyText(upstream, '{"city":"Oslo","celsius":4}');

    // Act
    const { object } = await generateObject({
      model: providers(key).openai(model),
      schema: jsonSchema<{ city: string; celsius: number }>({ type: 'object', properties: { city: { type: 'string' }, celsius: { type: 'number' } }, required: ['city', 'celsius'], additionalProperties: false }),
      prompt: 'Weather as JSON',
      maxRetries: 0,
    });

    // Assess
    expect(object).toEqual({ city: 'Oslo', celsius: 4 });
  });
});
