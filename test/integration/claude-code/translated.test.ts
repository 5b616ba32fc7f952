/**
 * The same Claude Code conversations sent to models served by providers of another dialect:
 * the upstream must get a correct body of its own API, and Claude Code an exact Anthropic stream.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { eventually } from '../harness';
import { loadFixture, parseSse, replayHeaders, type Block, type ClaudeCodeFixture, type FixtureBody, type FixtureName } from './fixtures';
import { startStack, TRANSLATED, UPSTREAM_KEYS, type Stack } from './stack';

let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => s.close());
beforeEach(() => s.resetFakes());

const TODOS = { todos: [{ id: '1', content: 'Check the page in a browser', status: 'pending', priority: 'medium' }] };

/** A fixture body sent to another model name, as Claude Code does with ANTHROPIC_MODEL set. */
function bodyFor(name: FixtureName, model: string): FixtureBody {
  return { ...loadFixture(name).request.body, model };
}

const blocksOf = (content: string | Block[]): Block[] => (typeof content === 'string' ? [{ type: 'text', text: content }] : content);
const textOf = (content: unknown): string[] | null =>
  content == null ? null : typeof content === 'string' ? [content] : (content as { text: string }[]).map((p) => p.text);

/**
 * The conversation as OpenAI messages should carry it, derived from the Anthropic body by the
 * documented rules: tool results first as `tool` messages with the same id, then the turn's text.
 */
/** One message of a conversation, reduced to what must survive a translation. */
type Turn = { role: string; text: string[] | null; id?: unknown; calls?: unknown[][] };

function expectedOpenAIConversation(body: FixtureBody): Turn[] {
  return body.messages.flatMap((m): Turn[] => {
    const blocks = blocksOf(m.content);
    const texts = blocks.filter((b) => b.type === 'text').map((b) => String(b.text));
    if (m.role === 'assistant') {
      const calls = blocks.filter((b) => b.type === 'tool_use').map((b) => [b.id, b.name, b.input]);
      return [{ role: 'assistant', text: texts.length ? texts : null, calls }];
    }
    const results = blocks.filter((b) => b.type === 'tool_result').map((b) => ({ role: 'tool', id: b.tool_use_id, text: [String(b.content)] }));
    return texts.length ? [...results, { role: 'user', text: texts }] : results;
  });
}

type OpenAIMessage = { role: string; content: unknown; tool_call_id?: string; tool_calls?: { id: string; function: { name: string; arguments: string } }[] };

function conversationSent(messages: OpenAIMessage[]): Turn[] {
  return messages.map((m): Turn => {
    if (m.role === 'assistant') return { role: m.role, text: textOf(m.content), calls: (m.tool_calls ?? []).map((c) => [c.id, c.function.name, JSON.parse(c.function.arguments)]) };
    if (m.role === 'tool') return { role: m.role, id: m.tool_call_id, text: textOf(m.content) };
    return { role: m.role, text: textOf(m.content) };
  });
}

describe('Claude Code conversations translated to OpenAI Chat Completions', () => {
  it.each(['cc-1.0.6-tool-loop', 'cc-0.2.107-tool-loop'] as const)('sends %s to OpenAI as an equivalent Chat Completions body', async (name) => {
    // Prepare
    const body = bodyFor(name, TRANSLATED.openai.name);
    s.openai.reply({ kind: 'text', text: 'Done.', usage: { prompt: 18_000, completion: 2 } });

    // Act
    await s.anthropicClient().messages.stream(body as unknown as Anthropic.MessageCreateParamsStreaming).finalMessage();

    // Assess
    const sent = s.openai.requests[0]!;
    const chat = sent.body as { model: string; messages: OpenAIMessage[]; tools: { type: string; function: { name: string; description: string; parameters: unknown } }[] } & Record<string, unknown>;
    expect(sent.headers.authorization).toBe(`Bearer ${UPSTREAM_KEYS.openai}`);
    expect(chat).toMatchObject({ model: TRANSLATED.openai.upstream, stream: true, stream_options: { include_usage: true }, max_completion_tokens: body.max_tokens, temperature: 1 });
    expect(chat.messages[0]).toEqual({ role: 'system', content: body.system.map((b) => ({ type: 'text', text: b.text })) });
    expect(chat.tools).toEqual(body.tools!.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.input_schema } })));
    expect(conversationSent(chat.messages.slice(1))).toEqual(expectedOpenAIConversation(body));
    expect(sent.rawBody).not.toContain('cache_control');
  });

  it('sends all 17 tools and turns the empty and the failed tool results into tool messages', async () => {
    s.openai.reply({ kind: 'text', text: 'ok' });
    const loop = bodyFor('cc-1.0.6-tool-loop', TRANSLATED.openai.name);
    const failing = bodyFor('cc-0.2.107-tool-loop', TRANSLATED.openai.name);

    await s.anthropicClient().messages.stream(loop as unknown as Anthropic.MessageCreateParamsStreaming).finalMessage();
    await s.anthropicClient().messages.stream(failing as unknown as Anthropic.MessageCreateParamsStreaming).finalMessage();

    const [first, second] = s.openai.requests.map((r) => r.body as { tools: unknown[]; messages: OpenAIMessage[] });
    expect(first!.tools).toHaveLength(17);
    const mkdir = (loop.messages[6]!.content as Block[])[0]!;
    expect(first!.messages.find((m) => m.tool_call_id === mkdir.tool_use_id)).toEqual({ role: 'tool', tool_call_id: mkdir.tool_use_id, content: '' });
    const error = (failing.messages[10]!.content as Block[])[0]!;
    expect(error).toMatchObject({ is_error: true });
    // OpenAI has no error flag on a tool message: the error text itself tells the model.
    expect(second!.messages.find((m) => m.tool_call_id === error.tool_use_id)).toEqual({ role: 'tool', tool_call_id: error.tool_use_id, content: error.content });
  });

  it('streams an OpenAI tool call back as the exact Anthropic event sequence', async () => {
    // Prepare
    const fixture = loadFixture('cc-0.2.107-tool-loop');
    const args = JSON.stringify({ file_path: '/repo/src/server.ts', limit: 200 });
    s.openai.reply({
      kind: 'tool_calls',
      text: 'Let me read the server.',
      calls: [{ id: 'call_Qx7mZ2', name: 'Read', arguments: args, argumentChunks: [args.slice(0, 9), args.slice(9, 30), args.slice(30)] }],
      usage: { prompt: 24_000, completion: 35 },
    });

    // Act: the recorded request, byte for byte, but for the model name.
    const res = await fetch(`${s.gw.url}${fixture.request.path}`, { method: 'POST', headers: replayHeaders(fixture, 'x-api-key', s.key), body: JSON.stringify({ ...fixture.request.body, model: TRANSLATED.openai.name }) });
    const events = parseSse(await res.text());

    // Assess
    expect(res.status).toBe(200);
    expect(events.every((e) => e.event === e.data.type)).toBe(true);
    const names = events.map((e) => e.event).filter((n, i, all) => n !== all[i - 1]);
    expect(names).toEqual(['message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_stop', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    expect(events[0]!.data.message).toMatchObject({ role: 'assistant', model: TRANSLATED.openai.name, content: [], usage: { output_tokens: expect.any(Number), cache_read_input_tokens: 0, cache_creation_input_tokens: 0 } });
    const starts = events.filter((e) => e.event === 'content_block_start').map((e) => e.data);
    expect(starts).toEqual([
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'call_Qx7mZ2', name: 'Read', input: {} } },
    ]);
    const toolDeltas = events.filter((e) => e.event === 'content_block_delta' && e.data.index === 1).map((e) => e.data.delta as { type: string; partial_json: string });
    expect(toolDeltas[0]).toEqual({ type: 'input_json_delta', partial_json: '' });
    expect(toolDeltas.every((d) => d.type === 'input_json_delta')).toBe(true);
    expect(toolDeltas.map((d) => d.partial_json).join('')).toBe(args);
    expect(events.at(-2)!.data).toMatchObject({ delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 35 } });
  });

  it('gives the official SDK the assembled tool call of a translated stream', async () => {
    // Prepare
    s.openai.reply({ kind: 'tool_calls', text: 'Updating the list.', calls: [{ id: 'call_Td0', name: 'TodoWrite', arguments: JSON.stringify(TODOS) }], usage: { prompt: 18_696, completion: 48 } });

    // Act
    const stream = s.anthropicClient().messages.stream(bodyFor('cc-1.0.6-tool-loop', TRANSLATED.openai.name) as unknown as Anthropic.MessageCreateParamsStreaming);
    const { response } = await stream.withResponse();
    const message = await stream.finalMessage();

    // Assess
    expect(message).toMatchObject({
      role: 'assistant',
      model: TRANSLATED.openai.name,
      content: [
        { type: 'text', text: 'Updating the list.' },
        { type: 'tool_use', id: 'call_Td0', name: 'TodoWrite', input: TODOS },
      ],
      stop_reason: 'tool_use',
      usage: { input_tokens: 18_696, output_tokens: 48 },
    });
    await eventually(async () => {
      expect((await s.usage()).find((u) => u.requestId === response.headers.get('x-request-id'))).toMatchObject({ provider: 'gpt', upstreamModel: 'gpt-4.1', inputTokens: 18_696, outputTokens: 48, outcome: 'ok' });
    });
  });
});

describe('Claude Code conversations translated to Gemini', () => {
  it('sends the tool loop as Gemini contents and streams the function call back to the SDK', async () => {
    // Prepare
    const body = bodyFor('cc-1.0.6-tool-loop', TRANSLATED.gemini.name);
    s.gemini.reply({ kind: 'function_calls', text: 'Updating the list.', calls: [{ name: 'TodoWrite', args: TODOS }], usage: { prompt: 18_000, candidates: 40 } });

    // Act
    const message = await s.anthropicClient().messages.stream(body as unknown as Anthropic.MessageCreateParamsStreaming).finalMessage();

    // Assess: the request.
    const sent = s.gemini.requests[0]!;
    const req = sent.body as {
      systemInstruction: { parts: { text: string }[] };
      tools: { functionDeclarations: { name: string; parameters: unknown }[] }[];
      contents: { role: string; parts: { text?: string; functionCall?: { id?: string; name: string; args: unknown }; functionResponse?: { id?: string; name: string } }[] }[];
      generationConfig: Record<string, unknown>;
    };
    expect(`${sent.path}${sent.search}`).toBe(`/v1beta/models/${TRANSLATED.gemini.upstream}:streamGenerateContent?alt=sse`);
    expect(sent.headers['x-goog-api-key']).toBe(UPSTREAM_KEYS.gemini);
    expect(req.systemInstruction.parts.map((p) => p.text)).toEqual(body.system.map((b) => b.text));
    expect(req.tools[0]!.functionDeclarations.map((d) => d.name)).toEqual(body.tools!.map((t) => t.name));
    expect(JSON.stringify(req.tools)).not.toMatch(/\$schema|additionalProperties/);
    expect(sent.rawBody).not.toContain('cache_control');
    expect(req.generationConfig).toMatchObject({ maxOutputTokens: body.max_tokens, temperature: 1 });
    expect(req.contents.map((c) => c.role)).toEqual(body.messages.map((m) => (m.role === 'assistant' ? 'model' : 'user')));
    const toolUses = body.messages.flatMap((m) => blocksOf(m.content).filter((b) => b.type === 'tool_use'));
    const calls = req.contents.flatMap((c) => c.parts.flatMap((p) => (p.functionCall ? [p.functionCall] : [])));
    // Claude Code's tool_use ids go back on each call and its response, as Gemini pairs them.
    expect(calls).toEqual(toolUses.map((t) => ({ id: t.id, name: t.name, args: t.input })));
    const responses = req.contents.flatMap((c) => c.parts.flatMap((p) => (p.functionResponse ? [{ id: p.functionResponse.id, name: p.functionResponse.name }] : [])));
    expect(responses).toEqual(toolUses.map((t) => ({ id: t.id, name: t.name })));

    // Assess: the answer (Gemini has no call ids: the gateway makes one Anthropic accepts).
    expect(message).toMatchObject({ model: TRANSLATED.gemini.name, stop_reason: 'tool_use', content: [{ type: 'text', text: 'Updating the list.' }, { type: 'tool_use', name: 'TodoWrite', input: TODOS }] });
    expect((message.content[1] as { id: string }).id).toMatch(/^[a-zA-Z0-9_-]+$/);
    expect(message.usage.output_tokens).toBe(40);
  });
});

describe('count_tokens for a model served by another provider', () => {
  /** Anthropic's own counts of these captures (input + cache read + cache write of the recorded answers). */
  const REAL_INPUT_TOKENS: { name: FixtureName; real: number; tolerance: number }[] = [
    { name: 'cc-1.0.6-first-turn', real: 4 + 15_032, tolerance: 0.3 },
    { name: 'cc-1.0.6-tool-loop', real: 3 + 275 + 18_418, tolerance: 0.3 },
    // 392 characters of short prose: a characters-per-token rule errs high here (128), which only
    // makes Claude Code compact a little early; the estimator's own tests allow 40% for it.
    { name: 'cc-1.0.6-haiku-title', real: 96, tolerance: 0.4 },
  ];

  it.each(REAL_INPUT_TOKENS)('estimates $name near what Anthropic counted ($real), asking no upstream', async ({ name, real, tolerance }) => {
    const fixture: ClaudeCodeFixture = loadFixture(name);
    const { system, messages, tools } = fixture.request.body;

    const res = await fetch(`${s.gw.url}/v1/messages/count_tokens?beta=true`, {
      method: 'POST',
      headers: replayHeaders(fixture, 'bearer', s.key),
      body: JSON.stringify({ model: TRANSLATED.openai.name, system, messages, ...(tools ? { tools } : {}) }),
    });
    const { input_tokens: estimate } = (await res.json()) as { input_tokens: number };

    expect(res.status).toBe(200);
    expect(Math.abs(estimate - real) / real).toBeLessThanOrEqual(tolerance);
    expect(s.upstreamRequestCount()).toBe(0);
  });
});
