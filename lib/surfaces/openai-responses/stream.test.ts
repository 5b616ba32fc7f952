import { createParser } from 'eventsource-parser';
import type { StreamEvent } from '../../canonical/types';
import { GatewayError } from '../../http/errors';
import { sequentialIds } from './encode';
import { encodeResponsesStream } from './stream';

const NOW = () => 1_700_000_000_123;
const USAGE = { input: 50, output: 20, cacheRead: 10, cacheWrite: 0, reasoning: 5 };

async function* from<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}


/** The SSE text as `[event name, parsed data]` pairs; checks every event's name matches its `type`. */
async function encode(events: StreamEvent[], request: Record<string, unknown> = {}): Promise<[string, Record<string, unknown>][]> {
  let text = '';
  for await (const piece of encodeResponsesStream(from(events), { model: 'gpt-4.1', request }, NOW, sequentialIds())) text += piece;
  const out: [string, Record<string, unknown>][] = [];
  createParser({ onEvent: (e) => out.push([e.event ?? '', JSON.parse(e.data) as Record<string, unknown>]) }).feed(text);
  return out;
}

const OPENING = ['response.created', 'response.in_progress'];
/** A message item with one text delta, from its opening to its end. */
const ONE_DELTA_MESSAGE = [
  'response.output_item.added',
  'response.content_part.added',
  'response.output_text.delta',
  'response.output_text.done',
  'response.content_part.done',
  'response.output_item.done',
];

const names = (events: [string, Record<string, unknown>][]) => events.map(([name]) => name);

describe('encodeResponsesStream', () => {
  const cases: { name: string; events: StreamEvent[]; expected: string[] }[] = [
    {
      name: 'a text answer: created, in_progress, the message item with its part and deltas, completed',
      events: [
        { type: 'start', id: 'msg_1', model: 'claude' },
        { type: 'text_delta', text: 'Hel' },
        { type: 'text_delta', text: 'lo' },
        { type: 'finish', reason: 'stop' },
        { type: 'usage', usage: USAGE },
      ],
      expected: [
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.delta',
        'response.output_text.delta',
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ],
    },
    {
      name: 'thinking, then text, then two function calls',
      events: [
        { type: 'start', id: 'msg_1', model: 'claude' },
        { type: 'thinking_delta', text: 'Hmm' },
        { type: 'thinking_signature', signature: 'sig' },
        { type: 'text_delta', text: 'Checking.' },
        { type: 'tool_call_start', toolIndex: 0, id: 'call_a', name: 'weather' },
        { type: 'tool_call_delta', toolIndex: 0, arguments: '{"city":' },
        { type: 'tool_call_delta', toolIndex: 0, arguments: '"Paris"}' },
        { type: 'tool_call_end', toolIndex: 0 },
        { type: 'tool_call_start', toolIndex: 1, id: 'call_b', name: 'time' },
        { type: 'tool_call_end', toolIndex: 1 },
        { type: 'finish', reason: 'tool_calls' },
      ],
      expected: [
        ...OPENING,
        'response.output_item.added',
        'response.reasoning_summary_part.added',
        'response.reasoning_summary_text.delta',
        'response.reasoning_summary_text.done',
        'response.reasoning_summary_part.done',
        'response.output_item.done',
        ...ONE_DELTA_MESSAGE,
        'response.output_item.added',
        'response.function_call_arguments.delta',
        'response.function_call_arguments.delta',
        'response.function_call_arguments.done',
        'response.output_item.done',
        'response.output_item.added',
        'response.function_call_arguments.done',
        'response.output_item.done',
        'response.completed',
      ],
    },
    {
      name: 'redacted thinking is a reasoning item added and done at once',
      events: [{ type: 'start', id: 'm', model: 'x' }, { type: 'redacted_thinking', data: 'EuYB' }, { type: 'text_delta', text: 'Hi' }, { type: 'finish', reason: 'stop' }],
      expected: [...OPENING, 'response.output_item.added', 'response.output_item.done', ...ONE_DELTA_MESSAGE, 'response.completed'],
    },
    {
      name: "a tool call's signature comes whole in a reasoning item before the call",
      events: [{ type: 'start', id: 'm', model: 'x' }, { type: 'tool_call_start', toolIndex: 0, id: 'c1', name: 'f', signature: 'CiQB' }, { type: 'tool_call_end', toolIndex: 0 }, { type: 'finish', reason: 'tool_calls' }],
      expected: [...OPENING, 'response.output_item.added', 'response.output_item.done', 'response.output_item.added', 'response.function_call_arguments.done', 'response.output_item.done', 'response.completed'],
    },
    {
      name: 'an answer cut by the token limit ends with response.incomplete',
      events: [{ type: 'start', id: 'm', model: 'x' }, { type: 'text_delta', text: 'Once' }, { type: 'finish', reason: 'length' }],
      expected: [
        ...OPENING,
        ...ONE_DELTA_MESSAGE,
        'response.incomplete',
      ],
    },
    {
      name: 'an error after some text closes the item, fails the response and sends the error event',
      events: [{ type: 'start', id: 'm', model: 'x' }, { type: 'text_delta', text: 'Once' }, { type: 'error', error: new GatewayError('rate_limit', 'Slow down.', { code: 'rate_limit_exceeded' }) }],
      expected: [
        ...OPENING,
        ...ONE_DELTA_MESSAGE,
        'response.failed',
        'error',
      ],
    },
    {
      name: 'events that end without a finish become a failure, not a completed response',
      events: [{ type: 'start', id: 'm', model: 'x' }],
      expected: ['response.created', 'response.in_progress', 'response.failed', 'error'],
    },
  ];

  it.each(cases)('$name', async ({ events, expected }) => {
    // Act
    const out = await encode(events);

    // Assess
    expect(names(out)).toEqual(expected);
    expect(out.map(([, data]) => data.sequence_number)).toEqual(out.map((_, i) => i));
    for (const [name, data] of out) expect(data.type).toBe(name);
  });

  it('carries deltas, item ids and the final response with every item and the usage', async () => {
    // Act
    const out = await encode(
      [
        { type: 'start', id: 'msg_up', model: 'claude' },
        { type: 'thinking_delta', text: 'Hmm' },
        { type: 'thinking_signature', signature: 'sig' },
        { type: 'text_delta', text: 'Hi' },
        { type: 'tool_call_start', toolIndex: 0, id: 'call_a', name: 'weather' },
        { type: 'tool_call_delta', toolIndex: 0, arguments: '{}' },
        { type: 'tool_call_end', toolIndex: 0 },
        { type: 'finish', reason: 'tool_calls' },
        { type: 'usage', usage: USAGE },
      ],
      { instructions: 'Be brief.' },
    );

    // Assess
    const find = (name: string) => out.filter(([n]) => n === name).map(([, d]) => d);
    expect(find('response.created')[0]).toMatchObject({ response: { id: 'resp_msg_up', status: 'in_progress', model: 'gpt-4.1', output: [], usage: null, instructions: 'Be brief.' } });
    expect(find('response.output_text.delta')[0]).toMatchObject({ item_id: 'msg_1', output_index: 1, content_index: 0, delta: 'Hi' });
    expect(find('response.output_item.added')[2]).toMatchObject({ output_index: 2, item: { id: 'fc_1', type: 'function_call', status: 'in_progress', call_id: 'call_a', name: 'weather', arguments: '' } });
    expect(find('response.function_call_arguments.done')[0]).toMatchObject({ item_id: 'fc_1', output_index: 2, arguments: '{}' });
    expect(find('response.output_item.done')[0]).toMatchObject({ item: { id: 'rs_1', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Hmm' }], encrypted_content: 'aigw1:claude:sig' } });
    const final = find('response.completed')[0]!.response as Record<string, unknown>;
    expect(final).toMatchObject({
      id: 'resp_msg_up',
      status: 'completed',
      output: [
        { id: 'rs_1', type: 'reasoning', encrypted_content: 'aigw1:claude:sig' },
        { id: 'msg_1', type: 'message', status: 'completed', content: [{ type: 'output_text', text: 'Hi', annotations: [] }] },
        { id: 'fc_1', type: 'function_call', status: 'completed', call_id: 'call_a', arguments: '{}' },
      ],
      usage: { input_tokens: 50, input_tokens_details: { cached_tokens: 10 }, output_tokens: 20, output_tokens_details: { reasoning_tokens: 5 }, total_tokens: 70 },
    });
  });

  it('puts the error on the failed response and, flat and nested, on the error event', async () => {
    const out = await encode([{ type: 'start', id: 'm', model: 'x' }, { type: 'error', error: new GatewayError('upstream_unavailable', 'The upstream broke off.', { code: 'upstream_interrupted' }) }]);

    expect(out.at(-2)![1]).toMatchObject({ response: { status: 'failed', error: { code: 'upstream_interrupted', message: 'The upstream broke off.' } } });
    // Nested, typed as the gateway's error body types an upstream's failure (failed-end.test.ts).
    expect(out.at(-1)![1]).toMatchObject({ type: 'error', code: 'upstream_interrupted', message: 'The upstream broke off.', error: { type: 'api_error', code: 'upstream_interrupted', message: 'The upstream broke off.' } });
  });

  it("passes an upstream's error on in its words, on the failed response and on the error event: the field it names is of the body the upstream was sent, which no table maps back", async () => {
    // Prepare
    const message = 'max_tokens is too large: 999999';
    const error = new GatewayError('invalid_request', message, { param: 'max_tokens', code: 'invalid_value' });

    // Act
    const out = await encode([{ type: 'start', id: 'm', model: 'x' }, { type: 'error', error }]);

    // Assess
    expect(out.at(-2)![1]).toMatchObject({ response: { status: 'failed', error: { code: 'invalid_value', message } } });
    expect(out.at(-1)![1]).toMatchObject({ type: 'error', message, param: 'max_tokens', error: { message, param: 'max_tokens' } });
  });

  it.each([
    { providerId: 'gem-east', message: 'The upstream provider "gem-east" ended the stream before it was complete.' },
    { providerId: undefined, message: 'The upstream provider ended the stream before it was complete.' },
  ])('ends events that stop before a finish or an error with the cut, naming the provider ($providerId) as a parser words it', async ({ providerId, message }) => {
    // Act: a decoder that broke its contract (no finish, no error).
    let text = '';
    for await (const piece of encodeResponsesStream(from<StreamEvent>([{ type: 'start', id: 'm', model: 'x' }, { type: 'text_delta', text: 'Hi' }]), { model: 'gpt-4.1', request: {}, providerId }, NOW, sequentialIds())) text += piece;
    const out: Record<string, unknown>[] = [];
    createParser({ onEvent: (e) => out.push(JSON.parse(e.data) as Record<string, unknown>) }).feed(text);

    // Assess
    expect(out.at(-2)).toMatchObject({ type: 'response.failed', response: { status: 'failed', error: { code: 'upstream_interrupted', message } } });
    expect(out.at(-1)).toMatchObject({ type: 'error', code: 'upstream_interrupted', message });
  });

  it("streams a call of a custom tool the request declared as a custom_tool_call: its input once whole (the arguments are JSON until then), the item done with it", async () => {
    // Prepare
    const patch = '*** Begin Patch\n*** Add File: a\n+"x"\n*** End Patch\n';
    const args = JSON.stringify({ input: patch });
    const request = { tools: [{ type: 'custom', name: 'apply_patch' }] };

    // Act
    const events = await encode(
      [
        { type: 'start', id: 'msg_1', model: 'claude' },
        { type: 'tool_call_start', toolIndex: 0, id: 'toolu_1', name: 'apply_patch' },
        { type: 'tool_call_delta', toolIndex: 0, arguments: args.slice(0, 9) },
        { type: 'tool_call_delta', toolIndex: 0, arguments: args.slice(9) },
        { type: 'tool_call_end', toolIndex: 0 },
        { type: 'finish', reason: 'tool_calls' },
        { type: 'usage', usage: USAGE },
      ],
      request,
    );

    // Assess
    expect(names(events)).toEqual([...OPENING, 'response.output_item.added', 'response.custom_tool_call_input.delta', 'response.custom_tool_call_input.done', 'response.output_item.done', 'response.completed']);
    const item = { id: 'ctc_1', type: 'custom_tool_call', status: 'completed', call_id: 'toolu_1', name: 'apply_patch', input: patch };
    expect(events[2]![1]).toMatchObject({ output_index: 0, item: { ...item, status: 'in_progress', input: '' } });
    expect(events[3]![1]).toMatchObject({ item_id: 'ctc_1', output_index: 0, delta: patch });
    expect(events[4]![1]).toMatchObject({ item_id: 'ctc_1', output_index: 0, input: patch });
    expect(events[5]![1]).toMatchObject({ output_index: 0, item });
    expect((events[6]![1].response as { output: unknown[] }).output).toEqual([item]);
  });

  it('streams a call of the local_shell tool the request declared as a local_shell_call, added and done once its arguments are whole; one without a command as the function call it was', async () => {
    // Prepare
    const request = { tools: [{ type: 'local_shell' }] };
    const args = '{"command":["npm","test"],"timeout_ms":60000}';

    // Act
    const events = await encode(
      [
        { type: 'start', id: 'msg_1', model: 'claude' },
        { type: 'tool_call_start', toolIndex: 0, id: 'toolu_1', name: 'local_shell' },
        { type: 'tool_call_delta', toolIndex: 0, arguments: args.slice(0, 10) },
        { type: 'tool_call_delta', toolIndex: 0, arguments: args.slice(10) },
        { type: 'tool_call_end', toolIndex: 0 },
        { type: 'tool_call_start', toolIndex: 1, id: 'toolu_2', name: 'local_shell' },
        { type: 'tool_call_delta', toolIndex: 1, arguments: '{"cmd":"ls"}' },
        { type: 'tool_call_end', toolIndex: 1 },
        { type: 'finish', reason: 'tool_calls' },
        { type: 'usage', usage: USAGE },
      ],
      request,
    );

    // Assess
    expect(names(events)).toEqual([...OPENING, 'response.output_item.added', 'response.output_item.done', 'response.output_item.added', 'response.function_call_arguments.done', 'response.output_item.done', 'response.completed']);
    const shell = { id: 'lsh_1', type: 'local_shell_call', status: 'completed', call_id: 'toolu_1', action: { type: 'exec', command: ['npm', 'test'], timeout_ms: 60000, env: {} } };
    const fallback = { id: 'fc_1', type: 'function_call', status: 'completed', call_id: 'toolu_2', name: 'local_shell', arguments: '{"cmd":"ls"}' };
    expect(events[2]![1]).toMatchObject({ output_index: 0, item: { ...shell, status: 'in_progress' } });
    expect(events[3]![1]).toMatchObject({ output_index: 0, item: shell });
    expect(events[4]![1]).toMatchObject({ output_index: 1, item: { ...fallback, status: 'in_progress' } });
    expect(events[6]![1]).toMatchObject({ output_index: 1, item: fallback });
    expect((events[7]![1].response as { output: unknown[] }).output).toEqual([shell, fallback]);
  });

  it('marks a thinking run no signature ended as unsigned', async () => {
    const out = await encode([
      { type: 'start', id: 'm', model: 'gemini' },
      { type: 'thinking_delta', text: 'Hmm.' },
      { type: 'text_delta', text: 'Hi' },
      { type: 'finish', reason: 'stop' },
    ]);

    const final = out.find(([n]) => n === 'response.completed')![1].response as { output: unknown[] };
    expect(final.output[0]).toEqual({ id: 'rs_1', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Hmm.' }], encrypted_content: 'aigw1:unsigned' });
  });

  it('gives each signed thinking run its own reasoning item, as the whole answer does, so each replays with its own signature', async () => {
    const out = await encode([
      { type: 'start', id: 'm', model: 'claude' },
      { type: 'thinking_delta', text: 'First.' },
      { type: 'thinking_signature', signature: 'sig-1', signedBy: 'claude' },
      { type: 'thinking_delta', text: 'Second.' },
      { type: 'thinking_signature', signature: 'sig-2', signedBy: 'gemini' },
      { type: 'text_delta', text: 'Hi' },
      { type: 'finish', reason: 'stop' },
    ]);

    const final = out.find(([n]) => n === 'response.completed')![1].response as { output: unknown[] };
    expect(final.output.slice(0, 2)).toEqual([
      { id: 'rs_1', type: 'reasoning', summary: [{ type: 'summary_text', text: 'First.' }], encrypted_content: 'aigw1:claude:sig-1' },
      { id: 'rs_2', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Second.' }], encrypted_content: 'aigw1:gemini:sig-2' },
    ]);
    expect(out.filter(([n]) => n === 'response.output_item.done').map(([, d]) => d.output_index)).toEqual([0, 1, 2]);
  });

  it('a finish by error (a malformed tool call) fails the response with an error object, as the whole answer does', async () => {
    const out = await encode([
      { type: 'start', id: 'm', model: 'gemini' },
      { type: 'text_delta', text: 'Let me' },
      { type: 'finish', reason: 'error' },
      { type: 'usage', usage: USAGE },
    ]);

    expect(out.at(-1)![0]).toBe('response.failed');
    expect(out.at(-1)![1]).toMatchObject({ response: { status: 'failed', error: { code: 'server_error', message: expect.any(String) } } });
  });
});

describe('encodeResponsesStream: words the upstream marked as its refusal', () => {
  const start: StreamEvent = { type: 'start', id: 'msg_1', model: 'gpt-4.1' };
  const refusal = (text: string): StreamEvent => ({ type: 'text_delta', text, refusal: true });
  const at = (content_index: number) => ({ item_id: 'msg_1', output_index: 0, content_index });
  const cases: { name: string; events: StreamEvent[]; expected: [string, Record<string, unknown>][]; last: string; content: unknown[] }[] = [
    {
      name: 'a refusal: a refusal part with its refusal deltas and .done, then a completed response',
      events: [start, refusal('I cannot '), refusal('help.'), { type: 'finish', reason: 'content_filter' }],
      expected: [
        ['response.content_part.added', { ...at(0), part: { type: 'refusal', refusal: '' } }],
        ['response.refusal.delta', { ...at(0), delta: 'I cannot ' }],
        ['response.refusal.delta', { ...at(0), delta: 'help.' }],
        ['response.refusal.done', { ...at(0), refusal: 'I cannot help.' }],
        ['response.content_part.done', { ...at(0), part: { type: 'refusal', refusal: 'I cannot help.' } }],
      ],
      last: 'response.completed',
      content: [{ type: 'refusal', refusal: 'I cannot help.' }],
    },
    {
      name: 'text, then refusal words: the text part done before the refusal part opens',
      events: [start, { type: 'text_delta', text: 'Sure. ' }, refusal('But no.'), { type: 'finish', reason: 'content_filter' }],
      expected: [
        ['response.content_part.added', { ...at(0), part: { type: 'output_text', text: '', annotations: [], logprobs: [] } }],
        ['response.output_text.delta', { ...at(0), delta: 'Sure. ' }],
        ['response.output_text.done', { ...at(0), text: 'Sure. ' }],
        ['response.content_part.done', { ...at(0), part: { type: 'output_text', text: 'Sure. ' } }],
        ['response.content_part.added', { ...at(1), part: { type: 'refusal', refusal: '' } }],
        ['response.refusal.delta', { ...at(1), delta: 'But no.' }],
        ['response.refusal.done', { ...at(1), refusal: 'But no.' }],
        ['response.content_part.done', { ...at(1), part: { type: 'refusal', refusal: 'But no.' } }],
      ],
      last: 'response.completed',
      content: [{ type: 'output_text', text: 'Sure. ' }, { type: 'refusal', refusal: 'But no.' }],
    },
    {
      name: 'refusal words the token limit cut: the part done, the response incomplete',
      events: [start, refusal('I cannot'), { type: 'finish', reason: 'length' }],
      expected: [
        ['response.content_part.added', { ...at(0), part: { type: 'refusal', refusal: '' } }],
        ['response.refusal.delta', { ...at(0), delta: 'I cannot' }],
        ['response.refusal.done', { ...at(0), refusal: 'I cannot' }],
        ['response.content_part.done', { ...at(0), part: { type: 'refusal', refusal: 'I cannot' } }],
      ],
      last: 'response.incomplete',
      content: [{ type: 'refusal', refusal: 'I cannot' }],
    },
  ];

  it.each(cases)('$name', async ({ events, expected, last, content }) => {
    // Act
    const out = await encode(events);

    // Assess
    expect(out.filter(([name]) => name.startsWith('response.content_part') || name.startsWith('response.refusal') || name.startsWith('response.output_text'))).toMatchObject(expected);
    expect(out.map(([, data]) => data.sequence_number)).toEqual(out.map((_, i) => i));
    expect(out.at(-1)).toMatchObject([last, { response: { output: [{ type: 'message', content }] } }]);
  });
});

describe('encodeResponsesStream: the item an answer’s end cuts', () => {
  const start: StreamEvent = { type: 'start', id: 'm', model: 'claude' };
  const call = (toolIndex: number, id: string, name: string, args: string): StreamEvent[] => [
    { type: 'tool_call_start', toolIndex, id, name },
    { type: 'tool_call_delta', toolIndex, arguments: args },
    { type: 'tool_call_end', toolIndex },
  ];
  const cut: StreamEvent = { type: 'finish', reason: 'length' };
  const TOOLS = { tools: [{ type: 'custom', name: 'apply_patch' }, { type: 'local_shell' }, { type: 'function', name: 'weather' }] };

  const cases: { name: string; events: StreamEvent[]; last: string; items: string[] }[] = [
    { name: 'cut during text: the message is incomplete', events: [start, { type: 'text_delta', text: 'Once upon' }, cut], last: 'response.incomplete', items: ['message:incomplete'] },
    { name: 'cut during the first function call: the call is incomplete', events: [start, ...call(0, 'c1', 'weather', '{"city":"Pa'), cut], last: 'response.incomplete', items: ['function_call:incomplete'] },
    {
      name: 'cut during the second function call: the first stays completed',
      events: [start, ...call(0, 'c1', 'weather', '{"city":"Paris"}'), ...call(1, 'c2', 'weather', '{"ci'), cut],
      last: 'response.incomplete',
      items: ['function_call:completed', 'function_call:incomplete'],
    },
    { name: 'cut during a custom call: the custom_tool_call is incomplete', events: [start, ...call(0, 'c1', 'apply_patch', '{"input":"*** Begin Patch\\n*** Upd'), cut], last: 'response.incomplete', items: ['custom_tool_call:incomplete'] },
    { name: 'cut during reasoning: the reasoning item is incomplete', events: [start, { type: 'thinking_delta', text: 'First I' }, cut], last: 'response.incomplete', items: ['reasoning:incomplete'] },
    {
      name: 'an upstream error in the middle of a call: the call is incomplete, the response failed',
      events: [start, { type: 'tool_call_start', toolIndex: 0, id: 'c1', name: 'weather' }, { type: 'tool_call_delta', toolIndex: 0, arguments: '{"ci' }, { type: 'error', error: new GatewayError('upstream_unavailable', 'Broke off.') }],
      last: 'error',
      items: ['function_call:incomplete'],
    },
    { name: 'a finish by error after a call: the call is incomplete', events: [start, ...call(0, 'c1', 'weather', '{"ci'), { type: 'finish', reason: 'error' }], last: 'response.failed', items: ['function_call:incomplete'] },
    { name: 'events that stop in the middle of a call: the call is incomplete', events: [start, { type: 'tool_call_start', toolIndex: 0, id: 'c1', name: 'weather' }, { type: 'tool_call_delta', toolIndex: 0, arguments: '{' }], last: 'error', items: ['function_call:incomplete'] },
    {
      name: 'a call finished, then cut during text: the call completed, the message incomplete',
      events: [start, ...call(0, 'c1', 'weather', '{"city":"Paris"}'), { type: 'text_delta', text: 'Now' }, cut],
      last: 'response.incomplete',
      items: ['function_call:completed', 'message:incomplete'],
    },
    {
      name: 'a cut local_shell call goes as the incomplete function call it was, not as an exec',
      events: [start, ...call(0, 'c1', 'local_shell', '{"command":["rm","-rf","bu'), cut],
      last: 'response.incomplete',
      items: ['function_call:incomplete'],
    },
    {
      name: 'a local_shell call whose arguments closed before the limit came: its exec, completed (the limit cut what came after)',
      events: [start, ...call(0, 'c1', 'local_shell', '{"command":["ls"]}'), cut],
      last: 'response.incomplete',
      items: ['local_shell_call:completed'],
    },
    {
      name: 'a whole call, then the limit (Gemini sends only whole calls): the call completed',
      events: [start, ...call(0, 'c1', 'weather', '{"city":"Paris"}'), cut],
      last: 'response.incomplete',
      items: ['function_call:completed'],
    },
    {
      name: 'a whole call, then an upstream error: the call completed, the response failed',
      events: [start, ...call(0, 'c1', 'weather', '{"city":"Paris"}'), { type: 'error', error: new GatewayError('upstream_unavailable', 'Broke off.') }],
      last: 'error',
      items: ['function_call:completed'],
    },
    {
      name: 'a call cut before any argument came: incomplete',
      events: [start, { type: 'tool_call_start', toolIndex: 0, id: 'c1', name: 'weather' }, { type: 'tool_call_end', toolIndex: 0 }, cut],
      last: 'response.incomplete',
      items: ['function_call:incomplete'],
    },
    { name: 'a content filter ends the answer in the middle of text: the message is incomplete', events: [start, { type: 'text_delta', text: 'Well' }, { type: 'finish', reason: 'content_filter' }], last: 'response.incomplete', items: ['message:incomplete'] },
    { name: 'a finish by tool calls: every call completed', events: [start, ...call(0, 'c1', 'weather', '{}'), ...call(1, 'c2', 'local_shell', '{"command":["ls"]}'), { type: 'finish', reason: 'tool_calls' }], last: 'response.completed', items: ['function_call:completed', 'local_shell_call:completed'] },
  ];

  it.each(cases)('$name', async ({ events, last, items }) => {
    // Act
    const out = await encode(events, TOOLS);

    // Assess: what the client acts on (each item's done event) and what the final response repeats.
    const statusOf = (item: unknown) => `${String((item as { type: string }).type)}:${String((item as { status?: string }).status)}`;
    expect(out.filter(([n]) => n === 'response.output_item.done').map(([, d]) => statusOf(d.item))).toEqual(items);
    const final = out.find(([n]) => n === 'response.completed' || n === 'response.incomplete' || n === 'response.failed')![1].response as { output: unknown[] };
    expect(final.output.map(statusOf)).toEqual(items);
    expect(out.at(-1)![0]).toBe(last);
  });

  it("sends a whole call's output_item.done at its end, without waiting for the upstream's next event", async () => {
    // Prepare: an upstream that goes quiet after the call's end, and says so; its next event comes only when released.
    let release: () => void = () => undefined;
    let quiet: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const wentQuiet = new Promise<'quiet'>((resolve) => (quiet = () => resolve('quiet')));
    async function* upstream(): AsyncGenerator<StreamEvent> {
      yield start;
      yield* call(0, 'c1', 'weather', '{"city":"Paris"}');
      quiet();
      await released;
      yield { type: 'finish', reason: 'tool_calls' };
    }
    const stream = encodeResponsesStream(upstream(), { model: 'gpt-4.1', request: TOOLS }, NOW, sequentialIds());

    // Act: read what the encoder sends until the upstream goes quiet, then let the upstream finish.
    let beforeQuiet = '';
    let pending = stream.next();
    for (let got = await Promise.race([pending, wentQuiet]); got !== 'quiet' && !got.done; got = await Promise.race([pending, wentQuiet])) {
      beforeQuiet += got.value;
      pending = stream.next();
    }
    release();
    let after = '';
    for (let got = await pending; !got.done; got = await stream.next()) after += got.value;

    // Assess: the call's done, completed, went out while the upstream was quiet; the stream still ends completed.
    const doneAt = beforeQuiet.indexOf('event: response.output_item.done');
    expect(doneAt).toBeGreaterThan(-1);
    expect(beforeQuiet.slice(doneAt)).toContain('"status":"completed"');
    expect(after).toContain('event: response.completed');
  });

  it("still sends a cut item's text and arguments done events, with what was written before the cut", async () => {
    // Act
    const out = await encode([start, { type: 'text_delta', text: 'Once' }, ...call(0, 'c1', 'weather', '{"city":"Pa'), cut], TOOLS);

    // Assess
    expect(out.find(([n]) => n === 'response.output_text.done')![1]).toMatchObject({ text: 'Once' });
    expect(out.find(([n]) => n === 'response.function_call_arguments.done')![1]).toMatchObject({ item_id: 'fc_1', arguments: '{"city":"Pa' });
    expect(out.filter(([n]) => n === 'response.output_item.done').map(([, d]) => d.item)).toMatchObject([
      { type: 'message', status: 'completed' },
      { id: 'fc_1', type: 'function_call', status: 'incomplete', name: 'weather', arguments: '{"city":"Pa' },
    ]);
  });
});
