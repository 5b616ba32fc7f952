/**
 * The OpenAI Agents SDK (`@openai/agents` 0.20) as the caller: its OpenAI client pointed at the
 * gateway, on the Responses API (`OpenAIResponsesModel`, its default) and on Chat Completions
 * (`OpenAIChatCompletionsModel`), each against OpenAI (passed through) and Claude on Anthropic,
 * Gemini and Claude on Bedrock (translated). Through `run()`, streamed and not: a plain answer, a
 * loop with a strict function tool, structured output, a handoff, model settings, the usage the SDK
 * adds up, and errors. The fakes' token counts are chosen, so the usage the SDK reports and the
 * gateway records can be compared with them exactly.
 */
import { Agent, run, tool, setTracingDisabled, OpenAIChatCompletionsModel, OpenAIResponsesModel, type Model, type RunResult, type StreamedRunResult } from '@openai/agents';
import OpenAI from 'openai';
import { z } from 'zod';
import { hasToolResult, RIG_MODELS as M, callerRigForSuite, type Upstream } from './caller-rig';

// Traces would be exported to api.openai.com: nothing here leaves loopback.
setTracingDisabled(true);

const rig = callerRigForSuite();

type Api = 'responses' | 'chat';

/** Each way to reach a model: the SDK's model class, the gateway model, and which fake serves it. */
interface Route {
  name: string;
  api: Api;
  model: string;
  upstream: Upstream;
}

const TARGETS: { model: string; upstream: Upstream; how: string }[] = [
  { model: M.gpt, upstream: 'openai', how: 'OpenAI, passed through' },
  { model: M.claude, upstream: 'anthropic', how: 'Anthropic, translated' },
  { model: M.gemini, upstream: 'gemini', how: 'Gemini, translated' },
  { model: M.bedrockClaude, upstream: 'bedrock', how: 'Bedrock Claude, translated' },
];
const ROUTES: Route[] = (['responses', 'chat'] as const).flatMap((api) =>
  TARGETS.map((t) => ({ name: `${api === 'responses' ? 'OpenAIResponsesModel' : 'OpenAIChatCompletionsModel'} → ${t.how}`, api, model: t.model, upstream: t.upstream })),
);

/** The SDK's model for a route, its client on the gateway with the key; the client's retries off so errors surface at once. */
function modelFor(route: Route, key: string): Model {
  const client = new OpenAI({ apiKey: key, baseURL: rig.baseURL, maxRetries: 0 });
  return route.api === 'responses' ? new OpenAIResponsesModel(client, route.model) : new OpenAIChatCompletionsModel(client, route.model);
}

/** The surface the usage record names for a route. */
const surfaceOf = (route: Route) => (route.api === 'responses' ? 'openai-responses' : 'openai');

/** One run, streamed (every event read, then `completed` awaited) or not. */
async function runAgent(agent: Agent<any, any>, input: string, streamed: boolean): Promise<{ result: RunResult<any, any> | StreamedRunResult<any, any>; events: number }> {
  // `any`: the agents here differ in their output types; each test asserts the output it expects.
  if (!streamed) return { result: await run(agent, input), events: 0 };
  const result = await run(agent, input, { stream: true });
  let events = 0;
  for await (const _event of result) events++;
  await result.completed;
  if (result.error) throw result.error;
  return { result, events };
}

/** The fake `upstream` asks for one call of `name` with `args` (20 in, 9 out), then, once the request holds the result, answers `text` (30 in, 5 out). */
function replyCallThenText(upstream: Upstream, name: string, args: Record<string, unknown>, text: string): void {
  const f = rig.fakes;
  if (upstream === 'openai') f.openai.reply((req) => (hasToolResult(req.body) ? { kind: 'text', text, usage: { prompt: 30, completion: 5 } } : { kind: 'tool_calls', calls: [{ name, arguments: JSON.stringify(args) }], usage: { prompt: 20, completion: 9 } }));
  if (upstream === 'anthropic') f.anthropic.reply((req) => (hasToolResult(req.body) ? { kind: 'text', text, usage: { input: 30, output: 5 } } : { kind: 'tool_use', calls: [{ name, input: args }], usage: { input: 20, output: 9 } }));
  if (upstream === 'gemini') f.gemini.reply((req) => (hasToolResult(req.body) ? { kind: 'text', text, usage: { prompt: 30, candidates: 5 } } : { kind: 'function_calls', calls: [{ name, args }], usage: { prompt: 20, candidates: 9 } }));
  if (upstream === 'bedrock') f.bedrock.reply((req) => (hasToolResult(req.body) ? { kind: 'text', text, usage: { input: 30, output: 5 } } : { kind: 'tool_use', calls: [{ name, input: args }], usage: { input: 20, output: 9 } }));
}

/** The fake `upstream` answers with a 400 carrying `message`, in its own dialect. */
function replyBadRequest(upstream: Upstream, message: string): void {
  const f = rig.fakes;
  if (upstream === 'openai') f.openai.reply({ kind: 'error', status: 400, body: { error: { message, type: 'invalid_request_error', param: null, code: null } } });
  if (upstream === 'anthropic') f.anthropic.reply({ kind: 'error', status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message } } });
  if (upstream === 'gemini') f.gemini.reply({ kind: 'error', status: 400, body: { error: { code: 400, message, status: 'INVALID_ARGUMENT' } } });
  if (upstream === 'bedrock') f.bedrock.reply({ kind: 'error', type: 'ValidationException', status: 400, message });
}

const weather = tool({
  name: 'weather',
  description: 'The weather in a city',
  parameters: z.object({ city: z.string() }),
  strict: true,
  execute: async ({ city }) => JSON.stringify({ city, celsius: 4 }),
});

describe.each(ROUTES)('$name', (route) => {
  it.each([false, true])('answers text, the SDK\'s usage the upstream\'s counts, which the usage record holds too (streamed: %s)', async (streamed) => {
    // Prepare
    const { id, key } = await rig.freshKey();
    rig.replyText(route.upstream, 'Hello from the fake, word by word.');
    const agent = new Agent({ name: 'Greeter', instructions: 'Be brief.', model: modelFor(route, key) });

    // Act
    const { result, events } = await runAgent(agent, 'Say hello', streamed);

    // Assess
    expect(result.finalOutput).toBe('Hello from the fake, word by word.');
    if (streamed) expect(events).toBeGreaterThan(2);
    expect(result.state.usage).toMatchObject({ requests: 1, inputTokens: 11, outputTokens: 7, totalTokens: 18 });
    const [record] = await rig.usage(id, 1);
    expect(record).toMatchObject({ surface: surfaceOf(route), stream: streamed, outcome: 'ok', inputTokens: 11, outputTokens: 7 });
  });

  it.each([false, true])('reports the cached input tokens among the input, as OpenAI counts them (streamed: %s)', async (streamed) => {
    // Prepare
    const { id, key } = await rig.freshKey();
    const f = rig.fakes;
    // 100 input tokens, 60 of them read from the cache: Anthropic's and Bedrock's input counts leave the cached out.
    if (route.upstream === 'openai') f.openai.reply({ kind: 'text', text: 'Cached.', usage: { prompt: 100, completion: 7, cached: 60 } });
    if (route.upstream === 'anthropic') f.anthropic.reply({ kind: 'text', text: 'Cached.', usage: { input: 40, output: 7, cacheRead: 60 } });
    if (route.upstream === 'gemini') f.gemini.reply({ kind: 'text', text: 'Cached.', usage: { prompt: 100, candidates: 7, cached: 60 } });
    if (route.upstream === 'bedrock') f.bedrock.reply({ kind: 'text', text: 'Cached.', usage: { input: 40, output: 7, cacheRead: 60 } });
    const agent = new Agent({ name: 'Greeter', instructions: 'Be brief.', model: modelFor(route, key) });

    // Act
    const { result } = await runAgent(agent, 'Say hello', streamed);

    // Assess
    expect(result.state.usage).toMatchObject({ inputTokens: 100, outputTokens: 7, inputTokensDetails: [expect.objectContaining({ cached_tokens: 60 })] });
    expect(await rig.usage(id, 1)).toEqual([expect.objectContaining({ inputTokens: 100, outputTokens: 7 })]);
  });

  it.each([false, true])('runs a loop with a strict function tool: the call, its output sent back, the answer; usage adds up both calls (streamed: %s)', async (streamed) => {
    // Prepare
    const { id, key } = await rig.freshKey();
    replyCallThenText(route.upstream, 'weather', { city: 'Oslo' }, 'Oslo is 4°C.');
    const agent = new Agent({ name: 'Forecaster', instructions: 'Use the tool.', model: modelFor(route, key), tools: [weather], modelSettings: { parallelToolCalls: false, toolChoice: 'auto' } });

    // Act
    const { result } = await runAgent(agent, 'Weather in Oslo?', streamed);

    // Assess
    expect(result.finalOutput).toBe('Oslo is 4°C.');
    const requests = rig.fakes[route.upstream].requests;
    expect(requests).toHaveLength(2);
    expect(JSON.stringify(requests[1]!.body)).toContain('celsius');
    expect(result.state.usage).toMatchObject({ requests: 2, inputTokens: 50, outputTokens: 14 });
    const records = await rig.usage(id, 2);
    expect(records.map((r) => [r.inputTokens, r.outputTokens]).sort()).toEqual([[20, 9], [30, 5]]);
  });

  it.each([false, true])('returns the outputType\'s object, the schema sent to the upstream (streamed: %s)', async (streamed) => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.replyText(route.upstream, '{"name":"Ada","age":36}');
    const agent = new Agent({ name: 'Extractor', instructions: 'Extract the person.', model: modelFor(route, key), outputType: z.object({ name: z.string(), age: z.number() }) });

    // Act
    const { result } = await runAgent(agent, 'Who wrote the first program, at what age?', streamed);

    // Assess
    expect(result.finalOutput).toEqual({ name: 'Ada', age: 36 });
    // Bedrock's Converse takes the schema as a JSON string; Gemini's OpenAPI types are in capitals.
    const sent = JSON.stringify(rig.fakes[route.upstream].requests[0]!.body).replace(/\\"/g, '"').toLowerCase();
    expect(sent).toContain('"age":{"type":"number"');
  });

  it.each([false, true])('hands off to a second agent through its transfer_to_ tool, which then answers (streamed: %s)', async (streamed) => {
    // Prepare
    const { key } = await rig.freshKey();
    const model = modelFor(route, key);
    // The SDK names the handoff's tool `transfer_to_` and the agent's name.
    const expert = new Agent({ name: 'WeatherExpert', handoffDescription: 'Answers weather questions', instructions: 'Answer the weather.', model });
    const triage = new Agent({ name: 'Triage', instructions: 'Hand weather questions off.', model, handoffs: [expert] });
    replyCallThenText(route.upstream, 'transfer_to_WeatherExpert', {}, 'Oslo is 4°C, says the expert.');

    // Act
    const { result } = await runAgent(triage, 'Weather in Oslo?', streamed);

    // Assess
    expect(result.finalOutput).toBe('Oslo is 4°C, says the expert.');
    expect(result.lastAgent?.name).toBe('WeatherExpert');
    expect(JSON.stringify(rig.fakes[route.upstream].requests[0]!.body)).toContain('transfer_to_WeatherExpert');
  });

  it.each([false, true])('surfaces an upstream 400 as the client\'s BadRequestError with the upstream\'s message, not a hang (streamed: %s)', async (streamed) => {
    // Prepare
    const { key } = await rig.freshKey();
    const message = 'The prompt is malformed in a way only the upstream knows';
    replyBadRequest(route.upstream, message);
    const agent = new Agent({ name: 'Greeter', model: modelFor(route, key) });

    // Act
    const error = await runAgent(agent, 'x', streamed).catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ status: 400 });
    expect((error as Error).constructor.name).toBe('BadRequestError');
    expect((error as Error).message).toContain(message);
  });
});

/** Where each dialect carries temperature and the answer's token bound. */
const SAMPLING_SENT: Record<Upstream, (api: Api) => Record<string, unknown>> = {
  openai: (api) => (api === 'responses' ? { temperature: 0.3, max_output_tokens: 200 } : { temperature: 0.3, max_tokens: 200 }),
  anthropic: () => ({ temperature: 0.3, max_tokens: 200 }),
  gemini: () => ({ generationConfig: { temperature: 0.3, maxOutputTokens: 200 } }),
  bedrock: () => ({ inferenceConfig: { temperature: 0.3, maxTokens: 200 } }),
};

/** Where each dialect carries a reasoning effort of `high`. */
const REASONING_SENT: Record<Upstream, (api: Api) => Record<string, unknown>> = {
  openai: (api) => (api === 'responses' ? { reasoning: { effort: 'high' } } : { reasoning_effort: 'high' }),
  anthropic: () => ({ thinking: expect.objectContaining({ type: expect.any(String) }) }),
  gemini: () => ({ generationConfig: expect.objectContaining({ thinkingConfig: expect.any(Object) }) }),
  bedrock: () => ({ additionalModelRequestFields: expect.objectContaining({ thinking: expect.any(Object) }) }),
};

describe.each(ROUTES)('$name: model settings', (route) => {
  // Not streamed only: the request's fields are the same either way.
  it('sends temperature and maxTokens in the upstream\'s own fields, and providerData\'s user to the usage record', async () => {
    const streamed = false;
    // Prepare
    const { id, key } = await rig.freshKey();
    rig.replyText(route.upstream, 'Fine.');
    const agent = new Agent({ name: 'Tuned', model: modelFor(route, key), modelSettings: { temperature: 0.3, maxTokens: 200, providerData: { user: 'end-user-7' } } });

    // Act
    const { result } = await runAgent(agent, 'How are you?', streamed);

    // Assess
    expect(result.finalOutput).toBe('Fine.');
    expect(rig.fakes[route.upstream].requests[0]!.body).toMatchObject(SAMPLING_SENT[route.upstream](route.api));
    expect(await rig.usage(id, 1)).toEqual([expect.objectContaining({ endUser: 'end-user-7' })]);
  });

  it.each([false, true])('turns reasoning effort into the upstream\'s own reasoning switch (streamed: %s)', async (streamed) => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.replyText(route.upstream, 'Forty-two.');
    const model = route.upstream === 'openai' ? { ...route, model: M.reasoningGpt } : route;
    const agent = new Agent({ name: 'Thinker', model: modelFor(model, key), modelSettings: { reasoning: { effort: 'high' } } });

    // Act
    const { result } = await runAgent(agent, 'The answer?', streamed);

    // Assess
    expect(result.finalOutput).toBe('Forty-two.');
    expect(rig.fakes[route.upstream].requests[0]!.body).toMatchObject(REASONING_SENT[route.upstream](route.api));
  });
});

/** One run with the SDK's run options (`previousResponseId`, `conversationId`), streamed or not, to its end. */
async function runWith(agent: Agent, input: string, options: { previousResponseId?: string; conversationId?: string }, streamed: boolean): Promise<RunResult<any, any> | StreamedRunResult<any, any>> {
  // `any`: as in runAgent.
  if (!streamed) return run(agent, input, options);
  const result = await run(agent, input, { ...options, stream: true });
  for await (const _event of result);
  await result.completed;
  if (result.error) throw result.error;
  return result;
}

describe('state kept by OpenAI, passed through', () => {
  const route = ROUTES.find((r) => r.api === 'responses' && r.upstream === 'openai')!;

  it.each([false, true])('continues from previousResponseId, the chain found upstream (streamed: %s)', async (streamed) => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.replyText('openai', 'Noted: Ada.');
    const agent = new Agent({ name: 'Memory', model: modelFor(route, key), modelSettings: { store: true } });
    const first = await runWith(agent, 'My name is Ada.', {}, streamed);
    rig.replyText('openai', 'You are Ada.');

    // Act
    const second = await runWith(agent, 'What is my name?', { previousResponseId: first.lastResponseId! }, streamed);

    // Assess
    expect(first.lastResponseId).toMatch(/^resp_/);
    // The fake marks a continued chain with its length.
    expect(second.finalOutput).toBe('You are Ada. (turn 2)');
    expect(rig.fakes.openai.requests[1]!.body).toMatchObject({ previous_response_id: first.lastResponseId });
  });

  it.each([false, true])('runs in a conversation made through the gateway (streamed: %s)', async (streamed) => {
    // Prepare
    const { key } = await rig.freshKey();
    const conversation = await new OpenAI({ apiKey: key, baseURL: rig.baseURL, maxRetries: 0 }).conversations.create({});
    const agent = new Agent({ name: 'Memory', model: modelFor(route, key) });
    rig.replyText('openai', 'Noted: Ada.');

    // Act
    const result = await runWith(agent, 'My name is Ada.', { conversationId: conversation.id }, streamed);

    // Assess
    expect(result.finalOutput).toBe('Noted: Ada.');
    expect(rig.fakes.openai.requests.at(-1)!.body).toMatchObject({ conversation: conversation.id });
  });
});

describe.each(ROUTES.filter((r) => r.api === 'responses' && r.upstream !== 'openai'))('$name: state the gateway does not keep for a translated target', (route) => {
  it.each([false, true])('answers previousResponseId with a BadRequestError naming previous_response_id, before any upstream call (streamed: %s)', async (streamed) => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.replyText(route.upstream, 'Noted: Ada.');
    const agent = new Agent({ name: 'Memory', model: modelFor(route, key), modelSettings: { store: true } });
    const first = await runWith(agent, 'My name is Ada.', {}, streamed);

    // Act
    const error = await runWith(agent, 'What is my name?', { previousResponseId: first.lastResponseId! }, streamed).catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ status: 400, param: 'previous_response_id' });
    expect((error as Error).constructor.name).toBe('BadRequestError');
    expect(rig.fakes[route.upstream].requests).toHaveLength(1);
  });
});

describe.each(ROUTES.filter((r) => r.upstream === 'anthropic' || r.upstream === 'gemini'))('$name: thinking in a tool loop', (route) => {
  // On Chat Completions the SDK reads and returns only a `reasoning` string, with no signature: there
  // the gateway goes on without thinking for Claude (Anthropic refuses a thinking turn without its
  // block) and sends Gemini the placeholder Google documents for calls without a signature.
  const sentBack = route.api === 'responses' ? 'its signature' : route.upstream === 'anthropic' ? 'no thinking' : 'the placeholder signature';
  it.each([false, true])(`finishes the loop, sending ${sentBack} with the call in the next request (streamed: %s)`, async (streamed) => {
    // Prepare
    const { key } = await rig.freshKey();
    const model = route.upstream === 'gemini' ? { ...route, model: M.gemini3 } : route;
    const signature = route.upstream === 'anthropic' ? 'SigOfTheWeatherThought' : 'c2lnLXdlYXRoZXI=';
    if (route.upstream === 'anthropic') {
      rig.fakes.anthropic.reply((req) => (hasToolResult(req.body) ? { kind: 'text', text: 'Oslo is 4°C.' } : { kind: 'tool_use', calls: [{ name: 'weather', input: { city: 'Oslo' } }], thinking: { thinking: 'The tool knows.', signature } }));
    } else {
      rig.fakes.gemini.reply((req) => (hasToolResult(req.body) ? { kind: 'text', text: 'Oslo is 4°C.' } : { kind: 'function_calls', calls: [{ name: 'weather', args: { city: 'Oslo' }, thoughtSignature: signature }] }));
    }
    const agent = new Agent({ name: 'Forecaster', model: modelFor(model, key), tools: [weather], modelSettings: { reasoning: { effort: 'medium' } } });

    // Act
    const { result } = await runAgent(agent, 'Weather in Oslo?', streamed);

    // Assess
    expect(result.finalOutput).toBe('Oslo is 4°C.');
    const next = rig.fakes[route.upstream].requests[1]!.body as Record<string, unknown>;
    if (route.api === 'responses') expect(JSON.stringify(next)).toContain(signature);
    else if (route.upstream === 'anthropic') expect(next.thinking).toBeUndefined();
    else expect(JSON.stringify(next)).toContain('"thoughtSignature":"skip_thought_signature_validator"');
  });
});

/** The fake `upstream` starts a streamed answer, then fails after its first events with `message`. */
function replyFailingMidStream(upstream: Upstream, message: string): void {
  const f = rig.fakes;
  if (upstream === 'openai') f.openai.reply({ kind: 'stream-error', afterChunks: 3, error: { message, type: 'server_error', code: 'server_error' } });
  if (upstream === 'anthropic') f.anthropic.reply({ kind: 'stream-error', afterEvents: 4, errorType: 'overloaded_error', message });
  if (upstream === 'gemini') f.gemini.reply({ kind: 'stream-error', afterEvents: 1, error: { code: 503, message, status: 'UNAVAILABLE' } });
  if (upstream === 'bedrock') f.bedrock.reply({ kind: 'exception', type: 'modelStreamErrorException', afterEvents: 3, message });
}

describe.each(ROUTES)('$name: a stream that fails after it began', (route) => {
  // The SDK turns the Responses API's `response.failed` into its ModelBehaviorError naming the
  // event, the response's error message left out (as with OpenAI's own); Chat's error event it throws as it reads it.
  const expected = route.api === 'responses' ? 'the SDK\'s ModelBehaviorError naming response.failed' : 'an error carrying the upstream\'s message';
  it(`rejects the streamed run with ${expected}, not a hang`, async () => {
    // Prepare
    const { id, key } = await rig.freshKey();
    const message = 'The upstream gave up halfway';
    replyFailingMidStream(route.upstream, message);
    const agent = new Agent({ name: 'Greeter', model: modelFor(route, key) });

    // Act
    const error = await runAgent(agent, 'Tell me a long story', true).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(Error);
    if (route.api === 'responses') {
      expect((error as Error).constructor.name).toBe('ModelBehaviorError');
      expect((error as Error).message).toContain('"response.failed"');
    } else {
      expect((error as Error).message).toContain(message);
    }
    expect(await rig.usage(id, 1)).toEqual([expect.objectContaining({ outcome: expect.not.stringMatching(/^ok$/) })]);
  });
});

/** Where each dialect carries a tool forced by name (`weather`). */
const FORCED_SENT: Record<Upstream, (api: Api) => Record<string, unknown>> = {
  openai: (api) => (api === 'responses' ? { tool_choice: { type: 'function', name: 'weather' } } : { tool_choice: { type: 'function', function: { name: 'weather' } } }),
  anthropic: () => ({ tool_choice: expect.objectContaining({ type: 'tool', name: 'weather' }) }),
  gemini: () => ({ toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['weather'] } } }),
  bedrock: () => ({ toolConfig: expect.objectContaining({ toolChoice: { tool: { name: 'weather' } } }) }),
};

describe.each(ROUTES)('$name: more than one call at once', (route) => {
  it.each([false, true])('runs two calls of one step and sends both outputs back in one turn (streamed: %s)', async (streamed) => {
    // Prepare
    const { key } = await rig.freshKey();
    const f = rig.fakes;
    const answer = 'Oslo 4°C, Bergen 4°C.';
    const cities = [{ city: 'Oslo' }, { city: 'Bergen' }];
    if (route.upstream === 'openai') f.openai.reply((req) => (hasToolResult(req.body) ? { kind: 'text', text: answer } : { kind: 'tool_calls', calls: cities.map((c) => ({ name: 'weather', arguments: JSON.stringify(c) })) }));
    if (route.upstream === 'anthropic') f.anthropic.reply((req) => (hasToolResult(req.body) ? { kind: 'text', text: answer } : { kind: 'tool_use', calls: cities.map((input) => ({ name: 'weather', input })) }));
    if (route.upstream === 'gemini') f.gemini.reply((req) => (hasToolResult(req.body) ? { kind: 'text', text: answer } : { kind: 'function_calls', calls: cities.map((args) => ({ name: 'weather', args })) }));
    if (route.upstream === 'bedrock') f.bedrock.reply((req) => (hasToolResult(req.body) ? { kind: 'text', text: answer } : { kind: 'tool_use', calls: cities.map((input) => ({ name: 'weather', input })) }));
    const agent = new Agent({ name: 'Forecaster', model: modelFor(route, key), tools: [weather], modelSettings: { parallelToolCalls: true } });

    // Act
    const { result } = await runAgent(agent, 'Weather in Oslo and Bergen?', streamed);

    // Assess
    expect(result.finalOutput).toBe(answer);
    const sent = JSON.stringify(rig.fakes[route.upstream].requests[1]!.body);
    expect(sent).toContain('Oslo');
    expect(sent.match(/celsius/g)).toHaveLength(2);
  });

  it('forces the named tool with toolChoice, then lets the model answer', async () => {
    const streamed = false;
    // Prepare
    const { key } = await rig.freshKey();
    replyCallThenText(route.upstream, 'weather', { city: 'Oslo' }, 'Oslo is 4°C.');
    const agent = new Agent({ name: 'Forecaster', model: modelFor(route, key), tools: [weather], modelSettings: { toolChoice: 'weather' } });

    // Act
    const { result } = await runAgent(agent, 'Weather in Oslo?', streamed);

    // Assess
    expect(result.finalOutput).toBe('Oslo is 4°C.');
    const [first, second] = rig.fakes[route.upstream].requests.map((r) => r.body);
    expect(first).toMatchObject(FORCED_SENT[route.upstream](route.api));
    // The SDK stops forcing once the tool ran (its resetToolChoice), so the model can answer.
    expect(second).not.toMatchObject(FORCED_SENT[route.upstream](route.api));
  });
});

// The rate limit is the gateway's, met before any upstream: one target per API is enough.
describe.each(ROUTES.filter((r) => r.upstream === 'anthropic'))('$name: the gateway\'s rate limit', (route) => {
  it.each([false, true])('surfaces the gateway\'s rate limit 429 as the client\'s RateLimitError (streamed: %s)', async (streamed) => {
    // Prepare
    const { key } = await rig.freshKey({ limits: { requestsPerMinute: 1 } });
    const agent = new Agent({ name: 'Greeter', model: modelFor(route, key) });
    rig.startMinute();
    await runAgent(agent, 'first', streamed);

    // Act
    const error = await runAgent(agent, 'second', streamed).catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ status: 429 });
    expect((error as Error).constructor.name).toBe('RateLimitError');
  });
});

describe.each(ROUTES.filter((r) => r.upstream === 'anthropic'))('$name: a key not allowed the model', (route) => {
  it.each([false, true])('surfaces the gateway\'s 403 as the client\'s PermissionDeniedError naming the model, before any upstream call (streamed: %s)', async (streamed) => {
    // Prepare
    const { key } = await rig.freshKey({ models: [M.gpt] });
    const agent = new Agent({ name: 'Greeter', model: modelFor(route, key) });

    // Act
    const error = await runAgent(agent, 'x', streamed).catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ status: 403, code: 'model_not_allowed', param: 'model' });
    expect((error as Error).constructor.name).toBe('PermissionDeniedError');
    expect((error as Error).message).toContain(M.claude);
    expect(rig.fakes.anthropic.requests).toHaveLength(0);
  });
});

describe.each(ROUTES.filter((r) => r.upstream === 'gemini'))('$name: outputType and a tool together', (route) => {
  // Gemini before 3 refuses function declarations beside a JSON answer; an agent with tools and an
  // outputType sends both on every turn.
  it.each([{ model: M.gemini, streamed: false }, { model: M.gemini, streamed: true }, { model: M.gemini3, streamed: false }])('runs the tool loop and returns the outputType\'s object on $model (streamed: $streamed)', async ({ model, streamed }) => {
    // Prepare
    const { key } = await rig.freshKey();
    replyCallThenText('gemini', 'weather', { city: 'Oslo' }, '{"city":"Oslo","celsius":4}');
    const agent = new Agent({ name: 'Forecaster', model: modelFor({ ...route, model }, key), tools: [weather], outputType: z.object({ city: z.string(), celsius: z.number() }) });

    // Act
    const { result } = await runAgent(agent, 'Weather in Oslo?', streamed);

    // Assess
    expect(result.finalOutput).toEqual({ city: 'Oslo', celsius: 4 });
    expect(rig.fakes.gemini.requests).toHaveLength(2);
    // The schema reaches Gemini on every turn: Gemini 3 in the JSON answer's config, earlier models in words.
    for (const request of rig.fakes.gemini.requests) {
      const body = request.body as { systemInstruction?: { parts: { text: string }[] }; generationConfig?: { responseMimeType?: string; responseSchema?: unknown } };
      if (model === M.gemini3) {
        expect(body.generationConfig).toMatchObject({ responseMimeType: 'application/json', responseSchema: expect.objectContaining({ properties: expect.objectContaining({ celsius: expect.any(Object) }) }) });
        expect(JSON.stringify(body.systemInstruction ?? '')).not.toContain('JSON schema');
      } else {
        expect(body.generationConfig?.responseMimeType).toBeUndefined();
        const words = body.systemInstruction!.parts.map((p) => p.text).join('\n');
        expect(words).toMatch(/matches this JSON schema: \{.*"celsius":\{"type":"number"\}/);
      }
    }
  });
});
