import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic';
import { capturedSse } from './claude-code/fixtures';
import { eventually, startHarness, type Harness } from './harness';

/**
 * An upstream whose SSE lines end in CR alone (SSE allows CR, LF and CRLF): the stream's last
 * event (`data: [DONE]\r\r`) is read at its end, so the client gets the whole answer, `[DONE]`
 * included when the gateway re-frames it, and the record says the stream finished, with its usage.
 */
let h: Harness;
let claude: FakeAnthropic;
let claudeKey: { id: string; key: string };
beforeAll(async () => {
  claude = await startFakeAnthropic();
  h = await startHarness({
    config: ({ upstream }) => ({
      providers: [
        { id: 'primary', type: 'openai', baseUrl: upstream, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'claude', type: 'anthropic', baseUrl: claude.url, accounts: [{ id: 'c', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
      ],
      models: [
        { name: 'gpt-4o-mini', targets: [{ provider: 'primary', model: 'gpt-4o-mini-2024-07-18' }] },
        { name: 'claude-haiku', targets: [{ provider: 'claude', model: 'claude-haiku-4-5' }] },
      ],
    }),
  });
  claudeKey = await h.createKey({ name: 'claude', models: ['*'] });
});
afterAll(async () => {
  await h.close();
  await claude.close();
});
beforeEach(() => {
  h.upstream.reset();
  claude.reset();
  h.health.clear();
});

const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Say hello' }];

describe('an OpenAI stream whose lines end in CR', () => {
  it.each([
    ['the client asked for the usage (the bytes pass as they came)', true, 'cr', 11],
    ['the gateway strips the usage it asked for (events re-framed)', false, 'cr', 12],
    ['CRLF line ends, for comparison', false, 'crlf', 13],
  ] as const)('is read to its end when %s', async (_name, includeUsage, lineEnds, prompt) => {
    // Prepare
    h.upstream.reply({ kind: 'text', text: 'Hello there, sailor!', usage: { prompt, completion: 4 }, lineEnds });

    // Act
    const stream = await h.openai().chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true, ...(includeUsage ? { stream_options: { include_usage: true } } : {}) });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish ??= chunk.choices[0]?.finish_reason;
      usage ??= chunk.usage;
    }

    // Assess
    expect(h.upstream.requests[0]!.body).toMatchObject({ stream_options: { include_usage: true } });
    expect(text).toBe('Hello there, sailor!');
    expect(finish).toBe('stop');
    if (includeUsage) expect(usage).toMatchObject({ prompt_tokens: prompt, completion_tokens: 4 });
    else expect(usage ?? undefined).toBeUndefined();
    await eventually(async () => {
      const record = (await h.usage()).find((u) => u.stream && u.inputTokens === prompt);
      expect(record).toMatchObject({ model: 'gpt-4o-mini', status: 200, outcome: 'ok', inputTokens: prompt, outputTokens: 4 });
    });
  });
});

describe('an Anthropic stream whose lines end in CR', () => {
  it('passes to the official client whole and is recorded as finished, with its usage', async () => {
    // Prepare: a captured Claude stream (96 input, 15 output tokens) in CR line ends.
    claude.reply({ kind: 'raw', status: 200, headers: { 'content-type': 'text/event-stream' }, body: capturedSse('cc-1.0.6-haiku-title').replaceAll('\n', '\r') });
    const client = new Anthropic({ apiKey: claudeKey.key, baseURL: h.gw.url, maxRetries: 0 });

    // Act
    const message = await client.messages.stream({ model: 'claude-haiku', max_tokens: 100, messages: [{ role: 'user', content: 'Title this' }] }).finalMessage();

    // Assess
    expect(message.usage).toMatchObject({ input_tokens: 96, output_tokens: 15 });
    await eventually(async () => {
      const record = (await h.usage(claudeKey.id)).find((u) => u.model === 'claude-haiku');
      expect(record).toMatchObject({ status: 200, outcome: 'ok', inputTokens: 96, outputTokens: 15 });
    });
  });
});
