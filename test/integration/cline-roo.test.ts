/**
 * Cline's and Roo Code's requests, with the clients they use as the caller: the `openai` client for
 * their "OpenAI Compatible" provider (Chat Completions, always streamed) and `@anthropic-ai/sdk`
 * for their "Anthropic" provider (Messages, a custom base URL). The shapes are reconstructed from
 * their sources, read not copied: cline/cline src/core/api/providers/openai.ts and anthropic.ts
 * (commit 0162b82); RooCodeInc/Roo-Code src/api/providers/openai.ts (003d9d4), anthropic.ts
 * (099cf85) and src/api/transform/reasoning.ts (05c01b2). Roo's OpenAiHandler (src/api/providers/openai.ts)
 * marks the system prompt and the last two user messages' last text part with `cache_control` for
 * models that cache, sends `temperature` (0 unless set), `reasoning_effort` when reasoning is on,
 * `max_completion_tokens`, native tools with `parallel_tool_calls: false`, and its default
 * headers (HTTP-Referer, X-Title); Cline's (src/core/api/providers/openai.ts) the same without the
 * marks; their R1 format merges consecutive same-role turns and puts the system prompt in the
 * first user message. Their Anthropic handlers send `anthropic-beta` flags, cache marks on the
 * system prompt and the last two user turns, and thinking with a budget.
 * Passed through, bodies go untouched; translated, each is sent as a valid request of the target
 * or refused with a 400 naming the field, and the usage record counts the upstream's tokens.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { RIG_MODELS as M, callerRigForSuite } from './caller-rig';

const rig = callerRigForSuite();

const EPHEMERAL = { type: 'ephemeral' } as const;
const SYSTEM = 'You are Roo, a highly skilled software engineer.\n\n====\n\nTOOL USE\n\nYou have access to a set of tools…';
/** Roo's and Cline's default headers on their OpenAI client (src/api/providers/constants.ts). */
const ROO_HEADERS = { 'HTTP-Referer': 'https://github.com/RooVetGit/Roo-Cline', 'X-Title': 'Roo Code', 'User-Agent': 'RooCode/3.30.0' };
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const ENV = '<environment_details>\n# VSCode Visible Files\nsrc/app.ts\n\n# Current Time\n2026-11-28T16:00:00Z\n</environment_details>';

/** A text part with Roo's cache mark (OpenRouter's convention; not in the openai client's types). */
const marked = (text: string) => ({ type: 'text' as const, text, cache_control: EPHEMERAL }) as OpenAI.ChatCompletionContentPartText;

/** Roo's native tools, in OpenAI's shape (src/core/prompts/tools/native-tools). */
const ROO_TOOLS: OpenAI.ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'read_file',
      description: 'Read the contents of a file.',
      parameters: { type: 'object', properties: { path: { type: 'string', description: 'The path of the file' } }, required: ['path'], additionalProperties: false },
      strict: true,
    },
  },
  {
    type: 'function',
    function: {
      name: 'attempt_completion',
      description: 'Present the result of the task.',
      parameters: { type: 'object', properties: { result: { type: 'string' } }, required: ['result'], additionalProperties: false },
      strict: true,
    },
  },
];

/**
 * Roo's second turn of a task with native tools: the task, one read_file call (empty assistant
 * text beside it), its result, and the environment details as the next user message; the system
 * prompt and the last two user messages marked for the cache.
 */
function rooToolTurn(model: string): OpenAI.ChatCompletionCreateParamsStreaming {
  return {
    model,
    temperature: 0,
    messages: [
      { role: 'system', content: [marked(SYSTEM)] },
      { role: 'user', content: [{ type: 'text', text: '<task>\nFix the failing test in src/app.ts\n</task>' }, marked(ENV)] },
      { role: 'assistant', content: '', tool_calls: [{ id: 'call_read_1', type: 'function', function: { name: 'read_file', arguments: '{"path":"src/app.ts"}' } }] },
      { role: 'tool', tool_call_id: 'call_read_1', content: 'File: src/app.ts\n1 | export const add = (a, b) => a - b;' },
      { role: 'user', content: [marked(ENV)] },
    ],
    stream: true,
    stream_options: { include_usage: true },
    tools: ROO_TOOLS,
    tool_choice: 'auto',
    parallel_tool_calls: false,
    max_completion_tokens: 16384,
  };
}

function rooClient(key: string): OpenAI {
  return new OpenAI({ apiKey: key, baseURL: rig.baseURL, defaultHeaders: ROO_HEADERS, maxRetries: 0 });
}

/** What Roo does with a stream: the text, the finish reason, the usage of the last chunk. */
async function drain(stream: AsyncIterable<OpenAI.ChatCompletionChunk>): Promise<{ text: string; finish: string | null | undefined; usage: OpenAI.CompletionUsage | null | undefined }> {
  let text = '';
  let finish: string | null | undefined;
  let usage: OpenAI.CompletionUsage | null | undefined;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
    usage = chunk.usage ?? usage;
  }
  return { text, finish, usage };
}

type Block = { type: string; cache_control?: unknown; text?: string };
type AnthropicBody = { system?: Block[]; tools?: { name: string; cache_control?: unknown }[]; messages: { role: string; content: Block[] | string }[]; tool_choice?: unknown; thinking?: unknown; temperature?: unknown; max_tokens?: unknown };

/** Where an Anthropic body carries cache marks, in prompt order. */
function marks(body: AnthropicBody): string[] {
  const out: string[] = [];
  body.tools?.forEach((t, i) => t.cache_control && out.push(`tools[${i}]`));
  body.system?.forEach((b, i) => b.cache_control && out.push(`system[${i}]`));
  body.messages.forEach((m, i) => (Array.isArray(m.content) ? m.content : []).forEach((b, j) => b.cache_control && out.push(`messages[${i}][${j}]`)));
  return out;
}

describe('Roo Code’s OpenAI Compatible provider: cache marks, native tools, streamed', () => {
  it('goes to an OpenAI upstream untouched, marks and all', async () => {
    // Prepare
    const { id, key } = await rig.freshKey();
    rig.replyText('openai', 'Fixed.');
    const params = rooToolTurn(M.gpt);

    // Act
    const answer = await drain(await rooClient(key).chat.completions.create(params));

    // Assess
    expect(answer).toEqual({ text: 'Fixed.', finish: 'stop', usage: expect.objectContaining({ prompt_tokens: 11, completion_tokens: 7 }) });
    expect(rig.fakes.openai.requests[0]!.body).toEqual(params);
    expect(await rig.usage(id, 1)).toEqual([expect.objectContaining({ surface: 'openai', stream: true, outcome: 'ok', inputTokens: 11, outputTokens: 7 })]);
  });

  it('goes to Claude with its three marks as Anthropic breakpoints (and none added), one tool call at a time', async () => {
    // Prepare
    const { id, key } = await rig.freshKey();
    rig.fakes.anthropic.reply({ kind: 'text', text: 'Fixed.', usage: { input: 40, output: 3, cacheRead: 900, cacheWrite: 60 } });

    // Act
    const answer = await drain(await rooClient(key).chat.completions.create(rooToolTurn(M.claude)));

    // Assess
    expect(answer).toEqual({ text: 'Fixed.', finish: 'stop', usage: expect.objectContaining({ prompt_tokens: 1000, completion_tokens: 3 }) });
    const body = rig.fakes.anthropic.requests[0]!.body as AnthropicBody;
    expect(body.system).toEqual([{ type: 'text', text: SYSTEM, cache_control: EPHEMERAL }]);
    expect(marks(body)).toEqual(['system[0]', 'messages[0][1]', 'messages[2][1]']);
    expect(body.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(body.messages[2]!.content).toEqual([
      { type: 'tool_result', tool_use_id: 'call_read_1', content: 'File: src/app.ts\n1 | export const add = (a, b) => a - b;' },
      { type: 'text', text: ENV, cache_control: EPHEMERAL },
    ]);
    expect(body.tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    expect(body).toMatchObject({ temperature: 0, max_tokens: 16384 });
    expect(await rig.usage(id, 1)).toEqual([expect.objectContaining({ surface: 'openai', stream: true, outcome: 'ok', inputTokens: 1000, outputTokens: 3, cacheReadTokens: 900 })]);
  });

  it('goes to Gemini without the marks (Gemini caches apart), the call and its result paired by name', async () => {
    // Prepare
    const { id, key } = await rig.freshKey();
    rig.replyText('gemini', 'Fixed.');

    // Act
    const answer = await drain(await rooClient(key).chat.completions.create(rooToolTurn(M.gemini)));

    // Assess
    expect(answer).toEqual({ text: 'Fixed.', finish: 'stop', usage: expect.objectContaining({ prompt_tokens: 11, completion_tokens: 7 }) });
    const sent = rig.fakes.gemini.requests[0]!;
    expect(sent.rawBody).not.toContain('cache_control');
    const contents = (sent.body as { contents: { role: string; parts: Record<string, unknown>[] }[] }).contents;
    expect(contents.map((c) => c.role)).toEqual(['user', 'model', 'user']);
    // The client's call id goes back on both, as Gemini pairs them (lib/providers/gemini/contents.ts).
    expect(contents[1]!.parts).toEqual([expect.objectContaining({ functionCall: { id: 'call_read_1', name: 'read_file', args: { path: 'src/app.ts' } } })]);
    expect(contents[2]!.parts[0]).toMatchObject({ functionResponse: { id: 'call_read_1', name: 'read_file' } });
    expect(await rig.usage(id, 1)).toEqual([expect.objectContaining({ surface: 'openai', stream: true, outcome: 'ok', inputTokens: 11, outputTokens: 7 })]);
  });

  /** Roo's openai-format moves a tool result's image into the user message after it ("see following user message"). */
  const withScreenshot = (model: string): OpenAI.ChatCompletionCreateParamsStreaming => {
    const params = rooToolTurn(model);
    const last = { role: 'user' as const, content: [{ type: 'image_url' as const, image_url: { url: `data:image/png;base64,${PNG}` } }, marked(ENV)] };
    return { ...params, messages: [...params.messages.slice(0, 3), { role: 'tool', tool_call_id: 'call_read_1', content: '(see following user message for image)' }, last] };
  };

  it.each([
    { target: 'Claude', model: M.claude, upstream: () => rig.fakes.anthropic, image: { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } } },
    { target: 'Gemini', model: M.gemini, upstream: () => rig.fakes.gemini, image: { inlineData: { mimeType: 'image/png', data: PNG } } },
  ])('goes to $target with a tool result’s image, sent in the user message after it, beside that result', async ({ model, upstream, image }) => {
    const answer = await drain(await rooClient((await rig.freshKey()).key).chat.completions.create(withScreenshot(model)));

    expect(answer.finish).toBe('stop');
    const body = upstream().requests[0]!.body as { messages?: { content: unknown[] }[]; contents?: { parts: unknown[] }[] };
    const lastTurn = body.messages?.at(-1)?.content ?? body.contents?.at(-1)?.parts;
    expect(lastTurn).toEqual([expect.anything(), image, expect.objectContaining({ text: ENV })]);
  });

  it('asks Claude for one tool call at a time and streams it back as OpenAI tool_calls deltas', async () => {
    // Prepare
    const { key } = await rig.freshKey();
    rig.replyToolLoop('anthropic');
    const params = { ...rooToolTurn(M.claude), messages: rooToolTurn(M.claude).messages.slice(0, 2) };

    // Act
    const calls: { id?: string; name?: string; args: string }[] = [];
    let finish: string | null | undefined;
    for await (const chunk of await rooClient(key).chat.completions.create(params)) {
      for (const d of chunk.choices[0]?.delta.tool_calls ?? []) {
        calls[d.index] ??= { args: '' };
        if (d.id) calls[d.index]!.id = d.id;
        if (d.function?.name) calls[d.index]!.name = d.function.name;
        calls[d.index]!.args += d.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }

    // Assess
    expect(finish).toBe('tool_calls');
    expect(calls).toEqual([{ id: expect.stringMatching(/^toolu_/), name: 'weather', args: '{"city":"Oslo"}' }]);
    expect((rig.fakes.anthropic.requests[0]!.body as AnthropicBody).tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true });
  });
});

describe('more cache marks than Anthropic’s four (a client marking every user turn, as Roo’s frequency strategy does in long tasks)', () => {
  /** The system prompt and each of five user turns marked: six in all. */
  function everyTurnMarked(model: string): OpenAI.ChatCompletionCreateParamsStreaming {
    const turns = [1, 2, 3, 4, 5].flatMap((n): OpenAI.ChatCompletionMessageParam[] => [
      { role: 'user', content: [marked(`Step ${n}\n${ENV}`)] },
      ...(n < 5 ? [{ role: 'assistant' as const, content: `Done step ${n}.` }] : []),
    ]);
    return { model, temperature: 0, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'system', content: [marked(SYSTEM)] }, ...turns] };
  }

  it('go to Claude as the system prompt’s and the three latest turns’ (the earlier turns’ marks are covered by the later ones), not as Anthropic’s 400', async () => {
    // Prepare
    const { id, key } = await rig.freshKey();
    rig.replyText('anthropic', 'Next.');

    // Act
    const answer = await drain(await rooClient(key).chat.completions.create(everyTurnMarked(M.claude)));

    // Assess
    expect(answer).toMatchObject({ text: 'Next.', finish: 'stop' });
    expect(marks(rig.fakes.anthropic.requests[0]!.body as AnthropicBody)).toEqual(['system[0]', 'messages[4][0]', 'messages[6][0]', 'messages[8][0]']);
    expect(await rig.usage(id, 1)).toEqual([expect.objectContaining({ outcome: 'ok', inputTokens: 11, outputTokens: 7 })]);
  });

  it('go to an OpenAI upstream untouched', async () => {
    const params = everyTurnMarked(M.gpt);

    await drain(await rooClient((await rig.freshKey()).key).chat.completions.create(params));

    expect(rig.fakes.openai.requests[0]!.body).toEqual(params);
  });
});

describe('their reasoning settings on the OpenAI Compatible provider', () => {
  /** Roo's body with reasoning on (getOpenAiReasoning): `reasoning_effort` beside its temperature. */
  const reasoningTurn = (model: string, temperature: number, effort: 'minimal' | 'low' | 'medium' | 'high'): OpenAI.ChatCompletionCreateParamsStreaming => ({
    model,
    temperature,
    reasoning_effort: effort,
    max_completion_tokens: 64000,
    stream: true,
    stream_options: { include_usage: true },
    messages: [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: [{ type: 'text', text: '<task>Why does add() subtract?</task>' }, { type: 'text', text: ENV }] },
    ],
  });

  it('goes to Claude as thinking with its effort’s budget under max_completion_tokens, the thinking streamed back as reasoning_content', async () => {
    // Prepare
    const { id, key } = await rig.freshKey();
    rig.fakes.anthropic.reply({ kind: 'thinking', thinking: 'It uses minus.', text: 'It subtracts.', usage: { input: 50, output: 20 } });

    // Act
    let reasoning = '';
    let text = '';
    for await (const chunk of await rooClient(key).chat.completions.create(reasoningTurn(M.claude, 1, 'high'))) {
      const delta = chunk.choices[0]?.delta as { content?: string | null; reasoning_content?: string } | undefined;
      reasoning += delta?.reasoning_content ?? '';
      text += delta?.content ?? '';
    }

    // Assess
    expect({ reasoning, text }).toEqual({ reasoning: 'It uses minus.', text: 'It subtracts.' });
    expect(rig.fakes.anthropic.requests[0]!.body).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 16384 }, max_tokens: 64000, temperature: 1 });
    expect(await rig.usage(id, 1)).toEqual([expect.objectContaining({ outcome: 'ok', inputTokens: 50, outputTokens: 20 })]);
  });

  it('goes to Claude as thinking without Roo’s default temperature of 0 (Claude thinks only at 1), as an OpenAI reasoning model has it left out', async () => {
    // Prepare
    const { id, key } = await rig.freshKey();
    rig.replyText('anthropic', 'It subtracts.');

    // Act
    const answer = await drain(await rooClient(key).chat.completions.create(reasoningTurn(M.claude, 0, 'medium')));

    // Assess
    expect(answer.text).toBe('It subtracts.');
    const sent = rig.fakes.anthropic.requests[0]!.body as AnthropicBody;
    expect(sent.thinking).toEqual({ type: 'enabled', budget_tokens: expect.any(Number) });
    expect(sent).not.toHaveProperty('temperature');
    // The usage record says why the answer was not at temperature 0.
    expect(await rig.usage(id, 1)).toEqual([expect.objectContaining({ outcome: 'ok', params: ['temperature:dropped'] })]);
  });

  it('goes to Gemini 2.5 as a thinking budget, with the temperature kept', async () => {
    rig.replyText('gemini', 'It subtracts.');

    const answer = await drain(await rooClient((await rig.freshKey()).key).chat.completions.create(reasoningTurn(M.gemini, 0, 'medium')));

    expect(answer.text).toBe('It subtracts.');
    expect((rig.fakes.gemini.requests[0]!.body as { generationConfig: unknown }).generationConfig).toMatchObject({ temperature: 0, maxOutputTokens: 64000, thinkingConfig: { thinkingBudget: 8192, includeThoughts: true } });
  });

  // Roo offers every effort for any model; Gemini 3 Pro thinks at LOW or HIGH only.
  it.each([
    { effort: 'minimal' as const, level: 'LOW' },
    { effort: 'low' as const, level: 'LOW' },
    { effort: 'medium' as const, level: 'HIGH' },
    { effort: 'high' as const, level: 'HIGH' },
  ])('goes to Gemini 3 Pro as the nearest thinking level it takes, $effort as $level, not as Gemini’s 400', async ({ effort, level }) => {
    const { id, key } = await rig.freshKey();
    rig.replyText('gemini', 'It subtracts.');

    const answer = await drain(await rooClient(key).chat.completions.create(reasoningTurn(M.gemini3, 1, effort)));

    expect(answer.text).toBe('It subtracts.');
    expect((rig.fakes.gemini.requests[0]!.body as { generationConfig: unknown }).generationConfig).toMatchObject({ thinkingConfig: { thinkingLevel: level, includeThoughts: true } });
    expect(await rig.usage(id, 1)).toEqual([expect.objectContaining({ outcome: 'ok', inputTokens: 11, outputTokens: 7 })]);
  });

  it('goes to an OpenAI reasoning model untouched (Cline’s o-series shape: a developer message, no temperature)', async () => {
    const params: OpenAI.ChatCompletionCreateParamsStreaming = {
      model: M.reasoningGpt,
      messages: [{ role: 'developer', content: SYSTEM }, { role: 'user', content: [{ type: 'text', text: '<task>Explain</task>' }] }],
      reasoning_effort: 'medium',
      stream: true,
      stream_options: { include_usage: true },
    };

    await drain(await rooClient((await rig.freshKey()).key).chat.completions.create(params));

    expect(rig.fakes.openai.requests[0]!.body).toEqual(params);
  });
});

describe('the R1 format (DeepSeek-style models behind the OpenAI Compatible provider)', () => {
  /**
   * Their convertToR1Format: the system prompt sent as the first user message, consecutive
   * same-role messages merged (the task joins it), and Roo's newer one keeps `reasoning_content`
   * on assistant turns for interleaved thinking.
   */
  const r1Turn = (model: string): OpenAI.ChatCompletionCreateParamsStreaming => ({
    model,
    temperature: 0.6,
    stream: true,
    stream_options: { include_usage: true },
    messages: [
      { role: 'user', content: `${SYSTEM}\n<task>Fix add()</task>` },
      { role: 'assistant', content: 'I will read the file.', reasoning_content: 'The bug is likely in add.' } as OpenAI.ChatCompletionAssistantMessageParam,
      { role: 'user', content: '[read_file for \'src/app.ts\'] Result:\nexport const add = (a, b) => a - b;' },
    ],
  });

  it('goes to an OpenAI upstream untouched, reasoning_content and all', async () => {
    const params = r1Turn(M.gpt);

    await drain(await rooClient((await rig.freshKey()).key).chat.completions.create(params));

    expect(rig.fakes.openai.requests[0]!.body).toEqual(params);
  });

  it.each([
    { target: 'Claude', model: M.claude, sent: () => JSON.stringify(rig.fakes.anthropic.requests[0]!.body) },
    { target: 'Gemini', model: M.gemini, sent: () => JSON.stringify(rig.fakes.gemini.requests[0]!.body) },
  ])('goes to $target without the unsigned reasoning_content, which neither can take back', async ({ model, sent }) => {
    const answer = await drain(await rooClient((await rig.freshKey()).key).chat.completions.create(r1Turn(model)));

    expect(answer.finish).toBe('stop');
    expect(sent()).toContain('I will read the file.');
    expect(sent()).not.toContain('The bug is likely in add.');
  });
});

describe('Cline’s XML-tools history (no `tools`): a tool result as text with a screenshot, an image as a data URL', () => {
  const clineTurn = (model: string): OpenAI.ChatCompletionCreateParamsStreaming => ({
    model,
    temperature: 0,
    stream: true,
    stream_options: { include_usage: true },
    messages: [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: [{ type: 'text', text: '<task>\nCheck the page\n</task>' }, { type: 'text', text: ENV }] },
      { role: 'assistant', content: '<browser_action>\n<action>launch</action>\n<url>http://localhost:3000</url>\n</browser_action>' },
      {
        role: 'user',
        content: [
          { type: 'text', text: '[browser_action for \'launch\'] Result:' },
          { type: 'text', text: 'The browser action has been executed. The console logs and screenshot have been captured for your analysis.' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
          { type: 'text', text: ENV },
        ],
      },
    ],
  });

  it.each([
    { target: 'Claude', model: M.claude, image: () => (rig.fakes.anthropic.requests[0]!.body as { messages: { content: unknown[] }[] }).messages[2]!.content[2], expected: { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } } },
    { target: 'Gemini', model: M.gemini, image: () => (rig.fakes.gemini.requests[0]!.body as { contents: { parts: unknown[] }[] }).contents[2]!.parts[2], expected: { inlineData: { mimeType: 'image/png', data: PNG } } },
  ])('goes to $target with the screenshot inline, in place', async ({ model, image, expected }) => {
    const { id, key } = await rig.freshKey();

    const answer = await drain(await rooClient(key).chat.completions.create(clineTurn(model)));

    expect(answer.finish).toBe('stop');
    expect(image()).toEqual(expected);
    expect(await rig.usage(id, 1)).toEqual([expect.objectContaining({ outcome: 'ok', stream: true })]);
  });
});

describe('their Anthropic provider (the Anthropic SDK with a custom base URL)', () => {
  /** The betas Roo's AnthropicHandler sends, in its order (1M context when the user turns it on); Cline's sends the 1M one alone. */
  const BETAS = 'fine-grained-tool-streaming-2025-05-14,context-1m-2025-08-07,prompt-caching-2024-07-31';
  const anthropicClient = (key: string) => new Anthropic({ apiKey: key, baseURL: rig.baseURL.replace(/\/v1$/, ''), maxRetries: 0 });

  /**
   * Their Messages request with thinking on: a budget, temperature 1.0 (Claude's only one with
   * thinking), max_tokens the model's whole output limit, the system prompt and the last two user
   * turns marked for the cache, native tools (one call at a time). Cast: the SDK here (1.x) no
   * longer types `temperature`, which Roo's and Cline's SDKs (0.x) send.
   */
  const rooMessages = (model: string): Anthropic.MessageCreateParamsStreaming =>
    ({
      model,
      max_tokens: 64000,
      temperature: 1.0,
      thinking: { type: 'enabled', budget_tokens: 8192 },
      system: [{ type: 'text', text: SYSTEM, cache_control: EPHEMERAL }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: '<task>Fix add()</task>' }, { type: 'text', text: ENV, cache_control: EPHEMERAL }] },
        { role: 'assistant', content: [{ type: 'text', text: 'Reading it.' }] },
        { role: 'user', content: [{ type: 'text', text: ENV, cache_control: EPHEMERAL }] },
      ],
      tools: [{ name: 'read_file', description: 'Read the contents of a file.', input_schema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } }],
      tool_choice: { type: 'auto', disable_parallel_tool_use: true },
      stream: true,
    }) as unknown as Anthropic.MessageCreateParamsStreaming;

  async function streamed(client: Anthropic, params: Anthropic.MessageCreateParamsStreaming): Promise<{ text: string; usage: { input: number; output: number } }> {
    let text = '';
    const usage = { input: 0, output: 0 };
    for await (const event of await client.messages.create(params, { headers: { 'anthropic-beta': BETAS } })) {
      if (event.type === 'message_start') usage.input = event.message.usage.input_tokens;
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
      if (event.type === 'message_delta') usage.output = event.usage.output_tokens;
      // A translated stream's message_start holds an estimate (Gemini counts at the end); the last count is message_delta's.
      if (event.type === 'message_delta' && event.usage.input_tokens != null) usage.input = event.usage.input_tokens;
    }
    return { text, usage };
  }

  it('goes to Claude as it came, its beta flags with it', async () => {
    // Prepare
    const { id, key } = await rig.freshKey();
    rig.replyText('anthropic', 'Fixed.');
    const params = rooMessages(M.claude);

    // Act
    const answer = await streamed(anthropicClient(key), params);

    // Assess
    expect(answer).toEqual({ text: 'Fixed.', usage: { input: 11, output: 7 } });
    const sent = rig.fakes.anthropic.requests[0]!;
    expect(sent.body).toEqual(params);
    expect(sent.headers['anthropic-beta']).toBe(BETAS);
    expect(await rig.usage(id, 1)).toEqual([expect.objectContaining({ surface: 'anthropic', stream: true, outcome: 'ok', inputTokens: 11, outputTokens: 7 })]);
  });

  it('goes to Gemini as a thinking budget, the betas and the marks (which Gemini has no use for) left behind', async () => {
    // Prepare
    const { id, key } = await rig.freshKey();
    rig.replyText('gemini', 'Fixed.');

    // Act
    const answer = await streamed(anthropicClient(key), rooMessages(M.gemini));

    // Assess
    expect(answer).toEqual({ text: 'Fixed.', usage: { input: 11, output: 7 } });
    const sent = rig.fakes.gemini.requests[0]!;
    expect(sent.headers['anthropic-beta']).toBeUndefined();
    expect(sent.rawBody).not.toContain('cache_control');
    expect((sent.body as { generationConfig: unknown }).generationConfig).toMatchObject({ temperature: 1, maxOutputTokens: 64000, thinkingConfig: { thinkingBudget: 8192, includeThoughts: true } });
    expect(await rig.usage(id, 1)).toEqual([expect.objectContaining({ surface: 'anthropic', stream: true, outcome: 'ok', inputTokens: 11, outputTokens: 7 })]);
  });

  it('goes to Gemini with Cline’s forced tool use (`tool_choice: any` beside thinking) as function calling mode ANY', async () => {
    const { key } = await rig.freshKey();
    rig.replyToolLoop('gemini');

    const params = { ...rooMessages(M.gemini), tool_choice: { type: 'any' as const } };
    await streamed(anthropicClient(key), params);

    expect((rig.fakes.gemini.requests[0]!.body as { toolConfig?: unknown }).toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY' } });
  });
});

describe('Roo’s extended efforts', () => {
  it.each([
    { model: M.claude, upstream: 'anthropic' as const, thinking: { thinking: { type: 'enabled', budget_tokens: 16384 } } },
    { model: M.gemini, upstream: 'gemini' as const, thinking: { generationConfig: { thinkingConfig: { thinkingBudget: 24576 } } } },
  ])('takes xhigh as high for $model, the thinking budget high gets', async ({ model, upstream, thinking }) => {
    const { key } = await rig.freshKey();
    rig.replyText(upstream, 'Hi.');
    const params = { model, temperature: 1, reasoning_effort: 'xhigh', stream: true, messages: [{ role: 'user', content: 'Hi' }] } as unknown as OpenAI.ChatCompletionCreateParamsStreaming;

    const answer = await rooClient(key).chat.completions.create(params).then(drain);

    expect(answer.text).toBe('Hi.');
    expect(rig.fakes[upstream].requests[0]!.body).toMatchObject(thinking);
  });
});
