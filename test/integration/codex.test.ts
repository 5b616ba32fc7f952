/**
 * OpenAI's Codex CLI pointed at the gateway's Responses surface, with the bodies Codex builds
 * (test/fixtures/codex, reconstructed from its source) sent as Codex sends them: a streamed POST
 * with its headers, read as SSE. Passed through to OpenAI, the body and the events must be
 * untouched; translated for Anthropic and Gemini, each Codex-specific item and tool must be
 * translated or refused with a 400 naming the field, never failed with a 500, and dropped only
 * when it holds nothing the model needs (a web_search_call: a search whose findings follow it).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import type { FakeAnthropic } from '../fakes/anthropic';
import type { FakeBedrock } from '../fakes/bedrock';
import type { FakeGemini } from '../fakes/gemini';
import { startHarness, UPSTREAM_KEY, type Harness } from './harness';
import { startTranslatedFakes, type TranslatedFakes } from './translated-fakes';

type FixtureName = 'codex-first-turn' | 'codex-after-shell' | 'codex-after-apply-patch';
const FIXTURE_NAMES: readonly FixtureName[] = ['codex-first-turn', 'codex-after-shell', 'codex-after-apply-patch'];

interface CodexBody extends Record<string, unknown> {
  model: string;
  input: Record<string, unknown>[];
  tools: Record<string, unknown>[];
}
interface CodexFixture {
  request: { method: string; path: string; headers: Record<string, string>; body: CodexBody };
}

/** A fresh copy each call, so a test that changes its body cannot affect another. */
function loadFixture(name: FixtureName): CodexFixture {
  return JSON.parse(readFileSync(path.join(__dirname, '../fixtures/codex', `${name}.json`), 'utf8')) as CodexFixture;
}

/** One SSE event: its `event:` name and its `data:` JSON. */
interface SseEvent {
  event: string | undefined;
  data: Record<string, unknown> & { type: string };
}

function parseSse(text: string): SseEvent[] {
  return text
    .split(/\r?\n\r?\n/)
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split(/\r?\n/);
      const event = lines.find((l) => l.startsWith('event:'))?.slice(6).trim();
      const data = lines
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      return { event, data: JSON.parse(data) as SseEvent['data'] };
    });
}

let h: Harness;
let translated: TranslatedFakes;
let anthropic: FakeAnthropic;
let gemini: FakeGemini;
let bedrock: FakeBedrock;
let key: string;

beforeAll(async () => {
  translated = await startTranslatedFakes();
  ({ anthropic, gemini, bedrock } = translated);
  h = await startHarness({
    credentials: translated.credentials,
    config: ({ upstream, backup }) => ({
      providers: [
        { id: 'primary', type: 'openai', baseUrl: upstream, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        ...translated.providers,
        { id: 'compat', type: 'openai-compatible', baseUrl: backup, accounts: [{ id: 'b', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
      ],
      models: [
        { name: 'gpt-5-codex', targets: [{ provider: 'primary', model: 'gpt-5-codex' }] },
        { name: 'codex-on-claude', targets: [{ provider: 'ant', model: 'claude-sonnet-4-6' }] },
        { name: 'codex-on-gemini', targets: [{ provider: 'gem', model: 'gemini-3-pro-preview' }] },
        { name: 'codex-on-bedrock', targets: [{ provider: 'aws', model: 'anthropic.claude-sonnet-4-5-20250929-v1:0' }] },
        { name: 'codex-on-chat', targets: [{ provider: 'compat', model: 'qwen3-coder' }] },
      ],
    }),
  });
  key = (await h.createKey({ name: 'codex', models: ['*'] })).key;
});
afterAll(async () => {
  await h?.close();
  await translated?.close();
});
beforeEach(() => {
  h.upstream.reset();
  h.backup.reset();
  translated.reset();
  h.health.clear();
});

/** Sends a fixture's body as Codex does (its headers, the gateway key as its bearer token), `model` replaced when given. */
async function sendAsCodex(fixture: CodexFixture, model?: string): Promise<{ status: number; contentType: string | null; text: string; body: CodexBody }> {
  const body = model ? { ...fixture.request.body, model } : fixture.request.body;
  const res = await fetch(`${h.gw.url}${fixture.request.path}`, {
    method: 'POST',
    headers: { ...fixture.request.headers, authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text(), body };
}

/** The items Codex acts on: each `response.output_item.done`'s item. */
const doneItems = (events: SseEvent[]) => events.filter((e) => e.data.type === 'response.output_item.done').map((e) => e.data.item as Record<string, unknown>);

const PATCH = '*** Begin Patch\n*** Add File: VERSION.md\n+1.2.0\n*** End Patch\n';

describe('Codex passed through to OpenAI', () => {
  it.each(FIXTURE_NAMES)('sends the body of %s byte for byte, every item and tool type in it, with the upstream key', async (name) => {
    // Prepare
    const fixture = loadFixture(name);

    // Act
    const res = await sendAsCodex(fixture);

    // Assess
    expect(res.status).toBe(200);
    const sent = h.upstream.requests[0]!;
    expect(sent.path).toBe('/v1/responses');
    expect(sent.rawBody).toBe(JSON.stringify(fixture.request.body));
    expect(sent.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(JSON.stringify(sent.headers)).not.toContain(key);
  });

  it('streams a custom tool call back to Codex event for event, as OpenAI sent it', async () => {
    // Prepare: OpenAI's stream of a reasoning item and an apply_patch call.
    const fixture = loadFixture('codex-first-turn');
    const response = { id: 'resp_1', object: 'response', created_at: 1764300000, status: 'in_progress', model: 'gpt-5-codex', output: [] as unknown[], usage: null };
    const reasoning = { id: 'rs_1', type: 'reasoning', summary: [{ type: 'summary_text', text: '**Adding the file**' }], encrypted_content: 'gAAAAABpKf3c' };
    const call = { id: 'ctc_1', type: 'custom_tool_call', status: 'completed', call_id: 'call_1', name: 'apply_patch', input: PATCH };
    const usage = { input_tokens: 3000, input_tokens_details: { cached_tokens: 2048 }, output_tokens: 120, output_tokens_details: { reasoning_tokens: 64 }, total_tokens: 3120 };
    const upstreamEvents = [
      { type: 'response.created', response },
      { type: 'response.in_progress', response },
      { type: 'response.output_item.added', output_index: 0, item: { ...reasoning, summary: [] } },
      { type: 'response.reasoning_summary_part.added', item_id: 'rs_1', output_index: 0, summary_index: 0, part: { type: 'summary_text', text: '' } },
      { type: 'response.reasoning_summary_text.delta', item_id: 'rs_1', output_index: 0, summary_index: 0, delta: '**Adding the file**' },
      { type: 'response.output_item.done', output_index: 0, item: reasoning },
      { type: 'response.output_item.added', output_index: 1, item: { ...call, status: 'in_progress', input: '' } },
      { type: 'response.custom_tool_call_input.delta', item_id: 'ctc_1', output_index: 1, delta: PATCH },
      { type: 'response.custom_tool_call_input.done', item_id: 'ctc_1', output_index: 1, input: PATCH },
      { type: 'response.output_item.done', output_index: 1, item: call },
      { type: 'response.completed', response: { ...response, status: 'completed', output: [reasoning, call], usage } },
    ].map((e, i) => ({ ...e, sequence_number: i }));
    h.upstream.reply({ kind: 'raw', status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' }, body: upstreamEvents.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`) });

    // Act
    const res = await sendAsCodex(fixture);

    // Assess
    expect(res.status).toBe(200);
    expect(res.contentType).toContain('text/event-stream');
    expect(parseSse(res.text)).toEqual(upstreamEvents.map((e) => ({ event: e.type, data: e })));
  });
});

describe('Codex translated for Anthropic', () => {
  it('offers the freeform apply_patch tool as a function taking the patch as one string, its grammar in the description', async () => {
    // Prepare
    anthropic.reply({ kind: 'text', text: 'Looking.' });

    // Act
    const res = await sendAsCodex(loadFixture('codex-first-turn'), 'codex-on-claude');

    // Assess
    expect(res.status).toBe(200);
    const tools = (anthropic.requests[0]!.body as { tools: { name: string; description: string; input_schema: Record<string, unknown> }[] }).tools;
    expect(tools.map((t) => t.name)).toEqual(['shell', 'update_plan', 'apply_patch', 'view_image']);
    const patchTool = tools[2]!;
    expect(patchTool.input_schema).toEqual({ type: 'object', properties: { input: { type: 'string', description: expect.any(String) } }, required: ['input'] });
    expect(patchTool.description).toContain('FREEFORM');
    expect(patchTool.description).toContain('begin_patch: "*** Begin Patch" LF');
  });

  it("answers a call of apply_patch as Codex's custom_tool_call, with the patch as input, and a shell call as a function_call", async () => {
    // Prepare
    anthropic.reply({
      kind: 'tool_use',
      text: 'Adding the file.',
      calls: [
        { id: 'toolu_01Patch', name: 'apply_patch', input: { input: PATCH } },
        { id: 'toolu_01Shell', name: 'shell', input: { command: ['bash', '-lc', 'npm test'], workdir: '/home/dev/todo-app' } },
      ],
    });

    // Act
    const res = await sendAsCodex(loadFixture('codex-first-turn'), 'codex-on-claude');

    // Assess
    expect(res.status).toBe(200);
    const events = parseSse(res.text);
    expect(events.every((e) => e.event === e.data.type)).toBe(true);
    const items = doneItems(events);
    expect(items.map((i) => i.type)).toEqual(['message', 'custom_tool_call', 'function_call']);
    expect(items[1]).toMatchObject({ type: 'custom_tool_call', call_id: 'toolu_01Patch', name: 'apply_patch', input: PATCH });
    expect(items[1]).not.toHaveProperty('arguments');
    expect(items[2]).toMatchObject({ type: 'function_call', call_id: 'toolu_01Shell', name: 'shell' });
    expect(JSON.parse(items[2]!.arguments as string)).toEqual({ command: ['bash', '-lc', 'npm test'], workdir: '/home/dev/todo-app' });
    const completed = events.at(-1)!.data;
    expect(completed).toMatchObject({ type: 'response.completed', response: { id: expect.stringMatching(/^resp_/), usage: { input_tokens: expect.any(Number), output_tokens: expect.any(Number), total_tokens: expect.any(Number) } } });
    expect((completed.response as { output: unknown[] }).output).toEqual(items);
  });

  it('replays a shell call and its output as tool_use and tool_result, and leaves out the reasoning OpenAI encrypted', async () => {
    // Prepare
    anthropic.reply({ kind: 'text', text: 'I will patch it.' });

    // Act
    const res = await sendAsCodex(loadFixture('codex-after-shell'), 'codex-on-claude');

    // Assess
    expect(res.status).toBe(200);
    const sent = anthropic.requests[0]!;
    expect(sent.rawBody).not.toContain('gAAAAAB');
    // With no thinking of Claude's left in the tool loop, Anthropic would refuse extended thinking: it is off for this turn.
    expect(sent.body).not.toHaveProperty('thinking');
    const messages = (sent.body as { messages: { role: string; content: Record<string, unknown>[] }[] }).messages;
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(messages[1]!.content).toEqual([{ type: 'tool_use', id: 'call_7Qm2XbT1n9LpV4sHcY0dKe3R', name: 'shell', input: { command: ['bash', '-lc', 'sed -n 1,80p src/cli.ts'], workdir: '/home/dev/todo-app' } }]);
    expect(messages[2]!.content).toEqual([expect.objectContaining({ type: 'tool_result', tool_use_id: 'call_7Qm2XbT1n9LpV4sHcY0dKe3R', content: expect.stringContaining('Exit code: 0') })]);
  });

  it('replays an apply_patch custom_tool_call and its output as tool_use with the patch as input, and tool_result', async () => {
    // Prepare
    anthropic.reply({ kind: 'text', text: 'Done.' });

    // Act
    const res = await sendAsCodex(loadFixture('codex-after-apply-patch'), 'codex-on-claude');

    // Assess
    expect(res.status).toBe(200);
    const messages = (anthropic.requests[0]!.body as { messages: { role: string; content: Record<string, unknown>[] }[] }).messages;
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user']);
    const patchInput = loadFixture('codex-after-apply-patch').request.body.input[8]!.input;
    expect(messages[3]!.content).toEqual([
      { type: 'text', text: "I'll add the flag to the parseArgs options and print the version." },
      { type: 'tool_use', id: 'call_Vd8pR2kq0WmZ5tNs1aXcH6Ug', name: 'apply_patch', input: { input: patchInput } },
    ]);
    expect(messages[4]!.content).toEqual([expect.objectContaining({ type: 'tool_result', tool_use_id: 'call_Vd8pR2kq0WmZ5tNs1aXcH6Ug', content: expect.stringContaining('Success. Updated the following files') })]);
  });

  it('is read by the openai client as a custom tool call (responses.stream)', async () => {
    // Prepare
    anthropic.reply({ kind: 'tool_use', calls: [{ id: 'toolu_01Patch', name: 'apply_patch', input: { input: PATCH } }] });
    const { body, headers } = loadFixture('codex-after-apply-patch').request;
    const client = h.openai({ apiKey: key });

    // Act
    const final = await client.responses
      .stream({ ...(body as unknown as OpenAI.Responses.ResponseCreateParamsStreaming), model: 'codex-on-claude' }, { headers: { session_id: headers.session_id!, originator: headers.originator! } })
      .finalResponse();

    // Assess
    expect(final.output).toEqual([expect.objectContaining({ type: 'custom_tool_call', call_id: 'toolu_01Patch', name: 'apply_patch', input: PATCH })]);
  });
});

describe('Codex translated for Gemini', () => {
  it('carries apply_patch both ways: the custom call replayed as a function call, a new call answered as custom_tool_call', async () => {
    // Prepare
    gemini.reply({ kind: 'function_calls', calls: [{ name: 'apply_patch', args: { input: PATCH } }] });

    // Act
    const res = await sendAsCodex(loadFixture('codex-after-apply-patch'), 'codex-on-gemini');

    // Assess
    expect(res.status).toBe(200);
    const sent = gemini.requests[0]!;
    expect(sent.rawBody).not.toContain('gAAAAAB');
    const body = sent.body as { contents: { role: string; parts: Record<string, unknown>[] }[]; tools: { functionDeclarations: { name: string }[] }[] };
    expect(body.tools[0]!.functionDeclarations.map((f) => f.name)).toEqual(['shell', 'update_plan', 'apply_patch', 'view_image']);
    const patchCall = body.contents.flatMap((c) => c.parts).find((p) => (p.functionCall as { name?: string } | undefined)?.name === 'apply_patch');
    expect(patchCall).toMatchObject({ functionCall: { name: 'apply_patch', args: { input: expect.stringContaining('*** Update File: src/cli.ts') } } });
    const items = doneItems(parseSse(res.text));
    expect(items).toEqual([expect.objectContaining({ type: 'custom_tool_call', name: 'apply_patch', input: PATCH })]);
  });
});

describe('Codex translated for Claude on Bedrock (Converse)', () => {
  it('carries apply_patch both ways, streamed: the custom call replayed as a toolUse, a new call answered as custom_tool_call', async () => {
    // Prepare
    bedrock.reply({ kind: 'tool_use', calls: [{ id: 'tooluse_new', name: 'apply_patch', input: { input: PATCH } }] });

    // Act
    const res = await sendAsCodex(loadFixture('codex-after-apply-patch'), 'codex-on-bedrock');

    // Assess
    expect(res.status).toBe(200);
    const sent = bedrock.requests[0]!;
    expect(sent.rawBody).not.toContain('gAAAAAB');
    const body = sent.body as { messages: { content: Record<string, unknown>[] }[]; toolConfig: { tools: { toolSpec?: { name: string } }[] } };
    // The tools list may end with a cachePoint, which has no toolSpec.
    expect(body.toolConfig.tools.flatMap((t) => (t.toolSpec ? [t.toolSpec.name] : []))).toEqual(['shell', 'update_plan', 'apply_patch', 'view_image']);
    const patchUse = body.messages.flatMap((m) => m.content).find((c) => (c.toolUse as { name?: string } | undefined)?.name === 'apply_patch');
    expect(patchUse).toMatchObject({ toolUse: { toolUseId: 'call_Vd8pR2kq0WmZ5tNs1aXcH6Ug', input: { input: expect.stringContaining('*** Update File: src/cli.ts') } } });
    expect(doneItems(parseSse(res.text))).toEqual([expect.objectContaining({ type: 'custom_tool_call', call_id: 'tooluse_new', name: 'apply_patch', input: PATCH })]);
  });
});

describe('Codex translated to Chat Completions (an OpenAI-compatible server)', () => {
  it('carries apply_patch both ways, not streamed: the custom call replayed as a tool call, a new call answered as custom_tool_call', async () => {
    // Prepare
    h.backup.reply({ kind: 'tool_calls', calls: [{ id: 'call_new', name: 'apply_patch', arguments: JSON.stringify({ input: PATCH }) }] });
    const fixture = loadFixture('codex-after-apply-patch');
    fixture.request.body.stream = false;

    // Act
    const res = await sendAsCodex(fixture, 'codex-on-chat');

    // Assess
    expect(res.status).toBe(200);
    const sent = h.backup.requests[0]!;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.rawBody).not.toContain('gAAAAAB');
    const body = sent.body as { messages: { role: string; tool_calls?: { id: string; function: { name: string; arguments: string } }[] }[]; tools: { function: { name: string } }[] };
    expect(body.tools.map((t) => t.function.name)).toEqual(['shell', 'update_plan', 'apply_patch', 'view_image']);
    const patchCall = body.messages.flatMap((m) => m.tool_calls ?? []).find((c) => c.function.name === 'apply_patch')!;
    expect(patchCall.id).toBe('call_Vd8pR2kq0WmZ5tNs1aXcH6Ug');
    expect(JSON.parse(patchCall.function.arguments)).toEqual({ input: fixture.request.body.input[8]!.input });
    const answer = JSON.parse(res.text) as { output: Record<string, unknown>[] };
    expect(answer.output).toEqual([expect.objectContaining({ type: 'custom_tool_call', call_id: 'call_new', name: 'apply_patch', input: PATCH })]);
  });
});

describe("Codex's local_shell tool (codex-mini's shell) translated for Anthropic", () => {
  /** The after-shell turn as codex-mini sends it: the local_shell tool instead of the shell function, the call a local_shell_call. */
  function localShellTurn(): CodexFixture {
    const fixture = loadFixture('codex-after-shell');
    const body = fixture.request.body;
    body.tools = [{ type: 'local_shell' }, ...body.tools.filter((t) => t.name !== 'shell')];
    body.input[4] = { type: 'local_shell_call', call_id: 'call_ls', status: 'completed', action: { type: 'exec', command: ['bash', '-lc', 'sed -n 1,80p src/cli.ts'], working_directory: '/home/dev/todo-app', timeout_ms: 10000, env: {}, user: null } };
    body.input[5] = { type: 'function_call_output', call_id: 'call_ls', output: 'import { parseArgs } from "node:util";' };
    return fixture;
  }

  it('offers it as a local_shell function, replays a local_shell_call as its tool_use, and answers a new call as a local_shell_call', async () => {
    // Prepare
    anthropic.reply({ kind: 'tool_use', calls: [{ id: 'toolu_01Ls', name: 'local_shell', input: { command: ['npm', 'test'], workdir: '/home/dev/todo-app', timeout_ms: 60000 } }] });

    // Act
    const res = await sendAsCodex(localShellTurn(), 'codex-on-claude');

    // Assess
    expect(res.status).toBe(200);
    const sent = anthropic.requests[0]!.body as { tools: { name: string; input_schema: { required: string[] } }[]; messages: { role: string; content: Record<string, unknown>[] }[] };
    expect(sent.tools[0]).toMatchObject({ name: 'local_shell', input_schema: { required: ['command'] } });
    expect(sent.messages[1]!.content).toEqual([{ type: 'tool_use', id: 'call_ls', name: 'local_shell', input: { command: ['bash', '-lc', 'sed -n 1,80p src/cli.ts'], workdir: '/home/dev/todo-app', timeout_ms: 10000 } }]);
    expect(sent.messages[2]!.content).toEqual([expect.objectContaining({ type: 'tool_result', tool_use_id: 'call_ls' })]);
    const items = doneItems(parseSse(res.text));
    expect(items).toEqual([{ id: expect.any(String), type: 'local_shell_call', status: 'completed', call_id: 'toolu_01Ls', action: { type: 'exec', command: ['npm', 'test'], working_directory: '/home/dev/todo-app', timeout_ms: 60000, env: {} } }]);
  });
});

describe('Codex tools and items no translator can serve', () => {
  it.each([['the web_search tool', (b: CodexBody) => b.tools.push({ type: 'web_search' }), 'tools[4].type']])('refuses %s with a 400 naming the field, before any upstream call', async (_what, change, param) => {
    // Prepare
    const fixture = loadFixture('codex-first-turn');
    change(fixture.request.body);

    // Act
    const res = await sendAsCodex(fixture, 'codex-on-claude');

    // Assess
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({ error: { param, code: 'unsupported_parameter', type: 'invalid_request_error' } });
    expect(anthropic.requests).toHaveLength(0);
  });
});

describe('Codex history from an OpenAI model, translated for Anthropic', () => {
  it('leaves out a web_search_call in the history (a session moved from an OpenAI model): the search it records is answered in the messages after it', async () => {
    // Prepare: the history as Codex keeps it, id left out; the findings are in the assistant's answer.
    const fixture = loadFixture('codex-first-turn');
    const input = fixture.request.body.input;
    input.push(
      { type: 'web_search_call', status: 'completed', action: { type: 'search', query: 'node parseArgs' } },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'util.parseArgs is stable since Node 20.' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Use it.' }] },
    );
    anthropic.reply({ kind: 'text', text: 'Done.' });

    // Act
    const res = await sendAsCodex(fixture, 'codex-on-claude');

    // Assess
    expect(res.status).toBe(200);
    const sent = anthropic.requests[0]!.body as { messages: { role: string; content: unknown }[] };
    expect(JSON.stringify(sent.messages)).not.toContain('node parseArgs');
    expect(sent.messages.slice(-2)).toMatchObject([
      { role: 'assistant', content: [{ type: 'text', text: 'util.parseArgs is stable since Node 20.' }] },
      { role: 'user', content: [{ type: 'text', text: 'Use it.' }] },
    ]);
  });
});
