import type { ChatRequest, StreamEvent } from '../../canonical/types';
import { eventFrame, exceptionFrame } from '../../../test/fakes/bedrock-wire';
import { parseConverseStream } from './stream';

const REQ: ChatRequest = { model: 'anthropic.claude-3-5-sonnet-20240620-v1:0', system: [], messages: [], stream: true };
const USAGE = { inputTokens: 10, outputTokens: 3, totalTokens: 13 };
const TOKENS = { input: 10, output: 3, cacheRead: 0, cacheWrite: 0, reasoning: 0 };

type Frame = [type: string, payload: Record<string, unknown>];
const frames = (list: Frame[]): Uint8Array[] => list.map(([type, payload]) => eventFrame(type, payload));
const text = (i: number, t: string): Frame => ['contentBlockDelta', { contentBlockIndex: i, delta: { text: t } }];
const stop = (i: number): Frame => ['contentBlockStop', { contentBlockIndex: i }];
const END: Frame[] = [
  ['messageStop', { stopReason: 'end_turn' }],
  ['metadata', { usage: USAGE, metrics: { latencyMs: 100 } }],
];

async function* chunks(list: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of list) yield c;
}

/** The events with the generated message id taken out, and errors reduced to what a test can compare. */
async function run(list: Uint8Array[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const e of parseConverseStream(chunks(list), REQ)) out.push(normalise(e));
  return out;
}

function normalise(e: StreamEvent): unknown {
  if (e.type === 'start') return { type: 'start', model: e.model };
  if (e.type === 'error') return { type: 'error', status: e.error.status, code: e.error.code };
  return e;
}

const START = { type: 'start', model: REQ.model };

describe('parseConverseStream', () => {
  const cases: { name: string; input: Uint8Array[]; expected: unknown[] }[] = [
    {
      name: 'streams text deltas, then finish, then the usage that follows messageStop',
      input: frames([['messageStart', { role: 'assistant' }], text(0, 'Hel'), text(0, 'lo'), stop(0), ...END]),
      expected: [START, { type: 'text_delta', text: 'Hel' }, { type: 'text_delta', text: 'lo' }, { type: 'finish', reason: 'stop' }, { type: 'usage', usage: TOKENS }],
    },
    {
      name: 'streams two tool calls with their own tool indexes after text',
      input: frames([
        ['messageStart', { role: 'assistant' }],
        text(0, 'Checking.'),
        stop(0),
        ['contentBlockStart', { contentBlockIndex: 1, start: { toolUse: { toolUseId: 'tooluse_a', name: 'get_weather' } } }],
        ['contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '{"city":' } } }],
        ['contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '"Paris"}' } } }],
        stop(1),
        ['contentBlockStart', { contentBlockIndex: 2, start: { toolUse: { toolUseId: 'tooluse_b', name: 'get_time' } } }],
        ['contentBlockDelta', { contentBlockIndex: 2, delta: { toolUse: { input: '' } } }],
        stop(2),
        ['messageStop', { stopReason: 'tool_use' }],
      ]),
      expected: [
        START,
        { type: 'text_delta', text: 'Checking.' },
        { type: 'tool_call_start', toolIndex: 0, id: 'tooluse_a', name: 'get_weather' },
        { type: 'tool_call_delta', toolIndex: 0, arguments: '{"city":' },
        { type: 'tool_call_delta', toolIndex: 0, arguments: '"Paris"}' },
        { type: 'tool_call_end', toolIndex: 0 },
        { type: 'tool_call_start', toolIndex: 1, id: 'tooluse_b', name: 'get_time' },
        { type: 'tool_call_end', toolIndex: 1 },
        { type: 'finish', reason: 'tool_calls' },
      ],
    },
    {
      name: 'streams reasoning text, its signature and redacted reasoning',
      input: frames([
        ['messageStart', { role: 'assistant' }],
        ['contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: 'Let me think' } } }],
        ['contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { signature: 'EqQB' } } }],
        stop(0),
        ['contentBlockDelta', { contentBlockIndex: 1, delta: { reasoningContent: { redactedContent: 'ZW5j' } } }],
        stop(1),
        text(2, 'Done'),
        stop(2),
        ...END,
      ]),
      expected: [
        START,
        { type: 'thinking_delta', text: 'Let me think' },
        { type: 'thinking_signature', signature: 'EqQB', signedBy: 'claude' },
        { type: 'redacted_thinking', data: 'ZW5j' },
        { type: 'text_delta', text: 'Done' },
        { type: 'finish', reason: 'stop' },
        { type: 'usage', usage: TOKENS },
      ],
    },
    {
      name: 'reports the stop sequence and counts cache tokens in the prompt total',
      input: frames([
        ['messageStart', { role: 'assistant' }],
        text(0, 'a'),
        ['messageStop', { stopReason: 'stop_sequence', additionalModelResponseFields: { stop_sequence: 'END' } }],
        ['metadata', { usage: { inputTokens: 5, outputTokens: 1, cacheReadInputTokens: 100, cacheWriteInputTokens: 20 } }],
      ]),
      expected: [
        START,
        { type: 'text_delta', text: 'a' },
        { type: 'finish', reason: 'stop', stopSequence: 'END' },
        { type: 'usage', usage: { input: 125, output: 1, cacheRead: 100, cacheWrite: 20, reasoning: 0 } },
      ],
    },
    {
      name: 'starts the message even when messageStart is missing',
      input: frames([text(0, 'x'), ['messageStop', { stopReason: 'max_tokens' }]]),
      expected: [START, { type: 'text_delta', text: 'x' }, { type: 'finish', reason: 'length' }],
    },
    {
      name: 'turns an exception frame mid-stream into an error event that ends the stream',
      input: [...frames([['messageStart', { role: 'assistant' }], text(0, 'par')]), exceptionFrame('throttlingException', 'Too many tokens'), ...frames([text(0, 'never')])],
      expected: [START, { type: 'text_delta', text: 'par' }, { type: 'error', status: 429, code: 'rate_limit_exceeded' }],
    },
    {
      name: 'turns a modelStreamErrorException into a 502',
      input: [...frames([['messageStart', { role: 'assistant' }]]), exceptionFrame('modelStreamErrorException', 'model failed')],
      expected: [START, { type: 'error', status: 502, code: 'model_stream_error_exception' }],
    },
    {
      name: 'ends with an error when the body stops before messageStop',
      input: frames([['messageStart', { role: 'assistant' }], text(0, 'half')]),
      expected: [START, { type: 'text_delta', text: 'half' }, { type: 'error', status: 502, code: 'upstream_interrupted' }],
    },
    {
      name: 'ignores event types it does not know',
      input: frames([['messageStart', { role: 'assistant' }], ['somethingNew', { x: 1 }], text(0, 'ok'), ...END]),
      expected: [START, { type: 'text_delta', text: 'ok' }, { type: 'finish', reason: 'stop' }, { type: 'usage', usage: TOKENS }],
    },
  ];

  it.each(cases)('$name', async ({ input, expected }) => {
    // Act & Assess
    expect(await run(input)).toEqual(expected);
  });

  it('streams only the first call of a model with no switch for parallel_tool_calls false', async () => {
    // Prepare
    const input = frames([
      ['messageStart', { role: 'assistant' }],
      ['contentBlockStart', { contentBlockIndex: 0, start: { toolUse: { toolUseId: 'tooluse_a', name: 'get_weather' } } }],
      ['contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: '{}' } } }],
      stop(0),
      ['contentBlockStart', { contentBlockIndex: 1, start: { toolUse: { toolUseId: 'tooluse_b', name: 'get_time' } } }],
      ['contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '{}' } } }],
      stop(1),
      ['messageStop', { stopReason: 'tool_use' }],
    ]);
    const events: unknown[] = [];

    // Act
    for await (const e of parseConverseStream(chunks(input), { ...REQ, model: 'amazon.nova-pro-v1:0', parallelToolCalls: false })) events.push(normalise(e));

    // Assess
    expect(events).toEqual([
      { type: 'start', model: 'amazon.nova-pro-v1:0' },
      { type: 'tool_call_start', toolIndex: 0, id: 'tooluse_a', name: 'get_weather' },
      { type: 'tool_call_delta', toolIndex: 0, arguments: '{}' },
      { type: 'tool_call_end', toolIndex: 0 },
      { type: 'finish', reason: 'tool_calls' },
    ]);
  });

  describe('across TCP chunk boundaries', () => {
    const whole = Buffer.concat(
      frames([
        ['messageStart', { role: 'assistant' }],
        text(0, 'Hello, wörld ✓'),
        stop(0),
        ['contentBlockStart', { contentBlockIndex: 1, start: { toolUse: { toolUseId: 'tooluse_a', name: 'f' } } }],
        ['contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '{"a":1}' } } }],
        stop(1),
        ...END,
      ]),
    );
    let baseline: unknown[];
    beforeAll(async () => {
      baseline = await run([whole]);
    });

    it('decodes all frames from one chunk', () => {
      // Assess
      expect(baseline).toHaveLength(7);
      expect(baseline[1]).toEqual({ type: 'text_delta', text: 'Hello, wörld ✓' });
    });

    it('decodes the same events whichever byte the stream is cut at', async () => {
      // Act
      const results = await Promise.all(Array.from({ length: whole.length - 1 }, (_, k) => run([whole.subarray(0, k + 1), whole.subarray(k + 1)])));

      // Assess
      for (const result of results) expect(result).toEqual(baseline);
    });

    it('decodes the same events from one-byte chunks', async () => {
      // Act
      const result = await run(Array.from(whole, (byte) => Uint8Array.of(byte)));

      // Assess
      expect(result).toEqual(baseline);
    });
  });

  it('reports a frame with a bad CRC as a broken stream', async () => {
    // Prepare
    const [frame] = frames([text(0, 'x')]);
    const broken = Uint8Array.from(frame ?? []);
    broken[broken.length - 1] = (broken[broken.length - 1] ?? 0) ^ 0xff;

    // Act & Assess
    expect(await run([broken])).toEqual([START, { type: 'error', status: 502, code: 'bad_upstream_response' }]);
  });

  it('reports a stream cut inside a frame as a broken stream', async () => {
    // Prepare
    const [first, second] = frames([['messageStart', { role: 'assistant' }], text(0, 'x')]);

    // Act & Assess
    expect(await run([first ?? new Uint8Array(), (second ?? new Uint8Array()).subarray(0, 20)])).toEqual([START, { type: 'error', status: 502, code: 'bad_upstream_response' }]);
  });
});
