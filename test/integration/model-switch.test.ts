/**
 * A conversation that starts on one model family and goes on on another, as clients do when the
 * user switches models (Codex's `/model`, Gemini CLI's, Cursor's picker) and as failover does
 * inside one model entry, with the official clients as callers. The fakes refuse what the real
 * providers refuse: a signature or encrypted reasoning another family made, and (Anthropic) a
 * tool loop whose assistant turn has no thinking while thinking is on.
 */
import Anthropic from '@anthropic-ai/sdk';
import type { Content, Part } from '@google/genai';
import type OpenAI from 'openai';
import type { FakeAnthropic } from '../fakes/anthropic';
import type { FakeBedrock } from '../fakes/bedrock';
import type { FakeGemini } from '../fakes/gemini';
import { geminiClient, startHarness, type Harness } from './harness';
import { startTranslatedFakes, type TranslatedFakes } from './translated-fakes';

const CLAUDE_SIGNATURE = 'EqQBCkYIBRgCIkBswitch==';

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
    config: ({ upstream }) => ({
      providers: [{ id: 'gpt', type: 'openai', baseUrl: upstream, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] }, ...translated.providers],
      models: [
        { name: 'gpt-5', targets: [{ provider: 'gpt', model: 'gpt-5' }] },
        { name: 'claude-x', targets: [{ provider: 'ant', model: 'claude-sonnet-4-6' }] },
        { name: 'gemini-3-pro-preview', targets: [{ provider: 'gem', model: 'gemini-3-pro-preview' }] },
        { name: 'bedrock-claude', targets: [{ provider: 'aws', model: 'anthropic.claude-sonnet-4-5-20250929-v1:0' }] },
        // One entry over two families: Claude first, OpenAI when Claude fails.
        { name: 'mixed', targets: [{ provider: 'ant', model: 'claude-sonnet-4-6' }, { provider: 'gpt', model: 'gpt-5' }] },
      ],
    }),
  });
  key = (await h.createKey({ name: 'switcher', models: ['*'] })).key;
});
afterAll(async () => {
  await h?.close();
  await translated?.close();
});
beforeEach(() => {
  h.upstream.reset();
  translated.reset();
  h.health.clear();
});

const openai = () => h.openai({ apiKey: key, maxRetries: 0 });
const claudeClient = () => new Anthropic({ apiKey: key, baseURL: h.gw.url, maxRetries: 0 });
const genai = () => geminiClient(h.gw, key);

const RESPONSES_TOOLS: OpenAI.Responses.FunctionTool[] = [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: false }];
const GEMINI_TOOLS = [{ functionDeclarations: [{ name: 'get_weather', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } } } }] }] as never;

/** The first turn's output as Codex replays it: the user's question, every output item, the tool's result. */
function replay(first: OpenAI.Responses.Response, output: string): OpenAI.Responses.ResponseInputItem[] {
  const call = first.output.find((i) => i.type === 'function_call');
  if (call?.type !== 'function_call') throw new Error('the first turn made no function call');
  return [{ role: 'user', content: 'Weather in Oslo?' }, ...(first.output as OpenAI.Responses.ResponseInputItem[]), { type: 'function_call_output', call_id: call.call_id, output }];
}

const blocksOf = (body: unknown) => (body as { messages: { role: string; content: { type: string; signature?: string }[] }[] }).messages;

describe('the Responses API (Codex) switching between OpenAI and Claude', () => {
  it("goes on on Claude after OpenAI: OpenAI's encrypted reasoning is not sent to Anthropic, and the loop goes on without thinking", async () => {
    // Prepare: OpenAI answers the first turn with encrypted reasoning and a call; Claude the second.
    h.upstream.reply({ kind: 'tool_calls', reasoning: 'Look up Oslo.', calls: [{ name: 'get_weather', arguments: '{"city":"Oslo"}' }] });
    anthropic.reply({ kind: 'text', text: 'It is -5C in Oslo.' });
    const first = await openai().responses.create({ model: 'gpt-5', input: 'Weather in Oslo?', tools: RESPONSES_TOOLS, reasoning: { effort: 'low' }, include: ['reasoning.encrypted_content'], store: false });

    // Act
    const second = await openai().responses.create({ model: 'claude-x', input: replay(first, '-5C'), tools: RESPONSES_TOOLS, reasoning: { effort: 'low' }, include: ['reasoning.encrypted_content'], store: false });

    // Assess
    expect(first.output[0]).toMatchObject({ type: 'reasoning', encrypted_content: expect.stringMatching(/^gAAAAA/) });
    expect(second.output_text).toBe('It is -5C in Oslo.');
    const sent = anthropic.requests[0]!.body as { thinking?: unknown };
    expect(blocksOf(sent)[1]!.content.map((b) => b.type)).toEqual(['tool_use']);
    expect(sent.thinking).toBeUndefined();
    expect(anthropic.requests[0]!.rawBody).not.toContain('gAAAAA');
  });

  it('goes on on OpenAI after Claude: the reasoning items the gateway wrote for Claude are left out, the rest goes up as it came', async () => {
    // Prepare: Claude thinks and calls a tool; OpenAI answers the second turn.
    anthropic.reply({ kind: 'tool_use', thinking: { thinking: 'Look up Oslo.', signature: CLAUDE_SIGNATURE }, calls: [{ name: 'get_weather', input: { city: 'Oslo' } }] });
    h.upstream.reply({ kind: 'text', text: 'Cold: -5C.' });
    const first = await openai().responses.create({ model: 'claude-x', input: 'Weather in Oslo?', tools: RESPONSES_TOOLS, reasoning: { effort: 'low' }, include: ['reasoning.encrypted_content'] });
    const input = replay(first, '-5C');

    // Act
    const second = await openai().responses.create({ model: 'gpt-5', input, tools: RESPONSES_TOOLS, store: false });

    // Assess
    expect(first.output[0]).toMatchObject({ type: 'reasoning', encrypted_content: `aigw1:claude:${CLAUDE_SIGNATURE}` });
    expect(second.output_text).toBe('Cold: -5C.');
    const sent = h.upstream.requests[0]!.body as { input: { type?: string }[] };
    expect(sent.input.map((i) => i.type ?? 'message')).toEqual(['message', 'function_call', 'function_call_output']);
  });

  it("goes on on OpenAI after Gemini's unsigned thoughts: the reasoning item the gateway wrote for them is left out", async () => {
    // Prepare: Gemini (translated) thinks without a signature, as Gemini 2.5's thought summaries come.
    gemini.reply({ kind: 'text', thoughts: 'Easy.', text: 'Four.' });
    h.upstream.reply({ kind: 'text', text: 'Five.' });
    const first = await openai().responses.create({ model: 'gemini-3-pro-preview', input: '2+2?', reasoning: { effort: 'low' } });

    // Act
    const second = await openai().responses.create({ model: 'gpt-5', input: [{ role: 'user', content: '2+2?' }, ...(first.output as OpenAI.Responses.ResponseInputItem[]), { role: 'user', content: '2+3?' }], store: false });

    // Assess
    expect(first.output[0]).toMatchObject({ type: 'reasoning', summary: [{ text: 'Easy.' }], encrypted_content: 'aigw1:unsigned' });
    expect(second.output_text).toBe('Five.');
    expect((h.upstream.requests[0]!.body as { input: { type?: string }[] }).input.map((i) => i.type ?? 'message')).toEqual(['message', 'message', 'message']);
  });

  it('the OpenAI fake refuses, as OpenAI does, a reasoning item it did not encrypt (what the gateway now leaves out)', async () => {
    const res = await fetch(`${h.upstream.url}/responses`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-upstream-test', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5', input: [{ type: 'reasoning', summary: [], encrypted_content: `aigw1:claude:${CLAUDE_SIGNATURE}` }, { role: 'user', content: 'q' }] }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_encrypted_content' } });
  });

  it('fails over from Claude to OpenAI inside one model entry without sending Claude\'s signature to OpenAI', async () => {
    // Prepare: the first turn on Claude; on the second Claude is overloaded and the entry fails over to OpenAI.
    anthropic.reply({ kind: 'tool_use', thinking: { thinking: 'Look up Oslo.', signature: CLAUDE_SIGNATURE }, calls: [{ name: 'get_weather', input: { city: 'Oslo' } }] });
    const first = await openai().responses.create({ model: 'mixed', input: 'Weather in Oslo?', tools: RESPONSES_TOOLS, reasoning: { effort: 'low' } });
    anthropic.reply({ kind: 'error', status: 529 });
    h.upstream.reply({ kind: 'text', text: 'Cold: -5C.' });

    // Act
    const second = await openai().responses.create({ model: 'mixed', input: replay(first, '-5C'), tools: RESPONSES_TOOLS, reasoning: { effort: 'low' } });

    // Assess
    expect(second.output_text).toBe('Cold: -5C.');
    expect(anthropic.requests).toHaveLength(2);
    expect(h.upstream.requests[0]!.rawBody).not.toContain('aigw1:');
  });
});

describe('the Responses API switching between Claude on Anthropic, Claude on Bedrock and Gemini', () => {
  it("carries Anthropic's signature on to Claude on Bedrock (one family), with thinking on", async () => {
    // Prepare
    anthropic.reply({ kind: 'tool_use', thinking: { thinking: 'Look up Oslo.', signature: CLAUDE_SIGNATURE }, calls: [{ name: 'get_weather', input: { city: 'Oslo' } }] });
    bedrock.reply({ kind: 'text', text: 'Cold.' });
    const first = await openai().responses.create({ model: 'claude-x', input: 'Weather in Oslo?', tools: RESPONSES_TOOLS, reasoning: { effort: 'low' } });

    // Act
    const second = await openai().responses.create({ model: 'bedrock-claude', input: replay(first, '-5C'), tools: RESPONSES_TOOLS, reasoning: { effort: 'low' } });

    // Assess
    expect(second.output_text).toBe('Cold.');
    const sent = bedrock.requests[0]!.body as { messages: { content: Record<string, unknown>[] }[]; additionalModelRequestFields?: { thinking?: unknown } };
    expect(sent.messages[1]!.content[0]).toEqual({ reasoningContent: { reasoningText: { text: 'Look up Oslo.', signature: CLAUDE_SIGNATURE } } });
    expect(sent.additionalModelRequestFields?.thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });
  });

  it("goes on on Claude on Bedrock after Gemini: Gemini's signature stays behind, and the loop goes on without thinking", async () => {
    // Prepare
    gemini.reply({ kind: 'function_calls', thoughts: 'Look up Oslo.', thoughtSignature: 'CiQBthoughtSig', calls: [{ name: 'get_weather', args: { city: 'Oslo' }, thoughtSignature: 'CiQBcallSig' }] });
    bedrock.reply({ kind: 'text', text: 'Cold.' });
    const first = await openai().responses.create({ model: 'gemini-3-pro-preview', input: 'Weather in Oslo?', tools: RESPONSES_TOOLS, reasoning: { effort: 'low' } });

    // Act
    const second = await openai().responses.create({ model: 'bedrock-claude', input: replay(first, '-5C'), tools: RESPONSES_TOOLS, reasoning: { effort: 'low' } });

    // Assess
    expect(first.output.map((i) => i.type)).toEqual(['reasoning', 'reasoning', 'function_call']);
    expect(second.output_text).toBe('Cold.');
    const sent = bedrock.requests[0]!;
    expect(sent.rawBody).not.toContain('CiQB');
    expect((sent.body as { additionalModelRequestFields?: unknown }).additionalModelRequestFields).toBeUndefined();
  });
});

describe('the Gemini API (@google/genai, Gemini CLI) switching between Claude and Gemini', () => {
  it("goes on on Gemini after Claude: Claude's signatures never reach Gemini, and Gemini 3 gets the stand-in on the call", async () => {
    // Prepare: Claude thinks and calls a tool (translated to Gemini's answer); Gemini answers the second turn.
    anthropic.reply({ kind: 'tool_use', thinking: { thinking: 'Look up Oslo.', signature: CLAUDE_SIGNATURE }, calls: [{ name: 'get_weather', input: { city: 'Oslo' } }] });
    gemini.reply({ kind: 'text', text: 'Cold.' });
    const question: Content = { role: 'user', parts: [{ text: 'Weather in Oslo?' }] };
    const first = await genai().models.generateContent({ model: 'claude-x', contents: [question], config: { tools: GEMINI_TOOLS, thinkingConfig: { thinkingBudget: 2048, includeThoughts: true } } });
    const turn = first.candidates![0]!.content!;
    const call = turn.parts!.find((p: Part) => p.functionCall)!;

    // Act: the whole turn back (thought parts and the call), with the tool's result, to Gemini 3.
    const second = await genai().models.generateContent({
      model: 'gemini-3-pro-preview',
      contents: [question, turn, { role: 'user', parts: [{ functionResponse: { id: call.functionCall!.id, name: 'get_weather', response: { output: '-5C' } } }] }],
      config: { tools: GEMINI_TOOLS },
    });

    // Assess
    expect(turn.parts!.some((p: Part) => p.thought && p.thoughtSignature)).toBe(true);
    expect(second.text).toBe('Cold.');
    const sent = gemini.requests[0]!.body as { contents: { role: string; parts: Record<string, unknown>[] }[] };
    expect(sent.contents[1]).toEqual({ role: 'model', parts: [{ functionCall: call.functionCall, thoughtSignature: 'skip_thought_signature_validator' }] });
    expect(gemini.requests[0]!.rawBody).not.toContain(CLAUDE_SIGNATURE);
  });

  it("goes on on Claude after Gemini: Gemini's signatures are not sent to Anthropic, and the loop goes on without thinking", async () => {
    // Prepare: Gemini thinks and calls a tool with its signature (passed through); Claude answers the second turn.
    gemini.reply({ kind: 'function_calls', calls: [{ name: 'get_weather', args: { city: 'Oslo' }, thoughtSignature: 'CiQBgeminiSig' }] });
    anthropic.reply({ kind: 'text', text: 'Cold.' });
    const question: Content = { role: 'user', parts: [{ text: 'Weather in Oslo?' }] };
    const first = await genai().models.generateContent({ model: 'gemini-3-pro-preview', contents: [question], config: { tools: GEMINI_TOOLS } });
    const turn = first.candidates![0]!.content!;
    const call = turn.parts!.find((p: Part) => p.functionCall)!;
    // A client that keeps its thoughts sends them too, with Gemini's signature.
    const kept: Content = { role: 'model', parts: [{ text: 'Look up Oslo.', thought: true, thoughtSignature: 'CiQBthoughtSig' }, ...turn.parts!] };

    // Act
    const second = await genai().models.generateContent({
      model: 'claude-x',
      contents: [question, kept, { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { output: '-5C' } } }] }],
      config: { tools: GEMINI_TOOLS, thinkingConfig: { thinkingBudget: 2048 } },
    });

    // Assess
    expect(call.thoughtSignature).toBe('CiQBgeminiSig');
    expect(second.text).toBe('Cold.');
    const sent = anthropic.requests[0]!.body as { thinking?: unknown };
    expect(blocksOf(sent)[1]!.content.map((b) => b.type)).toEqual(['tool_use']);
    expect(sent.thinking).toBeUndefined();
    expect(anthropic.requests[0]!.rawBody).not.toContain('CiQB');
  });

  it("goes on on Claude on Bedrock after Gemini's unsigned thoughts: they stay behind (Claude refuses reasoning without a signature), and the loop goes on without thinking", async () => {
    // Prepare: a client that kept Gemini's thought summary, which came without a signature (Gemini signs only some parts).
    bedrock.reply({ kind: 'text', text: 'Cold.' });
    const question: Content = { role: 'user', parts: [{ text: 'Weather in Oslo?' }] };
    const kept: Content = { role: 'model', parts: [{ text: 'Look up Oslo.', thought: true }, { functionCall: { name: 'get_weather', args: { city: 'Oslo' } } }] };

    // Act
    const second = await genai().models.generateContent({
      model: 'bedrock-claude',
      contents: [question, kept, { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { output: '-5C' } } }] }],
      config: { tools: GEMINI_TOOLS, thinkingConfig: { thinkingBudget: 2048 } },
    });

    // Assess
    expect(second.text).toBe('Cold.');
    const sent = bedrock.requests[0]!.body as { messages: { content: object[] }[]; additionalModelRequestFields?: unknown };
    expect(sent.messages[1]!.content.map((b) => Object.keys(b)[0])).toEqual(['toolUse']);
    expect(sent.additionalModelRequestFields).toBeUndefined();
  });

  it('the Anthropic fake refuses, as Anthropic does, a signature it did not make and a tool loop without thinking', async () => {
    const post = (messages: unknown[]) =>
      fetch(`${anthropic.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': translated.credentials.ANT, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 4000, thinking: { type: 'enabled', budget_tokens: 2048 }, tools: [{ name: 'f', input_schema: { type: 'object' } }], messages }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error: { message: string } } }));
    const loop = (first: unknown[]) => [{ role: 'user', content: 'q' }, { role: 'assistant', content: [...first, { type: 'tool_use', id: 't1', name: 'f', input: {} }] }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'x' }] }];

    const [foreign, missing, own] = await Promise.all([post(loop([{ type: 'thinking', thinking: 'x', signature: 'CiQBgeminiSig' }])), post(loop([])), post(loop([{ type: 'thinking', thinking: 'x', signature: CLAUDE_SIGNATURE }]))]);

    expect(foreign).toMatchObject({ status: 400, body: { error: { message: 'messages.1.content.0: Invalid `signature` in `thinking` block' } } });
    expect(missing).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('Expected `thinking` or `redacted_thinking`, but found `tool_use`') } } });
    expect(own.status).toBe(200);
  });
});

describe('the Messages API (Claude Code) switching from Gemini to Claude', () => {
  it("goes on on Claude after Gemini: Gemini's signed thought is not sent to Anthropic, and the tool loop goes on without thinking", async () => {
    // Prepare: Gemini (translated) thinks, signs and calls a tool; Claude (passed through) answers the second turn.
    gemini.reply({ kind: 'function_calls', thoughts: 'Look up Oslo.', thoughtSignature: 'CiQBthoughtSig', calls: [{ name: 'get_weather', args: { city: 'Oslo' }, thoughtSignature: 'CiQBcallSig' }] });
    anthropic.reply({ kind: 'text', text: 'Cold.' });
    const tools: Anthropic.Tool[] = [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }];
    const question: Anthropic.MessageParam = { role: 'user', content: 'Weather in Oslo?' };
    const thinking = { type: 'enabled' as const, budget_tokens: 2048 };
    const first = await claudeClient().messages.create({ model: 'gemini-3-pro-preview', max_tokens: 4096, thinking, tools, messages: [question] });
    const use = first.content.find((b) => b.type === 'tool_use')!;

    // Act
    const second = await claudeClient().messages.create({
      model: 'claude-x',
      max_tokens: 4096,
      thinking,
      tools,
      messages: [question, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '-5C' }] }],
    });

    // Assess
    expect(first.content[0]).toEqual({ type: 'thinking', thinking: 'Look up Oslo.', signature: 'aigw1:gemini:CiQBthoughtSig' });
    expect(second.content).toEqual([{ type: 'text', text: 'Cold.' }]);
    const sent = anthropic.requests[0]!.body as { thinking?: unknown };
    expect(blocksOf(sent)[1]!.content.map((b) => b.type)).toEqual(['tool_use']);
    expect(sent.thinking).toBeUndefined();
  });

  it('keeps thinking on when the switch comes at a new question, with only the foreign thought left out', async () => {
    // Prepare: Gemini (translated) answers with a signed thought; Claude (passed through) the next question.
    gemini.reply({ kind: 'text', thoughts: 'Easy.', thoughtSignature: 'CiQBsum', text: 'Four.' });
    anthropic.reply({ kind: 'thinking', thinking: 'Also easy.', text: 'Five.' });
    const thinking = { type: 'enabled' as const, budget_tokens: 2048 };
    const first = await claudeClient().messages.create({ model: 'gemini-3-pro-preview', max_tokens: 4096, thinking, messages: [{ role: 'user', content: '2+2?' }] });


    // Act
    const second = await claudeClient().messages.create({ model: 'claude-x', max_tokens: 4096, thinking, messages: [{ role: 'user', content: '2+2?' }, { role: 'assistant', content: first.content }, { role: 'user', content: '2+3?' }] });

    // Assess
    expect(first.content[0]).toMatchObject({ type: 'thinking', signature: 'aigw1:gemini:CiQBsum' });
    expect(second.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    const sent = anthropic.requests[0]!.body as { thinking?: unknown };
    expect(sent.thinking).toEqual(thinking);
    expect(blocksOf(sent)[1]!.content.every((b) => b.type !== 'thinking')).toBe(true);
  });
});
