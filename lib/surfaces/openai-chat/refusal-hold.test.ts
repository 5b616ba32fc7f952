import type { StreamEvent } from '../../canonical/types';
import { GatewayError } from '../../http/errors';
import { NO_TOKENS } from '../../usage/tokens';
import { asksForJson, isWordedRefusal, opening, REFUSAL_HOLD_CAP, RefusalHold, withRefusalsHeld, type HeldStreamEvent } from './refusal-hold';

const start: StreamEvent = { type: 'start', id: 'msg_1', model: 'claude-x' };
const text = (t: string): StreamEvent => ({ type: 'text_delta', text: t });
const refusal = (t: string): HeldStreamEvent => ({ type: 'refusal_delta', text: t });
const finish = (reason: 'stop' | 'length' | 'content_filter' | 'tool_calls'): StreamEvent => ({ type: 'finish', reason });
const usage: StreamEvent = { type: 'usage', usage: { ...NO_TOKENS, input: 9, output: 4 } };
const overloaded: StreamEvent = { type: 'error', error: new GatewayError('overloaded', 'Overloaded', { code: 'overloaded' }) };

describe('RefusalHold', () => {
  // Each step is an event pushed (or the end of the events); `sent` is what the hold gives back for it, step by step.
  const cases: { name: string; steps: (StreamEvent | 'end')[]; sent: HeldStreamEvent[][] }[] = [
    {
      name: 'lets an answer that starts like JSON through at once, its first piece included',
      steps: [start, text('{"name"'), text(':"Ada"}'), finish('stop')],
      sent: [[start], [text('{"name"')], [text(':"Ada"}')], [finish('stop')]],
    },
    {
      name: 'lets an array through at once too',
      steps: [start, text('[1,'), text('2]'), finish('stop')],
      sent: [[start], [text('[1,')], [text('2]')], [finish('stop')]],
    },
    {
      name: 'holds whitespace first only until the text says what it is, then sends it all in its pieces',
      steps: [start, text('\n'), text(' \t'), text('{"a":1}'), finish('stop')],
      sent: [[start], [], [], [text('\n'), text(' \t'), text('{"a":1}')], [finish('stop')]],
    },
    {
      name: 'lets JSON after a byte order mark through at once, the mark with it',
      steps: [start, text('\ufeff'), text('{"name"'), finish('stop')],
      sent: [[start], [], [text('\ufeff'), text('{"name"')], [finish('stop')]],
    },
    {
      name: 'lets JSON after an empty first piece through at once',
      steps: [start, text(''), text('{"name"'), finish('stop')],
      sent: [[start], [], [text('{"name"')], [finish('stop')]],
    },
    {
      name: 'makes words cut anywhere into refusal deltas, in their pieces, at a content_filter finish',
      steps: [start, text('I'), text(" can'"), text('t help.'), finish('content_filter')],
      sent: [[start], [], [], [], [refusal('I'), refusal(" can'"), refusal('t help.'), finish('content_filter')]],
    },
    {
      name: 'keeps whitespace before the words in the refusal',
      steps: [start, text('\n'), text('No.'), finish('content_filter')],
      sent: [[start], [], [], [refusal('\n'), refusal('No.'), finish('content_filter')]],
    },
    {
      name: 'sends held words as text, in order, at a finish other than content_filter',
      steps: [start, text('Sure'), text(', here.'), finish('stop')],
      sent: [[start], [], [], [text('Sure'), text(', here.'), finish('stop')]],
    },
    {
      name: 'sends held words as text at a length finish',
      steps: [start, text('Once upon'), finish('length')],
      sent: [[start], [], [text('Once upon'), finish('length')]],
    },
    {
      name: 'keeps JSON cut off by the content filter as the content it already was',
      steps: [start, text('{"name":'), finish('content_filter')],
      sent: [[start], [text('{"name":')], [finish('content_filter')]],
    },
    {
      name: 'sends what it held as text once past the cap, and everything after at once, a refusal after it included',
      steps: [start, text('a'.repeat(REFUSAL_HOLD_CAP - 1)), text('bb'), text('c'), finish('content_filter')],
      sent: [[start], [], [text('a'.repeat(REFUSAL_HOLD_CAP - 1)), text('bb')], [text('c')], [finish('content_filter')]],
    },
    {
      name: 'holds words of exactly the cap as a refusal',
      steps: [start, text('a'.repeat(REFUSAL_HOLD_CAP)), finish('content_filter')],
      sent: [[start], [], [refusal('a'.repeat(REFUSAL_HOLD_CAP)), finish('content_filter')]],
    },
    {
      name: 'sends held words as text before a tool call that follows them, and the call at once',
      steps: [
        start,
        text('Let me look.'),
        { type: 'tool_call_start', toolIndex: 0, id: 'toolu_1', name: 'weather' },
        { type: 'tool_call_delta', toolIndex: 0, arguments: '{}' },
        { type: 'tool_call_end', toolIndex: 0 },
        finish('tool_calls'),
      ],
      sent: [
        [start],
        [],
        [text('Let me look.'), { type: 'tool_call_start', toolIndex: 0, id: 'toolu_1', name: 'weather' }],
        [{ type: 'tool_call_delta', toolIndex: 0, arguments: '{}' }],
        [{ type: 'tool_call_end', toolIndex: 0 }],
        [finish('tool_calls')],
      ],
    },
    {
      name: 'lets thinking before the text through and still holds the words after it',
      steps: [start, { type: 'thinking_delta', text: 'Hmm' }, text('I cannot'), finish('content_filter')],
      sent: [[start], [{ type: 'thinking_delta', text: 'Hmm' }], [], [refusal('I cannot'), finish('content_filter')]],
    },
    {
      name: 'holds nothing after a tool call: words after it stay text, a content_filter finish included',
      steps: [start, { type: 'tool_call_start', toolIndex: 0, id: 'toolu_1', name: 'weather' }, { type: 'tool_call_end', toolIndex: 0 }, text('No.'), finish('content_filter')],
      sent: [[start], [{ type: 'tool_call_start', toolIndex: 0, id: 'toolu_1', name: 'weather' }], [{ type: 'tool_call_end', toolIndex: 0 }], [text('No.')], [finish('content_filter')]],
    },
    {
      name: 'passes usage at once, before and after the finish, so the encoder keeps its order',
      steps: [start, text('No'), usage, finish('content_filter'), usage],
      sent: [[start], [], [usage], [refusal('No'), finish('content_filter')], [usage]],
    },
    {
      name: 'sends held words as text before an error',
      steps: [start, text('Hm'), overloaded],
      sent: [[start], [], [text('Hm'), overloaded]],
    },
    {
      name: 'sends held words as text when the events end without a finish',
      steps: [start, text('Hm'), 'end'],
      sent: [[start], [], [text('Hm')]],
    },
    {
      name: 'drops empty text and finishes an answer with none as it came',
      steps: [start, text(''), finish('content_filter'), 'end'],
      sent: [[start], [], [finish('content_filter')], []],
    },
  ];

  it.each(cases)('$name', ({ steps, sent }) => {
    // Prepare
    const hold = new RefusalHold();

    // Act
    const out = steps.map((step) => (step === 'end' ? hold.end() : hold.push(step)));

    // Assess
    expect(out).toEqual(sent);
  });

  it('gives back through withRefusalsHeld what the steps give, in one sequence', async () => {
    // Prepare
    async function* events(): AsyncGenerator<StreamEvent> {
      yield* [start, text('No'), usage, finish('content_filter')];
    }

    // Act
    const out: HeldStreamEvent[] = [];
    for await (const event of withRefusalsHeld(events())) out.push(event);

    // Assess
    expect(out).toEqual([start, usage, refusal('No'), finish('content_filter')]);
  });

  it('sends held words as text before an error the events throw, then throws it on, as the words went unheld', async () => {
    // Prepare
    const failure = new Error('socket hang up');
    async function* events(): AsyncGenerator<StreamEvent> {
      yield* [start, text('Hm')];
      throw failure;
    }

    // Act
    const out: HeldStreamEvent[] = [];
    const thrown = await (async () => {
      for await (const event of withRefusalsHeld(events())) out.push(event);
    })().then(
      () => undefined,
      (err: unknown) => err,
    );

    // Assess
    expect(out).toEqual([start, text('Hm')]);
    expect(thrown).toBe(failure);
  });
});

describe('opening', () => {
  it.each([
    { text: '', said: 'undecided' },
    { text: ' \n\t\r', said: 'undecided' },
    { text: '{', said: 'json' },
    { text: '\n  [', said: 'json' },
    { text: "I'm sorry", said: 'words' },
    // No root a structured-output schema gives: held, and released at the finish if not a refusal.
    { text: '"quoted"', said: 'words' },
    { text: '42', said: 'words' },
    // Not JSON whitespace: a no-break space is held as words.
    { text: '\u00a0{', said: 'words' },
    // A byte order mark is no text of the answer's: what follows it says.
    { text: '\ufeff', said: 'undecided' },
    { text: '\ufeff{"name"', said: 'json' },
    { text: '\ufeff \n[', said: 'json' },
    { text: "\ufeffI can't", said: 'words' },
  ].map((c) => ({ ...c, shown: JSON.stringify(c.text).replace(/[^\x20-\x7e]/g, (u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, '0')}`) })))('reads $shown as $said', ({ text: t, said }) => {
    expect(opening(t)).toBe(said);
  });
});

describe('isWordedRefusal', () => {
  it.each([
    { name: 'words ended by the content filter', text: "I can't help with that.", finish: 'content_filter' as const, expected: true },
    { name: 'words of exactly the cap', text: 'a'.repeat(REFUSAL_HOLD_CAP), finish: 'content_filter' as const, expected: true },
    { name: 'words past the cap (a stream would have sent them as content)', text: 'a'.repeat(REFUSAL_HOLD_CAP + 1), finish: 'content_filter' as const, expected: false },
    { name: 'JSON cut off by the content filter', text: '{"name":', finish: 'content_filter' as const, expected: false },
    { name: 'JSON after a byte order mark cut off by the content filter', text: '\ufeff{"name":', finish: 'content_filter' as const, expected: false },
    { name: 'no text at all', text: '', finish: 'content_filter' as const, expected: false },
    { name: 'words that ended as a normal stop', text: 'Sure.', finish: 'stop' as const, expected: false },
  ])('is $expected for $name', ({ text: t, finish: f, expected }) => {
    expect(isWordedRefusal(t, f)).toBe(expected);
  });
});

describe('asksForJson', () => {
  it.each([
    { name: 'a json_schema format', body: { response_format: { type: 'json_schema', json_schema: { name: 'p', schema: {} } } }, expected: true },
    { name: 'a json_object format', body: { response_format: { type: 'json_object' } }, expected: true },
    { name: 'a text format', body: { response_format: { type: 'text' } }, expected: false },
    { name: 'no format', body: {}, expected: false },
    { name: 'a null format', body: { response_format: null }, expected: false },
    { name: 'no body', body: undefined, expected: false },
  ])('is $expected for $name', ({ body, expected }) => {
    expect(asksForJson(body)).toBe(expected);
  });
});
