import OpenAI from 'openai';
import { eventually, startHarness, type Harness } from './harness';

/**
 * An upstream whose SSE lines end in CR alone (SSE allows CR, LF and CRLF): the stream's last
 * event (`data: [DONE]\r\r`) is read at its end, so the client gets the whole answer, `[DONE]`
 * included when the gateway re-frames it, and the record says the stream finished, with its usage.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.upstream.reset();
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
