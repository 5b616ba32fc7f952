/**
 * Real Claude Code traffic replayed through the gateway to an Anthropic upstream: the body goes
 * on untouched but for `model`, the betas travel with it, the account's key replaces the
 * client's, and the stream comes back byte for byte.
 */
import Anthropic from '@anthropic-ai/sdk';
import { streamEvents } from '../fakes/anthropic';
import { eventually } from './harness';
import { assembleMessage, FIXTURE_NAMES, loadFixture, recordedUsage, replayHeaders, type Block, type ClaudeCodeFixture, type FixtureName } from './claude-code/fixtures';
import { ANTHROPIC_ROUTES, startStack, UPSTREAM_KEYS, type Stack } from './claude-code/stack';

let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => s.close());
beforeEach(() => s.resetFakes());

const SSE_TYPE = 'text/event-stream; charset=utf-8';

/** Anthropic's recorded answer where the capture has one, else a stream the fake's wire code writes. */
function upstreamSse(fixture: ClaudeCodeFixture): string {
  if (fixture.response) return fixture.response.sse;
  const usage = { input: 5, cacheRead: 21_000, cacheWrite: 400, output: 31 };
  return streamEvents(fixture.request.body.model, [{ type: 'text', text: 'The handler lives in src/app.ts.', chunks: ['The handler', ' lives in', ' src/app.ts.'] }], 'end_turn', usage).join('');
}

/** Answers with exactly these bytes, cut at arbitrary places so the relay cannot rely on event boundaries. */
function replyRaw(sse: string): void {
  const pieces = sse.match(/[\s\S]{1,997}/g) ?? [];
  s.anthropic.reply({ kind: 'raw', status: 200, headers: { 'content-type': SSE_TYPE, 'request-id': 'req_011CRecorded' }, body: pieces });
}

function replay(fixture: ClaudeCodeFixture, auth: 'bearer' | 'x-api-key', body: Record<string, unknown> = fixture.request.body, extraHeaders: Record<string, string> = {}) {
  return fetch(`${s.gw.url}${fixture.request.path}`, {
    method: fixture.request.method,
    headers: { ...replayHeaders(fixture, auth, s.key), ...extraHeaders },
    body: JSON.stringify(body),
  });
}

async function usageOf(requestId: string | null) {
  let found: Record<string, unknown> | undefined;
  await eventually(async () => {
    found = (await s.usage()).find((u) => u.requestId === requestId);
    expect(found).toBeDefined();
  });
  return found!;
}

/** `sentBytes`: the body as the client sent it, when the test wrote it (the SDK orders keys its own way). */
function expectForwardedVerbatim(fixture: ClaudeCodeFixture, sentBytes?: string) {
  const body = fixture.request.body;
  const sent = s.anthropic.requests[0]!;
  const upstreamModel = ANTHROPIC_ROUTES[fixture.request.body.model]!;
  expect(s.anthropic.requests).toHaveLength(1);
  expect(sent.path).toBe('/v1/messages');
  expect(sent.body).toEqual({ ...body, model: upstreamModel });
  // Same key order, same bytes: nothing was re-shaped on the way (a boolean, as a 100 KB diff helps no one).
  if (sentBytes !== undefined) expect(sent.rawBody === sentBytes.replace(`"model":"${body.model}"`, `"model":"${upstreamModel}"`)).toBe(true);
  expect(sent.headers['anthropic-beta']).toBe(fixture.request.headers['anthropic-beta']);
  expect(sent.headers['anthropic-version']).toBe(fixture.request.headers['anthropic-version']);
  expect(sent.headers['x-api-key']).toBe(UPSTREAM_KEYS.anthropic);
  expect(sent.headers.authorization).toBeUndefined();
  expect(JSON.stringify(sent.headers)).not.toContain(s.key);
}

const CASES = FIXTURE_NAMES.flatMap((name) => (['bearer', 'x-api-key'] as const).map((auth) => ({ name, auth })));

describe('Claude Code requests replayed with fetch to an Anthropic target', () => {
  it.each(CASES)('passes $name (key in $auth) through untouched and streams the answer back byte for byte', async ({ name, auth }) => {
    // Prepare
    const fixture = loadFixture(name);
    const sse = upstreamSse(fixture);
    replyRaw(sse);

    // Act
    const res = await replay(fixture, auth);
    const text = await res.text();

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(text).toBe(sse);
    expectForwardedVerbatim(fixture, JSON.stringify(fixture.request.body));
    const recorded = recordedUsage(sse);
    expect(await usageOf(res.headers.get('x-request-id'))).toMatchObject({
      model: fixture.request.body.model,
      provider: 'claude',
      upstreamModel: ANTHROPIC_ROUTES[fixture.request.body.model],
      stream: true,
      status: 200,
      outcome: 'ok',
      inputTokens: recorded.input + recorded.cacheRead + recorded.cacheWrite,
      cacheReadTokens: recorded.cacheRead,
      cacheWriteTokens: recorded.cacheWrite,
      outputTokens: recorded.output,
    });
  });

  it('keeps every cache breakpoint, tool schema keyword and the user id of a later turn', async () => {
    const fixture = loadFixture('cc-1.0.6-tool-loop');
    replyRaw(upstreamSse(fixture));

    await (await replay(fixture, 'bearer')).text();

    const sent = s.anthropic.requests[0]!.body as ClaudeCodeFixture['request']['body'];
    expect(sent.system.map((b) => b.cache_control)).toEqual([{ type: 'ephemeral' }, { type: 'ephemeral' }]);
    const lastAssistant = sent.messages[11]!.content as Block[];
    const lastUser = sent.messages[12]!.content as Block[];
    expect(lastAssistant.at(-1)).toMatchObject({ type: 'tool_use', cache_control: { type: 'ephemeral' } });
    expect(lastUser[0]).toMatchObject({ type: 'tool_result', cache_control: { type: 'ephemeral' } });
    expect((sent.messages[6]!.content as Block[])[0]).toMatchObject({ type: 'tool_result', content: '' });
    expect(sent.tools).toHaveLength(17);
    expect(sent.tools!.every((t) => t.input_schema.$schema === 'http://json-schema.org/draft-07/schema#' && t.input_schema.additionalProperties === false)).toBe(true);
    expect(sent.metadata).toEqual(fixture.request.body.metadata);
  });

  it('streams the first turn to the official SDK, which assembles the recorded message', async () => {
    // Prepare
    const fixture = loadFixture('cc-1.0.6-first-turn');
    const sse = fixture.response!.sse;
    replyRaw(sse);
    const { 'anthropic-version': version, 'x-app': app, 'user-agent': agent } = fixture.request.headers;

    // Act: the call Claude Code makes (beta messages, betas as a parameter, its own headers).
    const stream = s.anthropicClient({ 'anthropic-version': version!, 'x-app': app!, 'user-agent': agent! }).beta.messages.stream({ ...fixture.request.body, betas: fixture.request.headers['anthropic-beta']!.split(',') } as unknown as Anthropic.Beta.MessageCreateParamsStreaming);
    const { response } = await stream.withResponse();
    const message = await stream.finalMessage();

    // Assess
    // The SDK adds fields of its own (parsed_output, stop_details); everything recorded must be there.
    expect(message).toMatchObject(assembleMessage(sse));
    expect(message.content.map((b) => b.type)).toEqual(['text', 'tool_use']);
    expect(message.content[1]).toMatchObject({ type: 'tool_use', id: 'toolu_01UEafksUp39RHzZNEacfsTk', name: 'TodoWrite', input: { todos: expect.arrayContaining([expect.objectContaining({ id: '1' })]) } });
    expect(message.stop_reason).toBe('tool_use');
    expectForwardedVerbatim(fixture);
    expect(await usageOf(response.headers.get('x-request-id'))).toMatchObject({ inputTokens: 4 + 15_032, cacheWriteTokens: 15_032, cacheReadTokens: 0, outputTokens: message.usage.output_tokens });
  });

  it('routes the small fast model of a side request to its own upstream id', async () => {
    const fixture = loadFixture('cc-1.0.6-haiku-title');
    replyRaw(fixture.response!.sse);

    const message = await s.anthropicClient().messages.stream(fixture.request.body as unknown as Anthropic.MessageCreateParamsStreaming).finalMessage();

    expect(message.content).toEqual([{ type: 'text', text: 'Graz Weather App: Simple HTML Single-Page Display' }]);
    expect((s.anthropic.requests[0]!.body as { model: string }).model).toBe('claude-haiku-upstream-id');
  });
});

/** Newer Claude Code: extended thinking, signed thinking blocks in history, context management. */
function withNewerShapes(fixture: ClaudeCodeFixture): Record<string, unknown> {
  const body = fixture.request.body;
  let turn = 0;
  const messages = body.messages.map((m) => {
    if (m.role !== 'assistant') return m;
    turn++;
    const thinking: Block =
      turn === 2
        ? { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB0URj' }
        : { type: 'thinking', thinking: `Turn ${turn}: the user wants a weather page; next I update the todos.`, signature: `ErUBCkYIBRgCIkB${'x'.repeat(40)}${turn}==` };
    return { ...m, content: [thinking, ...(m.content as Block[])] };
  });
  return {
    ...body,
    messages,
    thinking: { type: 'enabled', budget_tokens: 10_000 },
    context_management: { edits: [{ type: 'clear_tool_uses_20250919', trigger: { type: 'input_tokens', value: 30_000 }, keep: { type: 'tool_uses', value: 3 } }] },
  };
}

describe('shapes of newer Claude Code versions', () => {
  it('passes thinking, signed thinking history and context_management through untouched', async () => {
    // Prepare
    const fixture = loadFixture('cc-1.0.6-tool-loop');
    const body = withNewerShapes(fixture);
    const beta = `${fixture.request.headers['anthropic-beta']},context-management-2025-06-27`;
    const usage = { input: 3, cacheRead: 18_418, cacheWrite: 420, output: 57 };
    const sse = streamEvents('claude-sonnet-4-20250514', [{ type: 'thinking', thinking: 'The page exists; summarise it.', signature: 'EqQBCkYIBhgCKkBsig==' }, { type: 'text', text: 'Done.', chunks: ['Done.'] }], 'end_turn', usage).join('');
    replyRaw(sse);

    // Act
    const res = await replay(fixture, 'x-api-key', body, { 'anthropic-beta': beta });
    const text = await res.text();

    // Assess
    expect(res.status).toBe(200);
    expect(text).toBe(sse);
    const sent = s.anthropic.requests[0]!;
    expect(sent.body).toEqual({ ...body, model: 'claude-sonnet-4-upstream-id' });
    expect(sent.headers['anthropic-beta']).toBe(beta);
    expect(assembleMessage(text).content).toEqual([
      { type: 'thinking', thinking: 'The page exists; summarise it.', signature: 'EqQBCkYIBhgCKkBsig==' },
      { type: 'text', text: 'Done.' },
    ]);
  });

  it('gives the SDK the thinking block with its signature', async () => {
    const fixture = loadFixture('cc-1.0.6-tool-loop');
    const sse = streamEvents('claude-sonnet-4-20250514', [{ type: 'thinking', thinking: 'Short thought.', signature: 'SigAbc==' }, { type: 'text', text: 'Answer.', chunks: ['Answer.'] }], 'end_turn', { input: 1, output: 9 }).join('');
    replyRaw(sse);

    const message = await s.anthropicClient().beta.messages.stream(withNewerShapes(fixture) as unknown as Anthropic.Beta.MessageCreateParamsStreaming).finalMessage();

    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'Short thought.', signature: 'SigAbc==' },
      { type: 'text', text: 'Answer.' },
    ]);
  });
});

describe('the other calls Claude Code makes', () => {
  const countBody = (name: FixtureName) => {
    const { model, system, messages, tools } = loadFixture(name).request.body;
    return { model, system, messages, ...(tools ? { tools } : {}) };
  };

  it('forwards count_tokens to the Anthropic target with the betas and returns its count', async () => {
    // Prepare
    const fixture = loadFixture('cc-1.0.6-tool-loop');
    const body = countBody('cc-1.0.6-tool-loop');

    // Act
    const res = await fetch(`${s.gw.url}/v1/messages/count_tokens?beta=true`, { method: 'POST', headers: replayHeaders(fixture, 'bearer', s.key), body: JSON.stringify(body) });

    // Assess: the fake counts ~3.5 characters of the body it received per token.
    const sent = s.anthropic.requests[0]!;
    expect(res.status).toBe(200);
    expect(sent.path).toBe('/v1/messages/count_tokens');
    expect(sent.body).toEqual({ ...body, model: 'claude-sonnet-4-upstream-id' });
    expect(sent.headers['x-api-key']).toBe(UPSTREAM_KEYS.anthropic);
    expect(sent.headers['anthropic-beta']).toBe(fixture.request.headers['anthropic-beta']);
    expect(await res.json()).toEqual({ input_tokens: Math.ceil(sent.rawBody.length / 3.5) });
  });

  it('counts tokens for the official SDK the same way', async () => {
    const body = countBody('cc-1.0.6-first-turn');

    const counted = await s.anthropicClient().messages.countTokens(body as unknown as Anthropic.MessageCountTokensParams);

    expect(counted).toEqual({ input_tokens: Math.ceil(s.anthropic.requests[0]!.rawBody.length / 3.5) });
  });

  it("lists models in Anthropic's shape, the small fast model included", async () => {
    const res = await fetch(`${s.gw.url}/v1/models?limit=1000`, { headers: { 'x-api-key': s.key, 'anthropic-version': '2023-06-01', 'user-agent': 'claude-cli/1.0.6 (external, cli)' } });
    const list = (await res.json()) as { data: { type: string; id: string; display_name: string; created_at: string }[]; has_more: boolean; first_id: string; last_id: string };

    expect(res.status).toBe(200);
    expect(list.data.map((m) => m.id)).toEqual(expect.arrayContaining(Object.keys(ANTHROPIC_ROUTES)));
    expect(list.data.every((m) => m.type === 'model' && m.display_name !== '' && !Number.isNaN(Date.parse(m.created_at)))).toBe(true);
    expect(list).toMatchObject({ has_more: false, first_id: list.data[0]!.id, last_id: list.data.at(-1)!.id });
    const ids: string[] = [];
    for await (const model of s.anthropicClient().models.list({ limit: 1000 })) ids.push(model.id);
    expect(ids).toContain('claude-3-5-haiku-20241022');
  });

  it('answers the HEAD / probe with 200', async () => {
    const res = await fetch(`${s.gw.url}/`, { method: 'HEAD' });

    expect(res.status).toBe(200);
  });

});
