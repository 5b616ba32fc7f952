/**
 * The Responses API (`POST /v1/responses`) through the gateway, with the official `openai`
 * client as the caller: passed through to OpenAI, Azure OpenAI and an OpenAI-compatible server
 * configured for it; translated for Anthropic and (by default) OpenAI-compatible servers.
 * Gemini and Bedrock run in the provider matrix (matrix.test.ts).
 */
import OpenAI from 'openai';
import { startFakeAnthropic, streamEvents, type FakeAnthropic } from '../fakes/anthropic';
import { startFakeAzureOpenAI, type FakeAzureOpenAI } from '../fakes/azure-openai';
import { startFakeGemini, type FakeGemini } from '../fakes/gemini';
import { startHarness, eventually, UPSTREAM_KEY, type Harness } from './harness';

const AZURE_KEY = 'azure-test-key';
const ANTHROPIC_KEY = 'sk-ant-test';
const GEMINI_KEY = 'AIza-test';

let h: Harness;
let anthropic: FakeAnthropic;
let azure: FakeAzureOpenAI;
let gemini: FakeGemini;
/** A key for every model (the harness's own key may use only `gpt-4o*` and `mini`). */
let all: { id: string; key: string };

beforeAll(async () => {
  anthropic = await startFakeAnthropic({ apiKey: ANTHROPIC_KEY });
  azure = await startFakeAzureOpenAI({ apiKey: AZURE_KEY });
  gemini = await startFakeGemini({ apiKey: GEMINI_KEY });
  h = await startHarness({
    credentials: { TEST_ANTHROPIC_KEY: ANTHROPIC_KEY, TEST_AZURE_KEY: AZURE_KEY, TEST_GEMINI_KEY: GEMINI_KEY },
    config: ({ upstream, backup }) => ({
      providers: [
        { id: 'primary', type: 'openai', baseUrl: upstream, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'compat', type: 'openai-compatible', baseUrl: backup, accounts: [{ id: 'b', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'compat-responses', type: 'openai-compatible', responses: 'passthrough', baseUrl: backup, accounts: [{ id: 'c', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'claude', type: 'anthropic', baseUrl: anthropic.url, accounts: [{ id: 'main', apiKey: { env: 'TEST_ANTHROPIC_KEY' } }] },
        { id: 'azure', type: 'azure-openai', baseUrl: azure.url, apiVersion: '2024-10-21', accounts: [{ id: 'east', apiKey: { env: 'TEST_AZURE_KEY' } }] },
        { id: 'gemini', type: 'gemini', baseUrl: gemini.url, accounts: [{ id: 'main', apiKey: { env: 'TEST_GEMINI_KEY' } }] },
      ],
      models: [
        { name: 'gpt-4o-mini', targets: [{ provider: 'primary', model: 'gpt-4o-mini-2024-07-18' }] },
        { name: 'gpt-4o', targets: [{ provider: 'primary', model: 'gpt-4o' }, { provider: 'compat', model: 'llama-3' }] },
        { name: 'gpt-4o-compat', targets: [{ provider: 'compat', model: 'llama-3' }] },
        { name: 'gpt-4o-compat-responses', targets: [{ provider: 'compat-responses', model: 'llama-3' }] },
        { name: 'gpt-4o-azure', targets: [{ provider: 'azure', model: 'dep-4o' }] },
        { name: 'claude-x', targets: [{ provider: 'claude', model: 'claude-sonnet-4-6' }] },
        { name: 'gemini-x', targets: [{ provider: 'gemini', model: 'gemini-3-pro-preview' }] },
      ],
    }),
  });
  all = await h.createKey({ name: 'everything', models: ['*'] });
});
afterAll(async () => {
  await h?.close();
  await anthropic?.close();
  await azure?.close();
  await gemini?.close();
});
beforeEach(() => {
  h.upstream.reset();
  h.backup.reset();
  anthropic.reset();
  azure.reset();
  gemini.reset();
  h.health.clear();
});

const client = (key = all.key) => h.openai({ apiKey: key });

/** Today's usage item of `keyId` for one request, once written. */
async function usageOf(keyId: string, match: (u: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  let found: Record<string, unknown> | undefined;
  await eventually(async () => {
    found = (await h.usage(keyId)).find(match);
    expect(found).toBeDefined();
  });
  return found!;
}

describe('Responses passed through to OpenAI', () => {
  it('answers responses.create with output_text, sends the body to /responses with the model swapped, and records the usage', async () => {
    // Prepare
    h.upstream.reply({ kind: 'text', text: 'Hello there!', usage: { prompt: 12, completion: 3, cached: 4, reasoning: 1 } });

    // Act
    const response = await client().responses.create({ model: 'gpt-4o-mini', instructions: 'Be terse.', input: 'Say hello', metadata: { run: 'x' } });

    // Assess
    expect(response.output_text).toBe('Hello there!');
    expect(response.usage).toMatchObject({ input_tokens: 12, output_tokens: 3 });
    const sent = h.upstream.requests[0]!;
    expect(sent.path).toBe('/v1/responses');
    expect(sent.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(sent.body).toEqual({ model: 'gpt-4o-mini-2024-07-18', instructions: 'Be terse.', input: 'Say hello', metadata: { run: 'x' } });
    const usage = await usageOf(all.id, (u) => u.upstreamModel === 'gpt-4o-mini-2024-07-18' && u.inputTokens === 12);
    expect(usage).toMatchObject({ surface: 'openai-responses', model: 'gpt-4o-mini', provider: 'primary', stream: false, status: 200, outcome: 'ok', outputTokens: 3, cacheReadTokens: 4, reasoningTokens: 1 });
  });

  it('sends the very bytes the client sent when the upstream knows the model by the same name', async () => {
    const raw = '{ "model":"gpt-4o",   "input":"Hi", "store": false, "future_field": {"x": [1, 2]} }';

    const res = await fetch(`${h.gw.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${all.key}`, 'content-type': 'application/json' }, body: raw });

    expect(res.status).toBe(200);
    expect(h.upstream.requests[0]!.rawBody).toBe(raw);
  });

  it('streams events to `for await` unchanged and records usage and the first token from response.completed', async () => {
    h.upstream.reply({ kind: 'text', text: 'one two three', chunks: ['one', ' two', ' three'], usage: { prompt: 9, completion: 3 } });

    const stream = await client().responses.create({ model: 'gpt-4o-mini', input: 'Count', stream: true });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);

    const deltas = events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : []));
    expect(deltas.join('')).toBe('one two three');
    expect(events.at(-1)).toMatchObject({ type: 'response.completed', response: { status: 'completed', usage: { input_tokens: 9, output_tokens: 3 } } });
    const usage = await usageOf(all.id, (u) => u.stream === true && u.inputTokens === 9);
    expect(usage).toMatchObject({ surface: 'openai-responses', provider: 'primary', outcome: 'ok', outputTokens: 3 });
    expect(usage.ttftMs).toEqual(expect.any(Number));
  });

  it('serves responses.stream(…).finalResponse()', async () => {
    h.upstream.reply({ kind: 'text', text: 'Final answer.' });

    const response = await client().responses.stream({ model: 'gpt-4o-mini', input: 'Go' }).finalResponse();

    expect(response.output_text).toBe('Final answer.');
    expect(h.upstream.requests[0]!.body).toMatchObject({ stream: true, model: 'gpt-4o-mini-2024-07-18' });
  });

  it('carries a function call round trip: the call, then its output in the next turn', async () => {
    // Prepare
    const tools: OpenAI.Responses.FunctionTool[] = [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: false }];
    h.upstream.reply((req) =>
      h.upstream.requests.length === 1 ? { kind: 'tool_calls', calls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] } : { kind: 'text', text: '18C in Paris.' },
    );

    // Act
    const first = await client().responses.create({ model: 'gpt-4o-mini', input: 'Weather in Paris?', tools });
    const call = first.output.find((i): i is OpenAI.Responses.ResponseFunctionToolCall => i.type === 'function_call')!;
    const second = await client().responses.create({
      model: 'gpt-4o-mini',
      input: [{ role: 'user', content: 'Weather in Paris?' }, call, { type: 'function_call_output', call_id: call.call_id, output: '18C' }],
      tools,
    });

    // Assess
    expect(call).toMatchObject({ call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' });
    expect(second.output_text).toBe('18C in Paris.');
    expect((h.upstream.requests[1]!.body as { input: unknown[] }).input.at(-1)).toEqual({ type: 'function_call_output', call_id: 'call_1', output: '18C' });
  });

  it('sends previous_response_id on, so OpenAI answers it itself (here: its 400 for an unknown id)', async () => {
    const err = await client()
      .responses.create({ model: 'gpt-4o-mini', input: 'More', previous_response_id: 'resp_unknown' })
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, code: 'previous_response_not_found', param: 'previous_response_id' });
  });

  it('refuses a background response before any upstream call: it could not be polled through the gateway, and its usage would go unrecorded', async () => {
    const before = h.upstream.requests.length;
    const err = await client()
      .responses.create({ model: 'gpt-4o-mini', input: 'Write a long report', background: true })
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, code: 'unsupported_parameter', param: 'background' });
    expect((err as Error).message).toContain('GET /v1/responses/{id}');
    expect(h.upstream.requests.length).toBe(before);
  });

  it('ends a stream the upstream broke off with response.failed and an error event, on which the client raises', async () => {
    h.upstream.reply({ kind: 'drop', afterChunks: 4 });

    const res = await fetch(`${h.gw.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${all.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini', input: 'Go', stream: true }) });
    const text = await res.text();
    const stream = await client().responses.create({ model: 'gpt-4o-mini', input: 'Go', stream: true });
    const err = await (async () => {
      for await (const event of stream) void event;
    })().catch((e: unknown) => e);

    // Numbered after the four events the upstream sent (0 to 3): response.failed, then error.
    expect(text).toMatch(/event: response.failed\ndata: \{"type":"response.failed".*"sequence_number":4\}\n\nevent: error\ndata: \{"type":"error".*"sequence_number":5\}\n\n$/);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as Error).message).toMatch(/broke off|before it was complete/);
    const usage = await usageOf(all.id, (u) => u.stream === true && u.outcome === 'interrupted');
    expect(usage).toMatchObject({ surface: 'openai-responses', errorCode: 'upstream_interrupted' });
  });

  it("passes OpenAI's own in-band failure (response.failed) on unchanged and books it as the upstream's error", async () => {
    h.upstream.reply({ kind: 'stream-failure', afterEvents: 3 });

    const stream = await client().responses.create({ model: 'gpt-4o-mini', input: 'Go', stream: true });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);

    expect(events.at(-1)).toMatchObject({ type: 'response.failed', response: { status: 'failed', error: { code: 'server_error' } } });
    const usage = await usageOf(all.id, (u) => u.stream === true && u.outcome === 'upstream_error');
    expect(usage).toMatchObject({ surface: 'openai-responses', provider: 'primary' });
  });

  it('fails over to the next target (translated there) when the first answers 429', async () => {
    h.upstream.reply({ kind: 'error', status: 429 });
    h.backup.reply({ kind: 'text', text: 'From the backup.' });

    const response = await client().responses.create({ model: 'gpt-4o', input: 'Hi' });

    expect(response.output_text).toBe('From the backup.');
    expect(h.backup.requests[0]!.path).toBe('/v1/chat/completions');
  });
});

describe('Responses passed through to Azure OpenAI and to an OpenAI-compatible server that opts in', () => {
  it('sends Azure the body with the deployment as model to /openai/v1/responses, with its api-key', async () => {
    azure.reply({ kind: 'text', text: 'From Azure.', usage: { prompt: 5, completion: 2 } });

    const response = await client().responses.create({ model: 'gpt-4o-azure', input: 'Hi' });

    expect(response.output_text).toBe('From Azure.');
    const sent = azure.requests[0]!;
    expect(sent.path).toBe('/openai/v1/responses');
    expect(sent.headers['api-key']).toBe(AZURE_KEY);
    expect(sent.body).toMatchObject({ model: 'dep-4o', input: 'Hi' });
    await usageOf(all.id, (u) => u.provider === 'azure' && u.inputTokens === 5 && u.surface === 'openai-responses');
  });

  it('streams from Azure', async () => {
    azure.reply({ kind: 'text', text: 'Streamed from Azure.' });

    const response = await client().responses.stream({ model: 'gpt-4o-azure', input: 'Hi' }).finalResponse();

    expect(response.output_text).toBe('Streamed from Azure.');
  });

  it('passes through to an OpenAI-compatible server configured with responses: "passthrough"', async () => {
    h.backup.reply({ kind: 'text', text: 'Native.' });

    const response = await client().responses.create({ model: 'gpt-4o-compat-responses', input: 'Hi' });

    expect(response.output_text).toBe('Native.');
    expect(h.backup.requests[0]).toMatchObject({ path: '/v1/responses', body: { model: 'llama-3', input: 'Hi' } });
  });

  it('translates to Chat Completions for an OpenAI-compatible server by default', async () => {
    h.backup.reply({ kind: 'text', text: 'Translated.', usage: { prompt: 7, completion: 1 } });

    const response = await client().responses.create({ model: 'gpt-4o-compat', instructions: 'Be brief.', input: 'Hi', max_output_tokens: 50 });

    expect(response).toMatchObject({ object: 'response', status: 'completed', model: 'gpt-4o-compat', output_text: 'Translated.', usage: { input_tokens: 7, output_tokens: 1 } });
    const sent = h.backup.requests[0]!;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.body).toMatchObject({ model: 'llama-3', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }] });
  });
});

describe('Responses translated for Anthropic', () => {
  it('answers responses.create from a Messages answer and records the usage under the Responses surface', async () => {
    anthropic.reply({ kind: 'text', text: 'Bonjour.', usage: { input: 20, output: 4, cacheRead: 10 } });

    const response = await client().responses.create({ model: 'claude-x', instructions: 'Speak French.', input: 'Hello', max_output_tokens: 100 });

    expect(response).toMatchObject({ status: 'completed', model: 'claude-x', output_text: 'Bonjour.', max_output_tokens: 100, usage: { input_tokens: 30, input_tokens_details: { cached_tokens: 10 }, output_tokens: 4 } });
    expect(response.id).toMatch(/^resp_/);
    expect(anthropic.requests[0]!.body).toMatchObject({ model: 'claude-sonnet-4-6', system: [{ type: 'text', text: 'Speak French.' }], max_tokens: 100, messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }] });
    const usage = await usageOf(all.id, (u) => u.provider === 'claude' && u.outputTokens === 4);
    expect(usage).toMatchObject({ surface: 'openai-responses', model: 'claude-x', upstreamModel: 'claude-sonnet-4-6', inputTokens: 30, cacheReadTokens: 10, outcome: 'ok' });
  });

  it('streams to `for await` and to responses.stream(…).finalResponse()', async () => {
    anthropic.reply({ kind: 'text', text: 'Un deux trois.' });

    const stream = await client().responses.create({ model: 'claude-x', input: 'Count', stream: true });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    anthropic.reply({ kind: 'text', text: 'Quatre.' });
    const final = await client().responses.stream({ model: 'claude-x', input: 'More' }).finalResponse();

    expect(events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : [])).join('')).toBe('Un deux trois.');
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(final.output_text).toBe('Quatre.');
  });

  it('carries thinking and its signature through a reasoning item, and replays them in the next turn', async () => {
    // Prepare: the model thinks; then answers.
    const tools: OpenAI.Responses.FunctionTool[] = [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: false }];
    anthropic.reply((req) =>
      anthropic.requests.length === 1
        ? { kind: 'thinking', thinking: 'I should look it up.', signature: 'EqQBsig123', text: '' }
        : { kind: 'text', text: 'It is 18C.' },
    );

    // Act
    const first = await client().responses.create({ model: 'claude-x', input: 'Weather in Paris?', tools, reasoning: { effort: 'low' }, include: ['reasoning.encrypted_content'] });
    const second = await client().responses.create({ model: 'claude-x', input: [{ role: 'user', content: 'Weather in Paris?' }, ...(first.output as OpenAI.Responses.ResponseInputItem[]), { role: 'user', content: 'Go on.' }], tools });

    // Assess
    expect(first.output[0]).toMatchObject({ type: 'reasoning', summary: [{ type: 'summary_text', text: 'I should look it up.' }], encrypted_content: 'aigw1:claude:EqQBsig123' });
    expect(second.output_text).toBe('It is 18C.');
    const replayed = (anthropic.requests[1]!.body as { messages: { role: string; content: { type: string }[] }[] }).messages[1]!;
    expect(replayed).toMatchObject({ role: 'assistant', content: [{ type: 'thinking', thinking: 'I should look it up.', signature: 'EqQBsig123' }] });
  });

  it('gives structured output a schema the upstream receives, and the client JSON text', async () => {
    anthropic.reply({ kind: 'text', text: '{"city":"Paris"}' });

    const response = await client().responses.create({
      model: 'claude-x',
      input: 'Where?',
      text: { format: { type: 'json_schema', name: 'place', schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }, strict: true } },
    });

    expect(JSON.parse(response.output_text)).toEqual({ city: 'Paris' });
    expect(response.text?.format).toMatchObject({ type: 'json_schema', name: 'place' });
    expect(JSON.stringify(anthropic.requests[0]!.body)).toContain('"required":["city"]');
  });

  it('marks the call the token limit cut incomplete, in its output_item.done and the final response, and the call finished before it completed, as the SDK sees them', async () => {
    // Prepare: Claude finishes one call, then max_tokens stops the second in the middle of its JSON (its block still stops).
    const whole = { type: 'tool_use' as const, id: 'toolu_a', name: 'get_weather', input: { city: 'Paris' }, chunks: ['{"city":', '"Paris"}'] };
    const cut = { type: 'tool_use' as const, id: 'toolu_b', name: 'get_weather', input: {}, chunks: ['{"city":', '"Lo'] };
    anthropic.reply({ kind: 'raw', status: 200, headers: { 'content-type': 'text/event-stream' }, body: streamEvents('claude-sonnet-4-6', [whole, cut], 'max_tokens', { input: 10, output: 20 }) });
    const tools: OpenAI.Responses.FunctionTool[] = [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: false }];

    // Act
    const stream = client().responses.stream({ model: 'claude-x', input: 'Weather in Paris and London?', tools, max_output_tokens: 20 });
    const done: { call_id: string; status: string | undefined }[] = [];
    for await (const event of stream) if (event.type === 'response.output_item.done' && event.item.type === 'function_call') done.push({ call_id: event.item.call_id, status: event.item.status });
    const final = await stream.finalResponse();

    // Assess
    expect(done).toEqual([
      { call_id: 'toolu_a', status: 'completed' },
      { call_id: 'toolu_b', status: 'incomplete' },
    ]);
    expect(final).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    expect(final.output).toMatchObject([
      { type: 'function_call', call_id: 'toolu_a', status: 'completed', arguments: '{"city":"Paris"}' },
      { type: 'function_call', call_id: 'toolu_b', status: 'incomplete', arguments: '{"city":"Lo' },
    ]);
  });

  it('raises in the client when the upstream fails mid-stream, after response.failed', async () => {
    anthropic.reply({ kind: 'stream-error', afterEvents: 3 });

    const stream = await client().responses.create({ model: 'claude-x', input: 'Go', stream: true });
    const seen: string[] = [];
    const err = await (async () => {
      for await (const event of stream) seen.push(event.type);
    })().catch((e: unknown) => e);

    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(seen.at(-1)).toBe('response.failed');
    await usageOf(all.id, (u) => u.provider === 'claude' && u.outcome === 'upstream_error');
  });

  it('refuses what needs state the gateway does not keep, and built-in tools, with a 400 naming the field', async () => {
    const errors = await Promise.all([
      client().responses.create({ model: 'claude-x', input: 'More', previous_response_id: 'resp_1' }).catch((e: unknown) => e),
      client().responses.create({ model: 'claude-x', input: 'Search', tools: [{ type: 'web_search' }] }).catch((e: unknown) => e),
    ]);

    expect(errors[0]).toBeInstanceOf(OpenAI.BadRequestError);
    expect(errors[0]).toMatchObject({ status: 400, param: 'previous_response_id', code: 'unsupported_parameter' });
    expect((errors[0] as Error).message).toContain('provider "claude"');
    expect(errors[1]).toMatchObject({ status: 400, param: 'tools[0].type', code: 'unsupported_parameter' });
    expect(anthropic.requests).toHaveLength(0);
  });
});

describe("reasoning effort on Claude under the client's max_output_tokens", () => {
  // The budget is the gateway's mapping of the effort: it gives way to the client's limit. (Naming
  // max_output_tokens in the refusal of a budget that does not fit: surfaces/openai-responses/error-fields.test.ts.)
  it('thinks within a max_output_tokens the effort’s budget does not fit under, leaving the answer room, instead of refusing it', async () => {
    anthropic.reply({ kind: 'text', text: 'Thought.' });

    const answer = await client().responses.create({ model: 'claude-x', input: 'Think hard', max_output_tokens: 2000, reasoning: { effort: 'high' } });

    expect(answer.output_text).toBe('Thought.');
    expect(anthropic.requests[0]!.body).toMatchObject({ max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1024 } });
  });
});

describe("a translator's refusal names the field of the Responses body", () => {
  it('names the input, with no index of a canonical message (not the input item it came from), for a result Gemini cannot match to a call', async () => {
    // The instructions and the user message are input items 0 and 1; the result, item 2, is canonical message 1.
    const err = await client()
      .responses.create({
        model: 'gemini-x',
        instructions: 'Be terse.',
        input: [{ role: 'developer', content: 'Metric units.' }, { role: 'user', content: 'Weather in Oslo?' }, { type: 'function_call_output', call_id: 'call_unknown', output: '-5C' }],
      })
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, param: 'input', code: 'unknown_tool_call_id' });
    expect(gemini.requests).toHaveLength(0);
  });
});

describe('Responses translated for Gemini', () => {
  it("carries a function call's thought signature through a reasoning item and back with the call, streamed", async () => {
    // Prepare
    const tools: OpenAI.Responses.FunctionTool[] = [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: false }];
    gemini.reply((req) =>
      gemini.requests.length === 1 ? { kind: 'function_calls', calls: [{ name: 'get_weather', args: { city: 'Oslo' }, thoughtSignature: 'c2lnbmF0dXJl' }] } : { kind: 'text', text: 'Cold.' },
    );

    // Act
    const first = await client().responses.stream({ model: 'gemini-x', input: 'Weather in Oslo?', tools }).finalResponse();
    const call = first.output.find((i) => i.type === 'function_call')!;
    if (call.type !== 'function_call') throw new Error('no function call');
    const second = await client().responses.create({
      model: 'gemini-x',
      input: [{ role: 'user', content: 'Weather in Oslo?' }, ...(first.output as OpenAI.Responses.ResponseInputItem[]), { type: 'function_call_output', call_id: call.call_id, output: '-5C' }],
      tools,
    });

    // Assess
    expect(first.output.map((i) => i.type)).toEqual(['reasoning', 'function_call']);
    expect(second.output_text).toBe('Cold.');
    const contents = (gemini.requests[1]!.body as { contents: { role: string; parts: Record<string, unknown>[] }[] }).contents;
    expect(contents[1]).toMatchObject({ role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Oslo' } }, thoughtSignature: 'c2lnbmF0dXJl' }] });
  });
});

describe('Responses errors before the answer, as chat completions have them', () => {
  it('answers 400 naming the field, 401, 403 and 404 as typed errors of the client', async () => {
    const [bad, unauth, forbidden, missing] = await Promise.all([
      client().responses.create({ model: 'gpt-4o-mini', input: 'x', max_output_tokens: -1 }).catch((e: unknown) => e),
      client('sk-gw-wrong').responses.create({ model: 'gpt-4o-mini', input: 'x' }).catch((e: unknown) => e),
      client(h.key).responses.create({ model: 'claude-x', input: 'x' }).catch((e: unknown) => e),
      client().responses.create({ model: 'no-such-model', input: 'x' }).catch((e: unknown) => e),
    ]);

    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad).toMatchObject({ param: 'max_output_tokens' });
    expect(unauth).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(forbidden).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(forbidden).toMatchObject({ code: 'model_not_allowed' });
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect(missing).toMatchObject({ code: 'model_not_found' });
    expect(h.upstream.requests).toHaveLength(0);
  });

  it('serves /responses without /v1, and leaves GET /v1/models as it was', async () => {
    const res = await fetch(`${h.gw.url}/responses`, { method: 'POST', headers: { authorization: `Bearer ${all.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini', input: 'Hi' }) });
    const models = await client().models.list();

    expect(res.status).toBe(200);
    expect(((await res.json()) as { object: string }).object).toBe('response');
    expect(models.data.map((m) => m.id)).toEqual(expect.arrayContaining(['gpt-4o-mini', 'claude-x']));
  });
});
