import { setTimeout as sleep } from 'node:timers/promises';
import { stoppedChatStream } from './chat-completions';
import { keepAliveOf, QUIET, SendClock, withKeepAlives } from './keep-alive';

/** Items with a pause before each, counting how often the next one was asked for. */
function paced<T>(items: { after: number; item: T }[]) {
  const asked = { count: 0, returned: false };
  const source: AsyncIterable<T> = {
    [Symbol.asyncIterator]() {
      let i = 0;
      return {
        async next() {
          asked.count++;
          const step = items[i++];
          if (!step) return { done: true, value: undefined };
          await sleep(step.after);
          return { done: false, value: step.item };
        },
        async return() {
          asked.returned = true;
          return { done: true, value: undefined };
        },
      };
    },
  };
  return { source, asked };
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

describe('withKeepAlives', () => {
  it('passes the items on in order and adds nothing while the clock is not armed, however long the pauses', async () => {
    const { source } = paced([{ after: 60, item: 'a' }, { after: 60, item: 'b' }]);

    const out = await collect(withKeepAlives(source, 20, new SendClock()));

    expect(out).toEqual(['a', 'b']);
  });

  it('yields QUIET for each interval of quiet once armed, the awaited item asked for once', async () => {
    const { source, asked } = paced([{ after: 0, item: 'a' }, { after: 130, item: 'b' }]);
    const clock = new SendClock();
    clock.arm();
    const out: (string | typeof QUIET)[] = [];

    for await (const item of withKeepAlives(source, 40, clock)) {
      out.push(item);
      clock.sent();
    }

    expect(out[0]).toBe('a');
    expect(out.at(-1)).toBe('b');
    // About 130 ms of quiet at one beat per 40 ms: three, fewer when a busy machine's timers run late.
    const beats = out.filter((item) => item === QUIET).length;
    expect(beats).toBeGreaterThanOrEqual(1);
    expect(beats).toBeLessThanOrEqual(3);
    expect(asked.count).toBe(3);
  });

  it('begins timing a wait that was under way when the clock is armed', async () => {
    const { source } = paced([{ after: 150, item: 'a' }]);
    const clock = new SendClock();
    setTimeout(() => clock.arm(), 10);

    const out = await collect(withKeepAlives(source, 40, clock));

    expect(out.filter((item) => item === QUIET).length).toBeGreaterThanOrEqual(1);
    expect(out.at(-1)).toBe('a');
  });

  it('closes the source when its reader leaves early', async () => {
    const { source, asked } = paced([{ after: 0, item: 'a' }, { after: 0, item: 'b' }]);

    for await (const item of withKeepAlives(source, 40, new SendClock())) if (item === 'a') break;

    expect(asked.returned).toBe(true);
  });
});

describe('keepAliveOf', () => {
  it.each([
    { surface: 'openai' as const, text: ': keep-alive\n\n' },
    { surface: 'gemini' as const, text: ': keep-alive\n\n' },
    { surface: 'anthropic' as const, text: 'event: ping\ndata: {"type":"ping"}\n\n' },
  ])('is the form $surface clients know', ({ surface, text }) => {
    expect(keepAliveOf(surface)).toBe(text);
  });
});

describe('stoppedChatStream while it drains the upstream after the match', () => {
  const chunk = (content: string) => `data: ${JSON.stringify({ id: 'c', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;

  it('sends keep-alive comments after the finish chunk only, then the usage and [DONE]', async () => {
    const usage = `data: ${JSON.stringify({ id: 'c', choices: [], usage: { prompt_tokens: 1, completion_tokens: 9, total_tokens: 10 } })}\n\n`;
    const { source } = paced([
      { after: 0, item: Buffer.from(chunk('Answer')) },
      { after: 60, item: Buffer.from(chunk(' END')) },
      { after: 70, item: Buffer.from(chunk(' tail')) },
      { after: 70, item: Buffer.from(usage + 'data: [DONE]\n\n') },
    ]);

    const text = (await collect(stoppedChatStream(source, { sequences: ['END'], choices: 1, keepAliveMs: 40 }))).map((b) => Buffer.from(b).toString()).join('');

    const finishAt = text.indexOf('"finish_reason":"stop"');
    expect(text.indexOf(': keep-alive')).toBeGreaterThan(finishAt);
    expect(text.split(': keep-alive\n\n').length - 1).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain('tail');
    expect(text.endsWith(usage + 'data: [DONE]\n\n')).toBe(true);
  });
});
