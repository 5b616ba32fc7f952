/**
 * Zed and opencode pointed at the gateway. Zed is Rust: the bodies its OpenAI and Anthropic
 * providers build (test/fixtures/zed, reconstructed from its source) are sent as Zed sends them,
 * and the stream is read as Zed reads it (its serde types, strictly: a chunk Zed cannot parse is
 * an error it shows). opencode drives the Vercel AI SDK: its calls are made with the SDK packages
 * and the providerOptions and message options opencode's `ProviderTransform` sets. Each against
 * a passthrough target and the translated ones, streamed and not where the client does both,
 * with the usage record checked.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, jsonSchema, stepCountIs, streamText, tool, type ModelMessage } from 'ai';
import OpenAI from 'openai';
import { PNG_BASE64 } from './matrix/scenario';
import { hasToolResult, RIG_MODELS as M, callerRigForSuite, type Upstream } from './caller-rig';

(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

const rig = callerRigForSuite();

type FixtureName = 'openai-chat-after-tool' | 'anthropic-after-tool';
interface ZedFixture {
  request: { method: string; path: string; headers: Record<string, string>; body: Record<string, unknown> & { messages: Record<string, unknown>[] } };
}

/** A fresh copy each call, its model set, so a test that changes its body cannot affect another. */
function loadFixture(name: FixtureName, model: string): ZedFixture {
  const text = readFileSync(path.join(__dirname, '../fixtures/zed', `${name}.json`), 'utf8')
    .replace('"MODEL"', JSON.stringify(model))
    // A signature of Claude's shape: the Anthropic fake refuses any other, as Anthropic does.
    .replace('"SIGNATURE"', '"EqQBCkgIBRABGAIiQLm5ZedThinkingSignature"');
  return JSON.parse(text) as ZedFixture;
}

/** Sends a body as Zed does: its headers, the gateway key where Zed puts its API key. */
async function sendAsZed(fixture: ZedFixture, key: string, body: Record<string, unknown> = fixture.request.body): Promise<{ status: number; text: string }> {
  const headers = Object.fromEntries(
    Object.entries(fixture.request.headers).map(([name, value]) => [name, value === '[REDACTED]' ? key : value === 'Bearer [REDACTED]' ? `Bearer ${key}` : value]),
  );
  const res = await fetch(`${rig.gw.url}${fixture.request.path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

const isCount = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Zed's reading of a Chat Completions stream (`open_ai::stream_completion`): each line that starts
 * `data: ` or `data:`, but `[DONE]`, must parse as `ResponseStreamEvent` (`choices` an array, each
 * choice with an `index`, each tool-call chunk with an `index`; `usage` null or all three counts)
 * or as an error; anything else is an error Zed shows.
 */
function readAsZedChat(text: string): { text: string; toolCalls: { name: string; arguments: string }[]; usage?: Record<string, number>; finish?: string; failures: string[] } {
  let answer = '';
  const calls = new Map<number, { name: string; arguments: string }>();
  let usage: Record<string, number> | undefined;
  let finish: string | undefined;
  const failures: string[] = [];
  for (const line of text.split('\n')) {
    const data = line.startsWith('data: ') ? line.slice(6) : line.startsWith('data:') ? line.slice(5) : undefined;
    if (data === undefined || data === '[DONE]') continue;
    const event = JSON.parse(data) as Record<string, unknown>;
    const { choices } = event;
    const usageOk = event.usage == null || (isRecord(event.usage) && ['prompt_tokens', 'completion_tokens', 'total_tokens'].every((k) => isCount((event.usage as Record<string, unknown>)[k])));
    const choicesOk = Array.isArray(choices) && choices.every((c) => isRecord(c) && isCount(c.index) && (c.delta == null || isRecord(c.delta)));
    if (!choicesOk || !usageOk) {
      failures.push(isRecord(event.error) && typeof event.error.message === 'string' ? `error: ${event.error.message}` : `unparsable: ${data}`);
      continue;
    }
    if (event.usage) usage = event.usage as Record<string, number>;
    for (const choice of choices as Record<string, unknown>[]) {
      if (typeof choice.finish_reason === 'string') finish = choice.finish_reason;
      const delta = (choice.delta ?? {}) as { content?: string | null; tool_calls?: Record<string, unknown>[] };
      if (delta.content) answer += delta.content;
      for (const chunk of delta.tool_calls ?? []) {
        if (!isCount(chunk.index)) {
          failures.push(`tool call chunk without an index: ${data}`);
          continue;
        }
        const call = calls.get(chunk.index as number) ?? { name: '', arguments: '' };
        const fn = (chunk.function ?? {}) as { name?: string; arguments?: string };
        call.name += fn.name ?? '';
        call.arguments += fn.arguments ?? '';
        calls.set(chunk.index as number, call);
      }
    }
  }
  return { text: answer, toolCalls: [...calls.values()], ...(usage ? { usage } : {}), ...(finish ? { finish } : {}), failures };
}

const ZED_CONTENT_BLOCKS: Record<string, string[]> = { text: ['text'], thinking: ['thinking'], redacted_thinking: ['data'], tool_use: ['id', 'name', 'input'] };
const ZED_DELTAS: Record<string, string> = { text_delta: 'text', thinking_delta: 'thinking', signature_delta: 'signature', input_json_delta: 'partial_json' };

/** Why Zed's `anthropic::Event` would not parse `e`, or undefined when it would. */
function zedEventFault(e: Record<string, unknown>): string | undefined {
  switch (e.type) {
    case 'message_start': {
      const m = e.message;
      return isRecord(m) && ['id', 'type', 'role', 'content', 'model', 'usage'].every((k) => k in m) && Array.isArray(m.content) ? undefined : 'message_start.message lacks a field';
    }
    case 'content_block_start': {
      const block = e.content_block;
      const fields = isRecord(block) ? ZED_CONTENT_BLOCKS[block.type as string] : undefined;
      return isCount(e.index) && fields && fields.every((k) => k in (block as Record<string, unknown>)) ? undefined : 'content_block_start of an unknown block';
    }
    case 'content_block_delta': {
      const delta = e.delta;
      const field = isRecord(delta) ? ZED_DELTAS[delta.type as string] : undefined;
      return isCount(e.index) && field && typeof (delta as Record<string, unknown>)[field] === 'string' ? undefined : 'content_block_delta of an unknown delta';
    }
    case 'content_block_stop':
      return isCount(e.index) ? undefined : 'content_block_stop without an index';
    case 'message_delta':
      return isRecord(e.delta) && isRecord(e.usage) ? undefined : 'message_delta without delta and usage';
    case 'message_stop':
    case 'ping':
      return undefined;
    case 'error':
      return isRecord(e.error) && typeof e.error.type === 'string' && typeof e.error.message === 'string' ? `error: ${e.error.message as string}` : 'error without type and message';
    default:
      return `unknown event ${String(e.type)}`;
  }
}

/**
 * Zed's reading of a Messages stream (`anthropic::stream_completion_with_rate_limit_info`): each
 * line that starts `data: ` (with the space) must parse as one of `anthropic::Event`'s variants.
 */
function readAsZedAnthropic(text: string): { text: string; thinking: string; toolInputs: string[]; usage: Record<string, number>; stop?: string; failures: string[] } {
  let answer = '';
  let thinking = '';
  const toolInputs = new Map<number, string>();
  const usage: Record<string, number> = {};
  let stop: string | undefined;
  const failures: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('data: ')) continue;
    const e = JSON.parse(line.slice(6)) as Record<string, unknown>;
    const fault = zedEventFault(e);
    if (fault) {
      failures.push(fault);
      continue;
    }
    const take = (u: unknown) => {
      if (isRecord(u)) for (const [k, v] of Object.entries(u)) if (typeof v === 'number') usage[k] = v;
    };
    if (e.type === 'message_start') take((e.message as Record<string, unknown>).usage);
    if (e.type === 'message_delta') {
      take(e.usage);
      const reason = (e.delta as Record<string, unknown>).stop_reason;
      if (typeof reason === 'string') stop = reason;
    }
    if (e.type === 'content_block_start' && (e.content_block as Record<string, unknown>).type === 'tool_use') toolInputs.set(e.index as number, '');
    if (e.type === 'content_block_delta') {
      const delta = e.delta as Record<string, string>;
      if (delta.type === 'text_delta') answer += delta.text;
      if (delta.type === 'thinking_delta') thinking += delta.thinking;
      if (delta.type === 'input_json_delta') toolInputs.set(e.index as number, (toolInputs.get(e.index as number) ?? '') + delta.partial_json);
    }
  }
  return { text: answer, thinking, toolInputs: [...toolInputs.values()], usage, ...(stop ? { stop } : {}), failures };
}

interface ZedRoute {
  name: string;
  model: string;
  upstream: Upstream;
}
const ZED_OPENAI_ROUTES: ZedRoute[] = [
  { name: 'OpenAI, passed through', model: M.reasoningGpt, upstream: 'openai' },
  { name: 'Claude on Anthropic, translated', model: M.claude, upstream: 'anthropic' },
  { name: 'Gemini, translated', model: M.gemini, upstream: 'gemini' },
];
const ZED_ANTHROPIC_ROUTES: ZedRoute[] = [
  { name: 'Claude on Anthropic, passed through', model: M.claude, upstream: 'anthropic' },
  { name: 'OpenAI, translated', model: M.reasoningGpt, upstream: 'openai' },
  { name: 'Gemini, translated', model: M.gemini, upstream: 'gemini' },
];

/** The one request the upstream received, its body. */
const sentBody = (upstream: Upstream) => {
  expect(rig.fakes[upstream].requests).toHaveLength(1);
  return rig.fakes[upstream].requests[0]!.body as Record<string, unknown>;
};

describe("Zed's OpenAI provider (Chat Completions, always streamed)", () => {
  it.each(ZED_OPENAI_ROUTES)('answers its tool-loop turn on $name with a stream Zed parses, the usage chunk whole, and a usage record', async ({ model, upstream }) => {
    // Prepare
    const { id, key } = await rig.freshKey();
    rig.replyText(upstream, 'It says 1.2.0.');
    const fixture = loadFixture('openai-chat-after-tool', model);

    // Act
    const res = await sendAsZed(fixture, key);

    // Assess
    expect(res.status).toBe(200);
    const read = readAsZedChat(res.text);
    expect(read.failures).toEqual([]);
    expect(read.text).toBe('It says 1.2.0.');
    expect(read.finish).toBe('stop');
    expect(read.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 });
    expect(res.text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    if (upstream === 'openai') expect(rig.fakes.openai.requests[0]!.rawBody).toBe(JSON.stringify(fixture.request.body));
    else expect(hasToolResult(sentBody(upstream))).toBe(true);
    const [record] = await rig.usage(id, 1);
    expect(record).toMatchObject({ surface: 'openai', stream: true, outcome: 'ok', inputTokens: 11, outputTokens: 7 });
  });

  it.each(ZED_OPENAI_ROUTES)('streams a tool call on $name in chunks Zed assembles: each with its index, the name, the arguments whole', async ({ model, upstream }) => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.replyToolLoop(upstream);
    const fixture = loadFixture('openai-chat-after-tool', model);
    const body = { ...fixture.request.body, messages: fixture.request.body.messages.slice(0, 2) };

    // Act
    const res = await sendAsZed(fixture, key, body);

    // Assess
    expect(res.status).toBe(200);
    const read = readAsZedChat(res.text);
    expect(read.failures).toEqual([]);
    expect(read.toolCalls).toEqual([{ name: 'weather', arguments: expect.any(String) }]);
    expect(JSON.parse(read.toolCalls[0]!.arguments)).toEqual({ city: 'Oslo' });
    expect(read.finish).toBe('tool_calls');
  });

  it.each(ZED_OPENAI_ROUTES)('ends a stream $name broke after the first bytes with an error event Zed reads as an error, not a parse failure', async ({ model, upstream }) => {
    // Prepare
    const { key } = await rig.freshKey();
    if (upstream === 'openai') rig.fakes.openai.reply({ kind: 'stream-error', afterChunks: 2, error: { message: 'The server had an error while processing your request.', type: 'server_error' } });
    if (upstream === 'anthropic') rig.fakes.anthropic.reply({ kind: 'stream-error', afterEvents: 4, message: 'Overloaded' });
    if (upstream === 'gemini') rig.fakes.gemini.reply({ kind: 'stream-error', afterEvents: 1, error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } });
    const fixture = loadFixture('openai-chat-after-tool', model);

    // Act
    const res = await sendAsZed(fixture, key);

    // Assess
    expect(res.status).toBe(200);
    const { failures } = readAsZedChat(res.text);
    expect(failures).toEqual([expect.stringMatching(/^error: ./)]);
  });

  it.each(ZED_OPENAI_ROUTES.slice(1))("thinks as hard as there is on $name for the reasoning_effort 'xhigh' Zed's settings allow", async ({ model, upstream }) => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.replyText(upstream, 'It says 1.2.0.');
    const fixture = loadFixture('openai-chat-after-tool', model);

    // Act
    // The first turn: after a call whose thinking Chat Completions could not carry, Claude's thinking
    // is left off. Room above high's thinking budget (16,384) and the answer's, so it goes whole.
    const body = { ...fixture.request.body, messages: fixture.request.body.messages.slice(0, 2), reasoning_effort: 'xhigh', max_completion_tokens: 32768 };
    const res = await sendAsZed(fixture, key, body);

    // Assess
    expect(res.status).toBe(200);
    expect(readAsZedChat(res.text)).toMatchObject({ text: 'It says 1.2.0.', failures: [] });
    const sent = sentBody(upstream) as { thinking?: unknown; generationConfig?: { thinkingConfig?: unknown } };
    if (upstream === 'anthropic') expect(sent.thinking).toMatchObject({ type: 'enabled' });
    else expect(sent.generationConfig?.thinkingConfig).toBeDefined();
  });

  it("sends the reasoning_effort 'xhigh' to OpenAI untouched when passed through, for OpenAI to read", async () => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.replyText('openai', 'It says 1.2.0.');
    const fixture = loadFixture('openai-chat-after-tool', M.reasoningGpt);

    // Act
    const res = await sendAsZed(fixture, key, { ...fixture.request.body, reasoning_effort: 'xhigh' });

    // Assess
    expect(res.status).toBe(200);
    expect(sentBody('openai')).toMatchObject({ reasoning_effort: 'xhigh' });
  });

  it("relays OpenAI's own refusal of that image when passed through, naming the message, as Zed would get it from OpenAI", async () => {
    // Prepare
    const { key } = await rig.freshKey();
    const fixture = loadFixture('openai-chat-after-tool', M.reasoningGpt);
    const messages = fixture.request.body.messages.slice(0, 3);
    messages.push({ role: 'tool', content: [{ type: 'text', text: 'pixel.png:' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_BASE64}` } }], tool_call_id: 'call_zed_1' });

    // Act
    const res = await sendAsZed(fixture, key, { ...fixture.request.body, messages });

    // Assess
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({ error: { type: 'invalid_request_error', message: expect.stringContaining("Invalid 'messages[3]'. Image URLs are only allowed for messages with role 'user'") } });
    expect(rig.fakes.openai.requests).toHaveLength(1);
  });

  it.each(ZED_OPENAI_ROUTES.slice(1))('carries an image a tool returned (read_file of a PNG: text and image_url parts in the tool message) to $name', async ({ model, upstream }) => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.replyText(upstream, 'A single pixel.');
    const fixture = loadFixture('openai-chat-after-tool', model);
    const messages = fixture.request.body.messages.slice(0, 3);
    messages.push({ role: 'tool', content: [{ type: 'text', text: 'pixel.png:' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_BASE64}` } }], tool_call_id: 'call_zed_1' });

    // Act
    const res = await sendAsZed(fixture, key, { ...fixture.request.body, messages });

    // Assess
    expect(res.status).toBe(200);
    expect(readAsZedChat(res.text)).toMatchObject({ text: 'A single pixel.', failures: [] });
    expect(JSON.stringify(sentBody(upstream))).toContain(PNG_BASE64);
  });
});

describe("Zed's Anthropic provider (Messages, always streamed)", () => {
  it.each(ZED_ANTHROPIC_ROUTES)('answers its tool-loop turn on $name with a stream Zed parses, and a usage record', async ({ model, upstream }) => {
    // Prepare
    const { id, key } = await rig.freshKey();
    rig.replyText(upstream, 'It says 1.2.0.');
    const fixture = loadFixture('anthropic-after-tool', model);

    // Act
    const res = await sendAsZed(fixture, key);

    // Assess
    expect(res.status).toBe(200);
    const read = readAsZedAnthropic(res.text);
    expect(read.failures).toEqual([]);
    expect(read.text).toBe('It says 1.2.0.');
    expect(read.stop).toBe('end_turn');
    expect(read.usage).toMatchObject({ input_tokens: 11, output_tokens: 7 });
    const sent = rig.fakes[upstream].requests[0]!;
    if (upstream === 'anthropic') {
      expect(sent.rawBody).toBe(JSON.stringify(fixture.request.body));
      expect(sent.headers['anthropic-beta']).toBe('prompt-caching-2024-07-31');
    } else {
      expect(hasToolResult(sent.body)).toBe(true);
      expect(JSON.stringify(sent.headers)).not.toContain('prompt-caching');
    }
    const [record] = await rig.usage(id, 1);
    expect(record).toMatchObject({ surface: 'anthropic', stream: true, outcome: 'ok', inputTokens: 11, outputTokens: 7 });
  });

  it.each(ZED_ANTHROPIC_ROUTES)('streams a tool call on $name as events Zed parses, the input whole', async ({ model, upstream }) => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.replyToolLoop(upstream);
    const fixture = loadFixture('anthropic-after-tool', model);
    const body = { ...fixture.request.body, messages: fixture.request.body.messages.slice(0, 1) };

    // Act
    const res = await sendAsZed(fixture, key, body);

    // Assess
    expect(res.status).toBe(200);
    const read = readAsZedAnthropic(res.text);
    expect(read.failures).toEqual([]);
    expect(read.toolInputs.map((i) => JSON.parse(i) as unknown)).toEqual([{ city: 'Oslo' }]);
    expect(read.stop).toBe('tool_use');
  });

  it.each(ZED_ANTHROPIC_ROUTES)('ends a stream $name broke after the first bytes with an error event Zed reads as an error, not a parse failure', async ({ model, upstream }) => {
    // Prepare
    const { key } = await rig.freshKey();
    if (upstream === 'openai') rig.fakes.openai.reply({ kind: 'stream-error', afterChunks: 2, error: { message: 'The server had an error while processing your request.', type: 'server_error' } });
    if (upstream === 'anthropic') rig.fakes.anthropic.reply({ kind: 'stream-error', afterEvents: 4, message: 'Overloaded' });
    if (upstream === 'gemini') rig.fakes.gemini.reply({ kind: 'stream-error', afterEvents: 1, error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } });
    const fixture = loadFixture('anthropic-after-tool', model);

    // Act
    const res = await sendAsZed(fixture, key);

    // Assess
    expect(res.status).toBe(200);
    const { failures } = readAsZedAnthropic(res.text);
    expect(failures).toEqual([expect.stringMatching(/^error: ./)]);
  });

  it.each(ZED_ANTHROPIC_ROUTES)('carries an image a tool returned (a tool_result holding an image block) to $name', async ({ model, upstream }) => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.replyText(upstream, 'A single pixel.');
    const fixture = loadFixture('anthropic-after-tool', model);
    const messages = fixture.request.body.messages.slice(0, 2);
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01ZedRead', is_error: false, content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_BASE64 } }], cache_control: { type: 'ephemeral' } }] });

    // Act
    const res = await sendAsZed(fixture, key, { ...fixture.request.body, messages });

    // Assess
    expect(res.status).toBe(200);
    expect(readAsZedAnthropic(res.text)).toMatchObject({ text: 'A single pixel.', failures: [] });
    expect(JSON.stringify(sentBody(upstream))).toContain(PNG_BASE64);
  });

  // Claude's thinking comes with its signature, which Zed sends back in a thinking block. Gemini's
  // signature rides on its call, for which a tool_use block has no field: Zed, which sends back
  // only signed thinking, sends the call alone, and it reaches Gemini 3 with Google's stand-in.
  it.each([
    { name: 'Claude on Anthropic, passed through', model: M.claude, signed: true, callSignature: undefined },
    { name: 'Gemini 3, translated', model: M.gemini3, signed: false, callSignature: 'skip_thought_signature_validator' },
  ])('runs a thinking tool loop on $name, the second turn built as Zed builds it from the first stream', async ({ model, signed, callSignature }) => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.fakes.anthropic.reply((req) => (hasToolResult(req.body) ? { kind: 'text', text: 'Oslo is 4°C.' } : { kind: 'tool_use', thinking: { thinking: 'Look it up.' }, calls: [{ id: 'toolu_01Zed', name: 'weather', input: { city: 'Oslo' } }] }));
    rig.fakes.gemini.reply((req) =>
      hasToolResult(req.body) ? { kind: 'text', text: 'Oslo is 4°C.' } : { kind: 'function_calls', thoughts: 'Look it up.', calls: [{ name: 'weather', args: { city: 'Oslo' }, thoughtSignature: 'R2VtaW5pU2lnMQ==' }] },
    );
    const fixture = loadFixture('anthropic-after-tool', model);
    const first = { ...fixture.request.body, messages: [{ role: 'user', content: [{ type: 'text', text: 'Weather in Oslo?' }] }] };

    // Act: the first turn, then the second as Zed builds it from what it read.
    const one = await sendAsZed(fixture, key, first);
    const events = one.text
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)) as Record<string, any>); // `any`: SSE events of several shapes, read by the fields Zed reads
    const thinking = events.filter((e) => e.delta?.type === 'thinking_delta').map((e) => e.delta.thinking as string).join('');
    const signature = events.filter((e) => e.delta?.type === 'signature_delta').map((e) => e.delta.signature as string).join('');
    const use = events.find((e) => e.content_block?.type === 'tool_use')!.content_block as { id: string; name: string };
    const input = events.filter((e) => e.delta?.type === 'input_json_delta').map((e) => e.delta.partial_json as string).join('');
    const second = {
      ...first,
      messages: [
        ...first.messages,
        // `to_anthropic_content`: a thinking block only with its signature.
        { role: 'assistant', content: [...(signature ? [{ type: 'thinking', thinking, signature }] : []), { type: 'tool_use', id: use.id, name: use.name, input: JSON.parse(input) as unknown }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, is_error: false, content: '{"celsius":4}', cache_control: { type: 'ephemeral' } }] },
      ],
    };
    const two = await sendAsZed(fixture, key, second);

    // Assess: the fakes refuse a thinking block or call whose signature is not their own.
    expect(one.status).toBe(200);
    expect(thinking).toBe('Look it up.');
    expect(signature !== '').toBe(signed);
    expect(two.status).toBe(200);
    expect(readAsZedAnthropic(two.text)).toMatchObject({ text: 'Oslo is 4°C.', failures: [] });
    if (callSignature) {
      const history = (rig.fakes.gemini.requests[1]!.body as { contents: { parts: Record<string, unknown>[] }[] }).contents.flatMap((c) => c.parts);
      expect(history.find((p) => p.functionCall !== undefined)).toMatchObject({ thoughtSignature: callSignature });
    }
  });

  it.each(ZED_ANTHROPIC_ROUTES)("takes Zed's newer fields on $name: adaptive thinking with output_config.effort, eager_input_streaming on tools, tool_choice none", async ({ model, upstream }) => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.replyText(upstream, 'Fine.');
    const fixture = loadFixture('anthropic-after-tool', model);
    const tools = (fixture.request.body.tools as Record<string, unknown>[]).map((t) => ({ ...t, eager_input_streaming: true }));
    const body = { ...fixture.request.body, thinking: { type: 'adaptive' }, output_config: { effort: 'high' }, tools, tool_choice: { type: 'none' } };

    // Act
    const res = await sendAsZed(fixture, key, body);

    // Assess
    expect(res.status).toBe(200);
    expect(readAsZedAnthropic(res.text)).toMatchObject({ text: 'Fine.', failures: [] });
  });
});

describe("Zed's OpenAI provider on a model without Chat Completions (Responses, store: false)", () => {
  /**
   * `into_open_ai_response` (crates/open_ai/src/completion.rs): message items typed `message`, the
   * assistant's text as `output_text` with empty `annotations` and its `phase`, calls without an
   * item id, a tool's image in the output as a list of `input_text` and `input_image`, the
   * encrypted reasoning asked for, summaries on, the thread as the cache key.
   */
  function zedResponsesBody(model: string): Record<string, unknown> {
    return {
      model,
      input: [
        { type: 'message', role: 'system', content: [{ type: 'input_text', text: 'You are a highly skilled software engineer.' }] },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'What is in pixel.png?' }] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Reading it.', annotations: [] }], phase: 'commentary' },
        { type: 'function_call', call_id: 'call_zed_2', name: 'read_file', arguments: '{"path":"pixel.png"}' },
        { type: 'function_call_output', call_id: 'call_zed_2', output: [{ type: 'input_text', text: 'pixel.png:' }, { type: 'input_image', image_url: `data:image/png;base64,${PNG_BASE64}` }] },
      ],
      store: false,
      include: ['reasoning.encrypted_content'],
      stream: true,
      temperature: 1.0,
      max_output_tokens: 16384,
      parallel_tool_calls: false,
      tools: [{ type: 'function', name: 'read_file', description: 'Reads the content of the given file in the project.', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } }],
      prompt_cache_key: '0d5c2a3e-9f1b-4c7e-8a21-6b3f0e9d4c11',
      reasoning: { effort: 'medium', summary: 'auto' },
    };
  }

  it.each(ZED_OPENAI_ROUTES)('answers on $name with events Zed reads, the image carried, and a usage record', async ({ model, upstream }) => {
    // Prepare
    const { id, key } = await rig.freshKey();
    rig.replyText(upstream, 'A single pixel.');
    const body = zedResponsesBody(model);

    // Act
    const res = await fetch(`${rig.baseURL}/responses`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(body) });
    const text = await res.text();

    // Assess
    expect(res.status).toBe(200);
    const events = text
      .split('\n')
      .filter((l) => l.startsWith('data:'))
      .map((l) => JSON.parse(l.slice(5)) as { type: string; delta?: string; response?: { usage?: Record<string, number> } });
    expect(events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('')).toBe('A single pixel.');
    expect(events.find((e) => e.type === 'response.completed')?.response?.usage).toMatchObject({ input_tokens: 11, output_tokens: 7, total_tokens: 18 });
    expect(JSON.stringify(sentBody(upstream))).toContain(PNG_BASE64);
    const [record] = await rig.usage(id, 1);
    expect(record).toMatchObject({ surface: 'openai-responses', stream: true, outcome: 'ok', inputTokens: 11, outputTokens: 7 });
  });
});

/** A message with each `providerOptions.openai.itemId` left out, as opencode does when `store` is not on. */
function stripItemIds(message: ModelMessage): ModelMessage {
  const strip = (options: unknown) => {
    if (!isRecord(options) || !isRecord(options.openai) || !('itemId' in options.openai)) return options;
    const { itemId: _dropped, ...openai } = options.openai;
    return { ...options, openai };
  };
  if (!Array.isArray(message.content)) return message;
  const parts = message.content as { providerOptions?: unknown }[];
  return { ...message, content: parts.map((part) => ({ ...part, providerOptions: strip(part.providerOptions) })) } as ModelMessage;
}

/** opencode's SDK providers pointed at the gateway, as a user's `provider` entry in opencode.json makes them. */
function opencodeProviders(key: string) {
  const options = { apiKey: key, baseURL: rig.baseURL };
  return {
    openai: createOpenAI(options),
    // opencode's openai-compatible providers send usage in the stream (`includeUsage`).
    compatible: createOpenAICompatible({ name: 'aigw', ...options, includeUsage: true }),
  };
}

/**
 * What `ProviderTransform.options` and `providerOptions` give an `@ai-sdk/openai` model with
 * reasoning (a gpt-5 id, or any model marked as reasoning): store off, the session as the cache
 * key, medium effort with summaries, the encrypted reasoning back, low verbosity, and
 * `forceReasoning` so the SDK sends reasoning for an id it does not know.
 */
const OPENCODE_OPENAI_OPTIONS: { store: boolean; promptCacheKey: string; reasoningEffort: string; reasoningSummary: string; include: string[]; textVerbosity: string; forceReasoning: boolean } = {
  store: false,
  promptCacheKey: 'ses_5f2a9c1e7ffeq3Zr0opencode',
  reasoningEffort: 'medium',
  reasoningSummary: 'auto',
  include: ['reasoning.encrypted_content'],
  textVerbosity: 'low',
  forceReasoning: true,
};

const weather = tool({
  description: 'The weather in a city',
  inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }),
  execute: async ({ city }) => ({ city, celsius: 4 }),
});

describe("opencode's @ai-sdk/openai provider (Responses) with its providerOptions", () => {
  it.each([false, true])('passes every option to OpenAI untouched (streamed: %s)', async (streamed) => {
    // Prepare
    const { id, key } = await rig.freshKey();
    rig.fakes.openai.reply({ kind: 'text', text: 'Done.', usage: { prompt: 11, completion: 7, reasoning: 3 } });
    const call = { model: opencodeProviders(key).openai(M.reasoningGpt), system: 'You are opencode.', prompt: 'Hi', providerOptions: { openai: OPENCODE_OPENAI_OPTIONS }, maxRetries: 0 };

    // Act
    const result = streamed ? streamText(call) : await generateText(call);

    // Assess
    expect(await result.text).toBe('Done.');
    expect(sentBody('openai')).toMatchObject({
      store: false,
      prompt_cache_key: OPENCODE_OPENAI_OPTIONS.promptCacheKey,
      reasoning: { effort: 'medium', summary: 'auto' },
      include: ['reasoning.encrypted_content'],
      text: { verbosity: 'low' },
    });
    expect(await rig.usage(id, 1)).toEqual([expect.objectContaining({ surface: 'openai-responses', outcome: 'ok', inputTokens: 11, outputTokens: 7, reasoningTokens: 3 })]);
  });

  it.each([
    { target: 'Claude on Anthropic', model: M.claude, upstream: 'anthropic' as const },
    { target: 'Gemini', model: M.gemini, upstream: 'gemini' as const },
  ])('takes the same options to $target, translated, streamed and not, and records the usage', async ({ model, upstream }) => {
    for (const streamed of [false, true]) {
      // Prepare
      rig.reset();
      const { id, key } = await rig.freshKey();
      rig.replyText(upstream, 'Done.');
      const call = { model: opencodeProviders(key).openai(model), system: 'You are opencode.', prompt: 'Hi', maxOutputTokens: 32000, providerOptions: { openai: OPENCODE_OPENAI_OPTIONS }, maxRetries: 0 };

      // Act
      const result = streamed ? streamText(call) : await generateText(call);

      // Assess
      expect(await result.text).toBe('Done.');
      expect(await result.usage).toMatchObject({ inputTokens: 11, outputTokens: 7 });
      const sent = JSON.stringify(sentBody(upstream));
      expect(sent).not.toContain('prompt_cache_key');
      expect(sent).not.toContain('verbosity');
      expect(await rig.usage(id, 1)).toEqual([expect.objectContaining({ surface: 'openai-responses', stream: streamed, outcome: 'ok', inputTokens: 11, outputTokens: 7 })]);
    }
  });

  it.each([
    { target: 'Claude on Anthropic', model: M.claude },
    { target: 'Gemini 3', model: M.gemini3 },
  ])("sends $target its reasoning back through a tool loop, as opencode does with store: false (the item's encrypted content, no item id)", async ({ model }) => {
    for (const streamed of [false, true]) {
      // Prepare
      rig.reset();
      const { key } = await rig.freshKey();
      rig.fakes.anthropic.reply((req) =>
        hasToolResult(req.body) ? { kind: 'text', text: 'Oslo is 4°C.' } : { kind: 'tool_use', thinking: { thinking: 'Look it up.' }, calls: [{ name: 'weather', input: { city: 'Oslo' } }] },
      );
      rig.fakes.gemini.reply((req) =>
        hasToolResult(req.body) ? { kind: 'text', text: 'Oslo is 4°C.' } : { kind: 'function_calls', thoughts: 'Look it up.', calls: [{ name: 'weather', args: { city: 'Oslo' }, thoughtSignature: 'R2VtaW5pU2lnMQ==' }] },
      );
      const call = { model: opencodeProviders(key).openai(model), prompt: 'Weather in Oslo?', tools: { weather }, stopWhen: stepCountIs(3), maxOutputTokens: 32000, providerOptions: { openai: { ...OPENCODE_OPENAI_OPTIONS, reasoningEffort: 'low' } }, maxRetries: 0 };

      // Act
      const result = streamed ? streamText(call) : await generateText(call);

      // Assess: the fakes refuse a history whose thinking or call lost its signature.
      expect(await result.text).toBe('Oslo is 4°C.');
      expect((await result.steps)[0]!.reasoningText).toBe('Look it up.');
    }
  });

  it.each([
    { target: 'Claude on Anthropic', model: M.claude },
    { target: 'Gemini 3', model: M.gemini3 },
  ])("continues on $target from history whose item ids opencode strips (store: false): reasoning and call items without an id", async ({ model }) => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.fakes.anthropic.reply((req) =>
      hasToolResult(req.body) ? { kind: 'text', text: 'Oslo is 4°C.' } : { kind: 'tool_use', thinking: { thinking: 'Look it up.' }, calls: [{ name: 'weather', input: { city: 'Oslo' } }] },
    );
    rig.fakes.gemini.reply((req) =>
      hasToolResult(req.body) ? { kind: 'text', text: 'Oslo is 4°C.' } : { kind: 'function_calls', thoughts: 'Look it up.', calls: [{ name: 'weather', args: { city: 'Oslo' }, thoughtSignature: 'R2VtaW5pU2lnMQ==' }] },
    );
    const sdkModel = opencodeProviders(key).openai(model);
    const providerOptions = { openai: { ...OPENCODE_OPENAI_OPTIONS, reasoningEffort: 'low' } };
    // Declared without `execute`, so the SDK stops at the call and opencode's history can be built.
    const declared = tool({ description: 'The weather in a city', inputSchema: weather.inputSchema });
    const first = await generateText({ model: sdkModel, prompt: 'Weather in Oslo?', tools: { weather: declared }, maxOutputTokens: 32000, providerOptions, maxRetries: 0 });
    // `ProviderTransform.message`: with store off, each part's `itemId` is dropped before the SDK serializes it.
    const history = first.response.messages.map((m) => stripItemIds(m));
    const call = first.toolCalls[0]!;
    const messages: ModelMessage[] = [
      { role: 'user', content: 'Weather in Oslo?' },
      ...history,
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: call.toolCallId, toolName: 'weather', output: { type: 'json', value: { city: 'Oslo', celsius: 4 } } }] },
    ];

    // Act
    const second = await generateText({ model: sdkModel, messages, tools: { weather: declared }, maxOutputTokens: 32000, providerOptions, maxRetries: 0 });

    // Assess: the fakes refuse a history whose thinking or call lost its signature.
    const input = (second.request.body as { input: Record<string, unknown>[] }).input;
    expect(input.filter((item) => item.type === 'reasoning')).toContainEqual(expect.objectContaining({ encrypted_content: expect.any(String) }));
    expect(input.filter((item) => item.type === 'function_call')).toEqual([expect.objectContaining({ call_id: call.toolCallId })]);
    expect(input.filter((item) => 'id' in item)).toEqual([]);
    expect(second.text).toBe('Oslo is 4°C.');
  });
});

describe("opencode's @ai-sdk/openai-compatible provider with a Claude model (its cache marks)", () => {
  /**
   * `ProviderTransform.message` for a model whose id holds "claude" on an openai-compatible
   * provider: `cache_control` under `openaiCompatible` on the first two system messages and the
   * last two others, on the message's last part when its content is an array, else on the
   * message, which the SDK spreads into the Chat message or part.
   */
  function opencodeCachedMessages(): ModelMessage[] {
    const mark = { openaiCompatible: { cache_control: { type: 'ephemeral' } } };
    return [
      { role: 'system', content: 'You are opencode, an interactive CLI tool.', providerOptions: mark },
      { role: 'user', content: [{ type: 'text', text: 'First question' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'First answer' }] },
      { role: 'user', content: [{ type: 'text', text: 'Weather in Oslo?', providerOptions: mark }] },
    ];
  }

  it.each([
    { target: 'OpenAI, passed through', model: M.gpt, upstream: 'openai' as const },
    { target: 'Claude on Anthropic, translated', model: M.claude, upstream: 'anthropic' as const },
    { target: 'Gemini, translated', model: M.gemini, upstream: 'gemini' as const },
  ])('answers on $target, streamed and not, with a usage record', async ({ model, upstream }) => {
    for (const streamed of [false, true]) {
      // Prepare
      rig.reset();
      const { id, key } = await rig.freshKey();
      rig.replyText(upstream, 'Sunny.');
      const call = { model: opencodeProviders(key).compatible.chatModel(model), messages: opencodeCachedMessages(), allowSystemInMessages: true, maxOutputTokens: 32000, maxRetries: 0 };

      // Act
      const result = streamed ? streamText(call) : await generateText(call);

      // Assess
      expect(await result.text).toBe('Sunny.');
      const sent = sentBody(upstream);
      if (upstream === 'openai') expect(JSON.stringify(sent)).toContain('"cache_control":{"type":"ephemeral"}');
      if (upstream === 'gemini') expect(JSON.stringify(sent)).not.toContain('cache_control');
      expect(await rig.usage(id, 1)).toEqual([expect.objectContaining({ surface: 'openai', stream: streamed, outcome: 'ok', inputTokens: 11, outputTokens: 7 })]);
    }
  });

  it.each([
    { target: 'Claude on Anthropic', model: M.claude, upstream: 'anthropic' as const },
    { target: 'Gemini', model: M.gemini, upstream: 'gemini' as const },
  ])("answers the turn after a tool call on $target, opencode's marks on the call and on the result (the SDK puts them on the tool call and the tool message)", async ({ model, upstream }) => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.replyText(upstream, 'Oslo is 4°C.');
    const mark = { openaiCompatible: { cache_control: { type: 'ephemeral' } } };
    const messages: ModelMessage[] = [
      { role: 'system', content: 'You are opencode, an interactive CLI tool.', providerOptions: mark },
      { role: 'user', content: 'Weather in Oslo?' },
      { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'call_1', toolName: 'weather', input: { city: 'Oslo' }, providerOptions: mark }] },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_1', toolName: 'weather', output: { type: 'json', value: { city: 'Oslo', celsius: 4 } }, providerOptions: mark }] },
    ];

    // Act
    const result = await generateText({ model: opencodeProviders(key).compatible.chatModel(model), messages, allowSystemInMessages: true, tools: { weather }, maxRetries: 0 });

    // Assess
    expect(result.text).toBe('Oslo is 4°C.');
    const raw = result.request.body;
    const chat = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { messages: Record<string, unknown>[] };
    expect(chat.messages.at(-1)).toMatchObject({ role: 'tool', cache_control: { type: 'ephemeral' } });
    const sent = sentBody(upstream);
    expect(JSON.stringify(sent)).toContain('celsius');
    // Claude gets a breakpoint on the result, where opencode wanted one; Gemini none.
    if (upstream === 'anthropic') {
      const last = (sent as { messages: { content: Record<string, unknown>[] }[] }).messages.at(-1)!.content;
      expect(last).toEqual([expect.objectContaining({ type: 'tool_result', cache_control: { type: 'ephemeral' } })]);
    } else {
      expect(JSON.stringify(sent)).not.toContain('cache_control');
    }
  });

  it("keeps opencode's cache marks for Claude: the system prompt's (set on the message) and the last user part's", async () => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.replyText('anthropic', 'Sunny.');

    // Act
    await generateText({ model: opencodeProviders(key).compatible.chatModel(M.claude), messages: opencodeCachedMessages(), allowSystemInMessages: true, maxRetries: 0 });

    // Assess
    const sent = sentBody('anthropic') as { system: Record<string, unknown>[]; messages: { content: Record<string, unknown>[] }[] };
    expect(sent.system).toEqual([expect.objectContaining({ text: 'You are opencode, an interactive CLI tool.', cache_control: { type: 'ephemeral' } })]);
    expect(sent.messages.at(-1)!.content.at(-1)).toMatchObject({ text: 'Weather in Oslo?', cache_control: { type: 'ephemeral' } });
  });
});

describe("opencode's @ai-sdk/anthropic provider (its cache marks on the system prompt and the last two messages)", () => {
  /**
   * `ProviderTransform.message` for the `anthropic` provider: message-level `cacheControl` on the
   * system message and the last two others, here the call and its result; `toolStreaming` off
   * for a model id without "claude" (`ProviderTransform.options`).
   */
  function opencodeAnthropicMessages(): ModelMessage[] {
    const mark = { anthropic: { cacheControl: { type: 'ephemeral' } } };
    return [
      { role: 'system', content: 'You are opencode, an interactive CLI tool.', providerOptions: mark },
      { role: 'user', content: 'Weather in Oslo?' },
      { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'toolu_01Opencode', toolName: 'weather', input: { city: 'Oslo' } }], providerOptions: mark },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'toolu_01Opencode', toolName: 'weather', output: { type: 'json', value: { city: 'Oslo', celsius: 4 } } }], providerOptions: mark },
    ];
  }

  it.each([
    { target: 'Claude on Anthropic, passed through', model: M.claude, upstream: 'anthropic' as const },
    { target: 'OpenAI, translated', model: M.gpt, upstream: 'openai' as const },
    { target: 'Gemini, translated', model: M.gemini, upstream: 'gemini' as const },
  ])('answers the turn after a tool call on $target, streamed and not, with a usage record', async ({ model, upstream }) => {
    for (const streamed of [false, true]) {
      // Prepare
      rig.reset();
      const { id, key } = await rig.freshKey();
      rig.replyText(upstream, 'Oslo is 4°C.');
      const anthropic = createAnthropic({ apiKey: key, baseURL: rig.baseURL });
      const call = {
        model: anthropic(model),
        messages: opencodeAnthropicMessages(),
        allowSystemInMessages: true,
        tools: { weather },
        maxOutputTokens: 32000,
        providerOptions: { anthropic: model === M.claude ? {} : { toolStreaming: false } },
        maxRetries: 0,
      };

      // Act
      const result = streamed ? streamText(call) : await generateText(call);

      // Assess
      expect(await result.text).toBe('Oslo is 4°C.');
      const sent = JSON.stringify(sentBody(upstream));
      expect(sent).toContain('celsius');
      if (upstream === 'anthropic') expect(sent.match(/"cache_control":\{"type":"ephemeral"\}/g)).toHaveLength(3);
      else expect(sent).not.toContain('cache_control');
      expect(await rig.usage(id, 1)).toEqual([expect.objectContaining({ surface: 'anthropic', stream: streamed, outcome: 'ok', inputTokens: 11, outputTokens: 7 })]);
    }
  });
});

describe("an OpenAI client's reasoning_effort on Claude under its own max_completion_tokens", () => {
  // o-series models take high effort with 8 000 tokens; the 16 384-token budget is the gateway's
  // mapping of that effort, not the client's, so it gives way to the client's limit.
  it.each([false, true])('thinks within the limit, leaving the answer room, instead of refusing max_tokens (streamed: %s)', async (stream) => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.replyText('anthropic', 'Thought it through.');
    const client = new OpenAI({ apiKey: key, baseURL: rig.baseURL, maxRetries: 0 });
    const ask = { model: M.claude, messages: [{ role: 'user' as const, content: 'Plan the refactor.' }], reasoning_effort: 'high' as const, max_completion_tokens: 8000 };

    // Act
    let text = '';
    if (stream) for await (const chunk of await client.chat.completions.create({ ...ask, stream: true })) text += chunk.choices[0]?.delta.content ?? '';
    else text = (await client.chat.completions.create(ask)).choices[0]!.message.content ?? '';

    // Assess
    expect(text).toBe('Thought it through.');
    expect(sentBody('anthropic')).toMatchObject({ max_tokens: 8000, thinking: { type: 'enabled', budget_tokens: 8000 - 1024 } });
  });
});
