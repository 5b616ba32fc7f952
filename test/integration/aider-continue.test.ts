/**
 * Aider's and Continue's requests through the Chat Completions and Completions surfaces, with the
 * official openai client as the caller, in the shapes their sources build them:
 * - Aider (through litellm's OpenAI path) continues an answer cut by its output limit by sending the
 *   partial answer back as a trailing assistant message marked `prefix: true`
 *   (aider/coders/base_coder.py, `FinishReasonLength`), and relies on Claude continuing from it.
 * - Continue's autocomplete sends fill-in-the-middle to `/v1/completions` (`prompt`, `suffix`,
 *   `max_tokens`, `temperature`, a long `stop` list, `stream: true`); its chat sends its whole `stop`
 *   list to any host but OpenAI's, Groq's and Azure's (core/llm/llms/OpenAI.ts, `getMaxStopWords`:
 *   four there, DeepSeek sixteen, every other host all of them).
 * Passed through to OpenAI the bodies go untouched; translated (Anthropic, Bedrock Converse, Gemini)
 * each must be translated or refused with a 400 naming the field, never an upstream's opaque error or a 500;
 * stops beyond what an upstream takes (Gemini's five, none for GPT-OSS on Bedrock) are honoured by the gateway's stop emulation.
 */
import OpenAI from 'openai';
import type { FakeAnthropic } from '../fakes/anthropic';
import type { FakeBedrock } from '../fakes/bedrock';
import type { FakeGemini } from '../fakes/gemini';
import { startHarness, type Harness } from './harness';
import { startTranslatedFakes, type TranslatedFakes } from './translated-fakes';

let h: Harness;
let translated: TranslatedFakes;
let anthropic: FakeAnthropic;
let gemini: FakeGemini;
let bedrock: FakeBedrock;
let client: OpenAI;

beforeAll(async () => {
  translated = await startTranslatedFakes();
  ({ anthropic, gemini, bedrock } = translated);
  h = await startHarness({
    credentials: translated.credentials,
    config: ({ upstream }) => ({
      providers: [{ id: 'primary', type: 'openai', baseUrl: upstream, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] }, ...translated.providers],
      models: [
        { name: 'gpt-4o', targets: [{ provider: 'primary', model: 'gpt-4o' }] },
        { name: 'gpt-3.5-turbo-instruct', targets: [{ provider: 'primary', model: 'gpt-3.5-turbo-instruct' }] },
        { name: 'sonnet', targets: [{ provider: 'ant', model: 'claude-sonnet-4-5' }] },
        { name: 'sonnet-bedrock', targets: [{ provider: 'aws', model: 'anthropic.claude-sonnet-4-5-20250929-v1:0' }] },
        { name: 'gpt-oss-bedrock', targets: [{ provider: 'aws', model: 'openai.gpt-oss-120b-1:0' }] },
        { name: 'gemini-pro', targets: [{ provider: 'gem', model: 'gemini-2.5-pro' }] },
      ],
    }),
  });
  client = h.openai({ apiKey: (await h.createKey({ name: 'aider', models: ['*'] })).key });
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

const SYSTEM = 'Act as an expert software developer. Always use best practices when coding.';
const ASK = 'Rewrite app.py to use argparse.';
/** What Aider has of an answer its output limit cut: sent back as the assistant's, for the model to continue. */
const PARTIAL = 'app.py\n```python\nimport argparse\n\ndef main():\n    parser = argparse.ArgumentParser()';

/** Aider's continuation after `finish_reason: length` (litellm passes `prefix` on as a message field). */
function aiderContinuation(partial: string): OpenAI.ChatCompletionCreateParamsNonStreaming {
  const prefill = { role: 'assistant', content: partial, prefix: true } as OpenAI.ChatCompletionAssistantMessageParam;
  return {
    model: 'sonnet',
    messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: ASK }, prefill],
    max_tokens: 8192,
    temperature: 0,
  };
}

async function streamedText(params: OpenAI.ChatCompletionCreateParamsNonStreaming): Promise<{ text: string; finish: string | null | undefined }> {
  const stream = await client.chat.completions.create({ ...params, stream: true });
  let text = '';
  let finish: string | null | undefined;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  return { text, finish };
}

type Content = { role?: string; content?: unknown; parts?: unknown };

describe('Aider’s assistant prefill (continuing an answer cut by max tokens)', () => {
  it('passes the trailing assistant message, prefix and all, to an OpenAI upstream untouched', async () => {
    await client.chat.completions.create({ ...aiderContinuation(PARTIAL), model: 'gpt-4o' });

    const sent = h.upstream.requests[0]!.body as { messages: Record<string, unknown>[] };
    expect(sent.messages.at(-1)).toEqual({ role: 'assistant', content: PARTIAL, prefix: true });
  });

  it.each([{ stream: false }, { stream: true }])('keeps it last for Anthropic (a prefill), and answers only the continuation (stream: $stream)', async ({ stream }) => {
    anthropic.reply({ kind: 'text', text: '\n    parser.add_argument("--name")' });

    const answer = stream ? await streamedText(aiderContinuation(PARTIAL)) : await client.chat.completions.create(aiderContinuation(PARTIAL)).then((r) => ({ text: r.choices[0]!.message.content, finish: r.choices[0]!.finish_reason }));

    expect(answer).toEqual({ text: '\n    parser.add_argument("--name")', finish: 'stop' });
    const messages = (anthropic.requests[0]!.body as { messages: Content[] }).messages;
    // The gateway may mark it as a cache breakpoint; its role and text are what make it a prefill.
    expect(messages.at(-1)).toMatchObject({ role: 'assistant', content: [{ type: 'text', text: PARTIAL }] });
  });

  it.each([{ stream: false }, { stream: true }])('keeps it last for Claude on Bedrock (stream: $stream)', async ({ stream }) => {
    // Chunks given: the fake's own split drops a leading space, which a continuation often has.
    bedrock.reply({ kind: 'text', text: ' more code', chunks: [' more', ' code'] });

    const params = { ...aiderContinuation(PARTIAL), model: 'sonnet-bedrock' };
    const answer = stream ? await streamedText(params) : await client.chat.completions.create(params).then((r) => ({ text: r.choices[0]!.message.content, finish: r.choices[0]!.finish_reason }));

    expect(answer).toEqual({ text: ' more code', finish: 'stop' });
    const messages = (bedrock.requests[0]!.body as { messages: Content[] }).messages;
    expect(messages.at(-1)).toMatchObject({ role: 'assistant', content: expect.arrayContaining([{ text: PARTIAL }]) });
  });

  it('sends it to Gemini as a trailing model turn', async () => {
    gemini.reply({ kind: 'text', text: ' more code' });

    const res = await client.chat.completions.create({ ...aiderContinuation(PARTIAL), model: 'gemini-pro' });

    expect(res.choices[0]!.message.content).toBe(' more code');
    const contents = (gemini.requests[0]!.body as { contents: Content[] }).contents;
    expect(contents.at(-1)).toEqual({ role: 'model', parts: [{ text: PARTIAL }] });
  });

  // A cut answer often ends at a line end; Claude refuses a prefill that ends in whitespace.
  it.each([
    { target: 'Anthropic', model: 'sonnet', last: () => (anthropic.requests[0]!.body as { messages: { content: { text?: string }[] }[] }).messages.at(-1)!.content[0]!.text },
    { target: 'Claude on Bedrock', model: 'sonnet-bedrock', last: () => (bedrock.requests[0]!.body as { messages: { content: { text?: string }[] }[] }).messages.at(-1)!.content[0]!.text },
  ])('continues a partial answer that ends in a line end on $target, its trailing whitespace left off', async ({ model, last }) => {
    const res = await client.chat.completions.create({ ...aiderContinuation(`${PARTIAL}\n    \n`), model });

    expect(res.choices[0]!.message.content).toEqual(expect.any(String));
    expect(last()).toBe(PARTIAL);
  });

  // Aider joins the answer to its own prefill, untrimmed: a continuation that starts with the
  // whitespace the gateway trimmed would show it twice.
  it.each(
    [
      { target: 'Anthropic', model: 'sonnet', reply: (r: { text: string; chunks: string[] }) => anthropic.reply({ kind: 'text', ...r }) },
      { target: 'Claude on Bedrock', model: 'sonnet-bedrock', reply: (r: { text: string; chunks: string[] }) => bedrock.reply({ kind: 'text', ...r }) },
    ].flatMap((c) => [false, true].map((stream) => ({ ...c, stream }))),
  )('answers a prefill that ends in a line end on $target with what continues it, not the line end again (stream: $stream)', async ({ model, reply, stream }) => {
    // Prepare: Claude continues the trimmed prefill, its first delta only the line end the gateway left off.
    const continuation = '\n    parser.add_argument("--name")\n';
    reply({ text: continuation, chunks: ['\n', '    parser', '.add_argument("--name")\n'] });
    const params = { ...aiderContinuation(`${PARTIAL}\n`), model };

    // Act
    const answer = stream
      ? await streamedText(params)
      : await client.chat.completions.create(params).then((r) => ({ text: r.choices[0]!.message.content, finish: r.choices[0]!.finish_reason }));

    // Assess: what Aider shows, its prefill and the answer joined, is the prefill Claude saw and its continuation.
    expect(answer).toEqual({ text: '    parser.add_argument("--name")\n', finish: 'stop' });
    expect(`${PARTIAL}\n${answer.text}`).toBe(`${PARTIAL}${continuation}`);
  });

  it.each([
    { target: 'Anthropic', model: 'sonnet', reply: () => anthropic.reply({ kind: 'text', text: '\n    x = 1', usage: { input: 40, output: 9 } }) },
    { target: 'Claude on Bedrock', model: 'sonnet-bedrock', reply: () => bedrock.reply({ kind: 'text', text: '\n    x = 1', usage: { input: 40, output: 9 } }) },
  ])('keeps the usage of the continuation on $target as Claude counted it', async ({ model, reply }) => {
    reply();

    const res = await client.chat.completions.create({ ...aiderContinuation(`${PARTIAL}\n`), model });

    expect(res.choices[0]!.message.content).toBe('    x = 1');
    expect(res.usage).toMatchObject({ prompt_tokens: 40, completion_tokens: 9 });
  });

  // Anthropic: "You cannot pre-fill responses when thinking is enabled"; its error advises disabling thinking.
  it.each([
    { target: 'Anthropic', model: 'sonnet', thinking: () => (anthropic.requests[0]!.body as Record<string, unknown>).thinking },
    { target: 'Claude on Bedrock', model: 'sonnet-bedrock', thinking: () => (bedrock.requests[0]!.body as { additionalModelRequestFields?: Record<string, unknown> }).additionalModelRequestFields?.thinking },
  ])('continues a prefill with reasoning_effort on $target without thinking, as the continuation cannot start with it', async ({ model, thinking }) => {
    const res = await client.chat.completions.create({ ...aiderContinuation(PARTIAL), model, reasoning_effort: 'low', temperature: 1 });

    expect(res.choices[0]!.message.content).toEqual(expect.any(String));
    expect(thinking()).toBeUndefined();
  });
});

/**
 * Continue's autocomplete stop list for a Qwen coder FIM template (core/autocomplete/templating):
 * the template's special tokens, then blank-line and fence stops, far past OpenAI's four.
 */
const CONTINUE_STOPS = ['<|endoftext|>', '<|fim_prefix|>', '<|fim_middle|>', '<|fim_suffix|>', '<|fim_pad|>', '<|repo_name|>', '<|file_sep|>', '<|im_start|>', '<|im_end|>', '\n\n', '\r\n\r\n', '/src/', '#- coding: utf-8', '```'];
const CONTINUE_FIM = { prompt: '<|fim_prefix|>def add(a, b):\n    <|fim_suffix|>\n\nprint(add(1, 2))<|fim_middle|>', suffix: '\n\nprint(add(1, 2))', max_tokens: 4096, temperature: 0.01, stop: CONTINUE_STOPS };

describe('Continue’s autocomplete (fill-in-the-middle on /v1/completions)', () => {
  it('streams from an OpenAI-dialect upstream, the body (suffix and its fourteen stops) going on byte for byte but for the usage request', async () => {
    h.upstream.reply({ kind: 'text', text: 'return a + b', chunks: ['return', ' a', ' +', ' b'] });

    const stream = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', ...CONTINUE_FIM, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';

    expect(text).toBe('return a + b');
    expect(h.upstream.requests[0]!.rawBody).toBe(`${JSON.stringify({ model: 'gpt-3.5-turbo-instruct', ...CONTINUE_FIM, stream: true }).slice(0, -1)},"stream_options":{"include_usage":true}}`);
  });

  it.each([
    { target: 'Anthropic', model: 'sonnet', type: 'anthropic' },
    { target: 'Bedrock', model: 'sonnet-bedrock', type: 'bedrock' },
    { target: 'Gemini', model: 'gemini-pro', type: 'gemini' },
  ])('is refused for a model on $target (no text completions) with a 400 naming the model and its provider type, before any upstream', async ({ model, type }) => {
    const error = await client.completions.create({ model, ...CONTINUE_FIM, stream: true }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, param: 'model', message: expect.stringContaining(`provider type ${type}`) });
    expect([...anthropic.requests, ...bedrock.requests, ...gemini.requests]).toHaveLength(0);
  });
});

describe('a long stop list (Continue’s) on the Chat surface', () => {
  const ask = (model: string): OpenAI.ChatCompletionCreateParamsNonStreaming => ({ model, messages: [{ role: 'user', content: 'Complete add()' }], stop: CONTINUE_STOPS, max_tokens: 256 });
  const printable = CONTINUE_STOPS.filter((s) => s.trim() !== '');

  it('goes to an OpenAI upstream untouched (OpenAI itself answers for its limit of four)', async () => {
    await client.chat.completions.create(ask('gpt-4o'));

    expect((h.upstream.requests[0]!.body as { stop: unknown }).stop).toEqual(CONTINUE_STOPS);
  });

  it('goes to Anthropic whole as stop_sequences, but for the whitespace-only entries Claude refuses', async () => {
    const res = await client.chat.completions.create(ask('sonnet'));

    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect((anthropic.requests[0]!.body as { stop_sequences: unknown }).stop_sequences).toEqual(printable);
  });

  it('goes to Claude on Bedrock whole as stopSequences, but for the whitespace-only entries', async () => {
    const res = await client.chat.completions.create(ask('sonnet-bedrock'));

    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect((bedrock.requests[0]!.body as { inferenceConfig: { stopSequences: unknown } }).inferenceConfig.stopSequences).toEqual(printable);
  });

  const beyondLimit = [
    { target: 'Gemini as its first five (its limit)', model: 'gemini-pro', reply: (text: string) => gemini.reply({ kind: 'text', text }), sent: () => (gemini.requests[0]!.body as { generationConfig: { stopSequences?: unknown } }).generationConfig.stopSequences, expected: CONTINUE_STOPS.slice(0, 5) },
    { target: 'GPT-OSS on Bedrock as none (it refuses stopSequences)', model: 'gpt-oss-bedrock', reply: (text: string) => bedrock.reply({ kind: 'text', text }), sent: () => (bedrock.requests[0]!.body as { inferenceConfig?: { stopSequences?: unknown } }).inferenceConfig?.stopSequences, expected: undefined },
  ].flatMap((c) => [false, true].map((stream) => ({ ...c, stream })));

  it.each(beyondLimit)('goes to $target, the gateway cutting the answer at them all and recording stop:emulated (stream: $stream)', async ({ model, reply, sent, expected, stream }) => {
    // Prepare: '\n\n', the tenth stop, is beyond what the upstream gets
    const key = await h.createKey({ name: 'continue', models: ['*'] });
    const continueClient = h.openai({ apiKey: key.key });
    reply('return a + b\n\nprint(add(1, 2))');

    // Act
    let text = '';
    let finish: string | null | undefined;
    if (stream) {
      for await (const chunk of await continueClient.chat.completions.create({ ...ask(model), stream: true })) {
        text += chunk.choices[0]?.delta.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
    } else {
      const res = await continueClient.chat.completions.create(ask(model));
      [text, finish] = [res.choices[0]!.message.content ?? '', res.choices[0]!.finish_reason];
    }

    // Assess
    expect({ text, finish }).toEqual({ text: 'return a + b', finish: 'stop' });
    expect(sent()).toEqual(expected);
    expect(await h.usage(key.id)).toEqual([expect.objectContaining({ outcome: 'ok', params: ['stop:emulated'] })]);
  });
});

describe('Aider’s max_tokens above a model’s output limit (it sends the limit its own metadata gives)', () => {
  const ANTHROPIC_LIMIT = 'max_tokens: 128000 > 64000, which is the maximum allowed number of output tokens for claude-sonnet-4-5-20250929';
  const BEDROCK_LIMIT = 'The maximum tokens you requested exceeds the model limit of 64000. Try again with a maximum tokens value that is lower than 64000.';
  const GEMINI_LIMIT = 'Unable to submit request because it has a maxOutputTokens value of 128000 but the supported range is from 1 (inclusive) to 65537 (exclusive). Update the value and try again.';

  it.each([
    { target: 'Anthropic', model: 'sonnet', stream: false, refuse: () => anthropic.reply({ kind: 'error', status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: ANTHROPIC_LIMIT } } }), words: ANTHROPIC_LIMIT },
    { target: 'Anthropic', model: 'sonnet', stream: true, refuse: () => anthropic.reply({ kind: 'error', status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: ANTHROPIC_LIMIT } } }), words: ANTHROPIC_LIMIT },
    { target: 'Bedrock', model: 'sonnet-bedrock', stream: true, refuse: () => bedrock.reply({ kind: 'error', status: 400, type: 'ValidationException', message: BEDROCK_LIMIT }), words: BEDROCK_LIMIT },
    { target: 'Gemini', model: 'gemini-pro', stream: false, refuse: () => gemini.reply({ kind: 'error', status: 400, body: { error: { code: 400, message: GEMINI_LIMIT, status: 'INVALID_ARGUMENT' } } }), words: GEMINI_LIMIT },
  ])('comes back from $target as its own 400, in OpenAI’s shape (stream: $stream)', async ({ model, stream, refuse, words }) => {
    refuse();

    const error = await client.chat.completions
      .create({ model, messages: [{ role: 'user', content: ASK }], max_tokens: 128000, stream })
      .then(async (res) => {
        if (stream) for await (const _chunk of res as AsyncIterable<unknown>);
      })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, message: expect.stringContaining(words) });
  });
});

describe('Aider’s whole history: an image as a data URL, a system reminder after the ask, then the prefill', () => {
  const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
  const REMINDER = 'Reply in English. Always reply with *SEARCH/REPLACE* blocks.';
  // aider/coders/base_coder.py: get_images_message, and chunks.reminder as a system message (reminder == "sys").
  const history = (model: string): OpenAI.ChatCompletionCreateParamsNonStreaming => ({
    ...aiderContinuation(PARTIAL),
    model,
    messages: [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: [{ type: 'text', text: 'Image files in chat' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}`, detail: 'high' } }] },
      { role: 'assistant', content: 'Ok.' },
      { role: 'user', content: ASK },
      { role: 'system', content: REMINDER },
      { role: 'assistant', content: PARTIAL, prefix: true } as OpenAI.ChatCompletionAssistantMessageParam,
    ],
  });

  it('goes to an OpenAI upstream untouched', async () => {
    const params = history('gpt-4o');
    await client.chat.completions.create(params);

    expect((h.upstream.requests[0]!.body as { messages: unknown }).messages).toEqual(params.messages);
  });

  it.each([
    {
      target: 'Anthropic',
      model: 'sonnet',
      sent: () => {
        const body = anthropic.requests[0]!.body as { system: { text: string }[]; messages: { role: string; content: Record<string, unknown>[] }[] };
        return { system: body.system.map((p) => p.text), roles: body.messages.map((m) => m.role), image: body.messages[0]!.content[1], last: body.messages.at(-1)!.content[0]!.text };
      },
      image: { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
    },
    {
      target: 'Claude on Bedrock',
      model: 'sonnet-bedrock',
      sent: () => {
        const body = bedrock.requests[0]!.body as { system: { text?: string }[]; messages: { role: string; content: Record<string, unknown>[] }[] };
        return { system: body.system.flatMap((p) => (p.text ? [p.text] : [])), roles: body.messages.map((m) => m.role), image: body.messages[0]!.content[1], last: body.messages.at(-1)!.content[0]!.text };
      },
      image: { image: { format: 'png', source: { bytes: PNG } } },
    },
    {
      target: 'Gemini',
      model: 'gemini-pro',
      sent: () => {
        const body = gemini.requests[0]!.body as { systemInstruction: { parts: { text: string }[] }; contents: { role: string; parts: Record<string, unknown>[] }[] };
        const roles = body.contents.map((c) => (c.role === 'model' ? 'assistant' : c.role));
        return { system: body.systemInstruction.parts.map((p) => p.text), roles, image: body.contents[0]!.parts[1], last: body.contents.at(-1)!.parts[0]!.text };
      },
      image: { inlineData: { mimeType: 'image/png', data: PNG } },
    },
  ])('goes to $target with both system messages as its system prompt, the image inline, and the prefill last', async ({ model, sent, image }) => {
    const res = await client.chat.completions.create(history(model));

    expect(res.choices[0]!.message.content).toEqual(expect.any(String));
    expect(sent()).toEqual({ system: [SYSTEM, REMINDER], roles: ['user', 'assistant', 'user', 'assistant'], image: expect.objectContaining(image), last: PARTIAL });
  });
});
