import type { AssistantPart, ChatResponse, StreamEvent } from '../../canonical/types';
import { continuingPrefill, continuingPrefillStream, pastRepeat } from './prefill-continuation';

const USAGE = { input: 12, output: 7, cacheRead: 0, cacheWrite: 0, reasoning: 0 };
const answer = (...parts: AssistantPart[]): ChatResponse => ({ id: 'msg_1', model: 'claude-x', parts, finishReason: 'stop', usage: USAGE });
const text = (t: string): AssistantPart => ({ type: 'text', text: t });

async function* events(...list: StreamEvent[]): AsyncGenerator<StreamEvent> {
  yield* list;
}
async function collect(stream: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of stream) out.push(e);
  return out;
}
const deltas = (...texts: string[]): StreamEvent[] => texts.map((t) => ({ type: 'text_delta', text: t }));

describe('pastRepeat', () => {
  it.each([
    { name: 'a piece that repeats all the whitespace', pending: '\n', piece: '\n    return 1', expected: { text: '    return 1', pending: '' } },
    { name: 'a piece that repeats part of it', pending: '\n  ', piece: '\n    return 1', expected: { text: '  return 1', pending: '' } },
    { name: 'a piece of only repeated whitespace: nothing left of it, the rest still to match', pending: '\n    ', piece: '\n', expected: { text: '', pending: '    ' } },
    { name: 'a piece that repeats only the start of it', pending: '\n\n', piece: '\n x', expected: { text: ' x', pending: '' } },
    { name: 'a piece that does not start with it', pending: '\n', piece: 'return 1', expected: { text: 'return 1', pending: '' } },
    { name: 'a piece that starts with other whitespace', pending: ' ', piece: '\n x', expected: { text: '\n x', pending: '' } },
    { name: 'an empty piece', pending: '\n', piece: '', expected: { text: '', pending: '\n' } },
    { name: 'nothing to match', pending: '', piece: '\n x', expected: { text: '\n x', pending: '' } },
  ])('$name', ({ pending, piece, expected }) => {
    expect(pastRepeat(pending, piece)).toEqual(expected);
  });
});

describe('continuingPrefill', () => {
  const call: AssistantPart = { type: 'tool_call', id: 'toolu_1', name: 'f', arguments: '{}' };

  it.each<{ name: string; whitespace: string; parts: AssistantPart[]; expected: AssistantPart[] }>([
    { name: 'leaves off the trimmed line end the answer repeats', whitespace: '\n', parts: [text('\n    return 1')], expected: [text('    return 1')] },
    { name: 'leaves off only the repeated part of the trimmed whitespace', whitespace: '\n    \n', parts: [text('\n    x = 1\n')], expected: [text('x = 1\n')] },
    { name: 'leaves an answer that does not repeat it as it is', whitespace: '\n', parts: [text('    return 1\n')], expected: [text('    return 1\n')] },
    { name: 'goes on into the next text part, dropping one left empty', whitespace: '\n  ', parts: [text('\n'), text('   y')], expected: [text(' y')] },
    { name: 'stops at a tool call', whitespace: '\n', parts: [call, text('\nafter')], expected: [call, text('\nafter')] },
  ])('$name', ({ whitespace, parts, expected }) => {
    // Act
    const continued = continuingPrefill(answer(...parts), whitespace);

    // Assess
    expect(continued).toEqual({ ...answer(...expected) });
  });

  it('returns the very answer when nothing was trimmed, and never changes the given one', () => {
    const given = answer(text('\n x'));

    expect(continuingPrefill(given, '')).toBe(given);
    continuingPrefill(given, '\n');
    expect(given.parts).toEqual([text('\n x')]);
  });
});

describe('continuingPrefillStream', () => {
  const START: StreamEvent = { type: 'start', id: 'msg_1', model: 'claude-x' };
  const END: StreamEvent[] = [{ type: 'usage', usage: USAGE }, { type: 'finish', reason: 'stop' }];

  it.each([
    { name: 'a first delta that repeats the trimmed line end', whitespace: '\n', upstream: deltas('\n    return', ' 1'), expected: deltas('    return', ' 1') },
    { name: 'a first delta of only the whitespace, dropped', whitespace: '\n', upstream: deltas('\n', '    return 1'), expected: deltas('    return 1') },
    { name: 'the repeat split across deltas', whitespace: '\n    ', upstream: deltas('\n', '  ', '    x', '\n'), expected: deltas('  x', '\n') },
    { name: 'an answer that does not repeat it', whitespace: '\n', upstream: deltas('more', '\n'), expected: deltas('more', '\n') },
    { name: 'whitespace later in the answer, left alone', whitespace: '\n', upstream: deltas('\n', 'a', '\n', 'b'), expected: deltas('a', '\n', 'b') },
  ])('leaves off the repeated whitespace: $name', async ({ whitespace, upstream, expected }) => {
    // Act
    const out = await collect(continuingPrefillStream(events(START, ...upstream, ...END), whitespace));

    // Assess
    expect(out).toEqual([START, ...expected, ...END]);
  });

  it.each([
    { whitespace: '\n', answer: '\n    return 1\n' },
    { whitespace: '\n\n', answer: '\nx' },
    { whitespace: '\n    ', answer: '\n  \t y' },
    { whitespace: ' \n', answer: '\n z' },
    { whitespace: '\n', answer: '\n' },
    { whitespace: '\n  ', answer: 'no repeat \n' },
  ].map((c) => ({ ...c, shown: JSON.stringify(c.answer), trimmed: JSON.stringify(c.whitespace) })))('leaves off what the whole answer does, however $shown is cut into deltas (trimmed: $trimmed)', async ({ whitespace, answer: whole }) => {
    // Prepare: every cut of the answer into two or three deltas.
    const cuts: string[][] = [];
    for (let a = 0; a <= whole.length; a++) for (let b = a; b <= whole.length; b++) cuts.push([whole.slice(0, a), whole.slice(a, b), whole.slice(b)]);
    const expected = continuingPrefill(answer(text(whole)), whitespace).parts.map((p) => (p.type === 'text' ? p.text : '')).join('');

    // Act
    const streamed = await Promise.all(
      cuts.map(async (pieces) => (await collect(continuingPrefillStream(events(START, ...deltas(...pieces), ...END), whitespace))).flatMap((e) => (e.type === 'text_delta' ? [e.text] : [])).join('')),
    );

    // Assess
    expect(new Set(streamed)).toEqual(new Set([expected]));
  });

  it('passes on at once a delta that does not repeat the trimmed whitespace, before the next one comes', async () => {
    // Prepare: an upstream that sends one delta of other whitespace, then waits.
    let release = () => {};
    const waiting = new Promise<void>((resolve) => (release = resolve));
    async function* upstream(): AsyncGenerator<StreamEvent> {
      yield START;
      yield { type: 'text_delta', text: ' ' };
      await waiting;
      yield* END;
    }
    const out = continuingPrefillStream(upstream(), '\n')[Symbol.asyncIterator]();

    // Act
    const first = await out.next();
    const second = await out.next();
    release();

    // Assess
    expect([first.value, second.value]).toEqual([START, { type: 'text_delta', text: ' ' }]);
  });

  it('stops matching at a tool call', async () => {
    const call: StreamEvent[] = [{ type: 'tool_call_start', toolIndex: 0, id: 'toolu_1', name: 'f' }, { type: 'tool_call_end', toolIndex: 0 }];

    const out = await collect(continuingPrefillStream(events(START, ...call, ...deltas('\nafter'), ...END), '\n'));

    expect(out).toEqual([START, ...call, ...deltas('\nafter'), ...END]);
  });

  it('returns the very stream when nothing was trimmed', () => {
    const upstream = events(START, ...END);

    expect(continuingPrefillStream(upstream, '')).toBe(upstream);
  });
});
