import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { awkwardPieces, chunkFrame, eventFrame, exceptionFrame } from '../../../test/fakes/bedrock-wire';
import { capturedSse, FIXTURE_NAMES, loadFixture } from '../../../test/integration/claude-code/fixtures';
import { SseReader } from '../../http/sse';
import { AnthropicStreamMeter } from '../anthropic/stream-meter';
import { bedrockAnthropicPassthroughRequest, bedrockAnthropicStreamEvents, bedrockAnthropicStreamToSse, splitBedrockBetas, sseText } from './anthropic';

async function* chunks(list: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of list) yield c;
}

async function sse(list: Uint8Array[], onDetail?: (detail: string) => void): Promise<string> {
  let out = '';
  // The words kept from the client travel with the failure of the gateway's error event.
  for await (const event of bedrockAnthropicStreamEvents(chunks(list))) {
    if (event.error?.detail !== undefined) onDetail?.(event.error.detail);
    out += sseText(event);
  }
  return out;
}

describe('splitBedrockBetas', () => {
  it.each([
    { name: 'keeps the flags Bedrock takes and names the rest', header: 'claude-code-20250219, interleaved-thinking-2025-05-14', kept: ['interleaved-thinking-2025-05-14'], dropped: ['claude-code-20250219'] },
    { name: 'reads repeated headers and drops duplicates', header: ['context-1m-2025-08-07', 'context-1m-2025-08-07,effort-2025-11-24'], kept: ['context-1m-2025-08-07', 'effort-2025-11-24'], dropped: [] },
    { name: 'reads no header as no flags', header: undefined, kept: [], dropped: [] },
  ])('$name', ({ header, kept, dropped }) => {
    // Act & Assess
    expect(splitBedrockBetas(header)).toEqual({ kept, dropped });
  });

  it('forwards every flag when told to', () => {
    // Act & Assess
    expect(splitBedrockBetas('claude-code-20250219', 'all')).toEqual({ kept: ['claude-code-20250219'], dropped: [] });
  });
});

describe('bedrockAnthropicPassthroughRequest', () => {
  it('addresses invoke-with-response-stream with the encoded model id and leaves out an empty beta list', async () => {
    // Act
    const req = await bedrockAnthropicPassthroughRequest({
      body: { model: 'x', stream: true, max_tokens: 1, messages: [], anthropic_beta: ['oauth-2025-04-20'] },
      modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0',
      endpoint: 'https://bedrock-runtime.us-east-1.amazonaws.com',
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 's' },
      stream: true,
      timeouts: { headersMs: 1, idleMs: 2 },
    });

    // Assess
    expect(req.url).toBe('https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/invoke-with-response-stream');
    expect(JSON.parse(String(req.body))).toEqual({ max_tokens: 1, messages: [], anthropic_version: 'bedrock-2023-05-31' });
    expect(req.headers.authorization).toMatch(/\/us-east-1\/bedrock\/aws4_request/);
    expect(req).toMatchObject({ headersTimeoutMs: 1, idleTimeoutMs: 2 });
  });
});

describe('bedrockAnthropicStreamToSse', () => {
  const start = { type: 'message_start', message: { id: 'msg_bdrk_1', type: 'message', role: 'assistant', content: [], usage: { input_tokens: 3, output_tokens: 1 } } };

  it('passes each chunk on as one SSE event, its JSON unchanged', async () => {
    // Act
    const out = await sse([chunkFrame(start), chunkFrame({ type: 'ping' }), chunkFrame({ type: 'message_stop' })]);

    // Assess
    expect(out).toBe(`event: message_start\ndata: ${JSON.stringify(start)}\n\nevent: ping\ndata: {"type":"ping"}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n`);
  });

  it.each([
    { name: 'an overloaded service', frame: exceptionFrame('serviceUnavailableException', 'Busy'), expected: { type: 'overloaded_error', message: 'Busy' } },
    { name: 'a validation failure', frame: exceptionFrame('validationException', 'Bad input'), expected: { type: 'invalid_request_error', message: 'Bad input' } },
    { name: 'a model stream error', frame: exceptionFrame('modelStreamErrorException', 'Model broke'), expected: { type: 'api_error', message: 'Model broke' } },
  ])('ends with an Anthropic error event for $name', async ({ frame, expected }) => {
    // Act
    const out = await sse([chunkFrame(start), frame]);

    // Assess
    expect(out.endsWith(`event: error\ndata: ${JSON.stringify({ type: 'error', error: expected })}\n\n`)).toBe(true);
  });

  it.each([
    ['accessDeniedException', 'User: arn:aws:sts::444455556666:assumed-role/aigw-bedrock/x is not authorized to perform: bedrock:InvokeModelWithResponseStream'],
    ['unrecognizedClientException', 'The security token included in the request is invalid.'],
    ['expiredTokenException', 'The security token included in the request is expired'],
  ])('tells of %s in its own words and hands AWS’s to the log', async (type, said) => {
    // Prepare
    const details: string[] = [];

    // Act
    const out = await sse([chunkFrame(start), exceptionFrame(type, said)], (d) => details.push(d));

    // Assess
    const expected = { type: 'api_error', message: `The upstream provider "bedrock" rejected the gateway's AWS credentials (${type}).` };
    expect(out.endsWith(`event: error\ndata: ${JSON.stringify({ type: 'error', error: expected })}\n\n`)).toBe(true);
    expect(out).not.toContain(said);
    expect(details).toEqual([said]);
  });

  it('keeps an ARN in a mid-stream exception for the log, and the rest of the words for the client', async () => {
    // Prepare
    const details: string[] = [];
    const said = 'Input is too long for arn:aws:bedrock:us-east-1:444455556666:application-inference-profile/p1.';

    // Act
    const out = await sse([chunkFrame(start), exceptionFrame('validationException', said)], (d) => details.push(d));

    // Assess
    const expected = { type: 'invalid_request_error', message: 'Input is too long for arn:aws:bedrock:…:application-inference-profile/….' };
    expect(out.endsWith(`event: error\ndata: ${JSON.stringify({ type: 'error', error: expected })}\n\n`)).toBe(true);
    expect(out).not.toContain('444455556666');
    expect(details).toEqual([said]);
  });

  it('keeps a bare account id in a mid-stream exception for the log', async () => {
    // Prepare
    const details: string[] = [];
    const said = 'The model is not enabled for account 444455556666 in this Region.';

    // Act
    const out = await sse([chunkFrame(start), exceptionFrame('validationException', said)], (d) => details.push(d));

    // Assess
    expect(out).not.toContain('444455556666');
    expect(out).toContain('The model is not enabled for account <account> in this Region.');
    expect(details).toEqual([said]);
  });

  it('rewrites Claude’s own error event carried in a chunk as Anthropic’s in-band errors are, its organisation kept for the log', async () => {
    // Prepare
    const details: string[] = [];
    const said = 'This request would exceed the rate limit for your organization (d3f27ff7-9afe-4ee2-9645-76ecfc73c2b7) of 40,000 input tokens per minute.';

    // Act
    const out = await sse([chunkFrame(start), chunkFrame({ type: 'error', error: { type: 'rate_limit_error', message: said } })], (d) => details.push(d));

    // Assess
    const expected = { type: 'rate_limit_error', message: 'This request would exceed the rate limit for your organization (the provider account) of 40,000 input tokens per minute.' };
    expect(out.endsWith(`event: error\ndata: ${JSON.stringify({ type: 'error', error: expected })}\n\n`)).toBe(true);
    expect(details).toEqual([said]);
  });

  it('names the provider by its config id when Claude’s own error event says the gateway’s key was refused', async () => {
    // Prepare
    const refused = chunkFrame({ type: 'error', error: { type: 'permission_error', message: 'Your organization d3f27ff7-9afe-4ee2-9645-76ecfc73c2b7 cannot use this model.' } });

    // Act
    let out = '';
    for await (const piece of bedrockAnthropicStreamToSse(chunks([chunkFrame(start), refused]), 'aws-east')) out += piece;

    // Assess
    expect(out).toContain('The upstream provider \\"aws-east\\" rejected the gateway\'s credentials (permission_error).');
  });

  it('ends with an error event when the stream stops before message_stop', async () => {
    // Act
    const out = await sse([chunkFrame(start)]);

    // Assess
    expect(out).toMatch(/event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"The upstream provider \\"bedrock\\" ended the stream before it was complete."\}\}\n\n$/);
  });

  it('ends with an error event when a frame is broken', async () => {
    // Prepare
    const broken = Uint8Array.from(chunkFrame(start));
    broken[20] = (broken[20] ?? 0) ^ 0xff;

    // Act
    const out = await sse([broken]);

    // Assess
    expect(out).toMatch(/^event: error\n.*broken event stream/);
  });

  /** A `chunk` frame whose payload is `payload` as it stands (JSON or not). */
  const rawChunkFrame = (payload: string) =>
    new EventStreamCodec(toUtf8, fromUtf8).encode({
      headers: { ':event-type': { type: 'string', value: 'chunk' }, ':content-type': { type: 'string', value: 'application/json' }, ':message-type': { type: 'string', value: 'event' } },
      body: fromUtf8(payload),
    });
  const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

  it.each([
    ['an event cut after its type', `{"bytes":"${base64('{"type":"content_block_delta","index":0,"delta":{')}","p":"abc"}`, /^The upstream provider "bedrock" sent a broken event stream: .*JSON/],
    ['an event that is no JSON', `{"bytes":"${base64('hello')}"}`, /^The upstream provider "bedrock" sent a broken event stream/],
    ['a payload cut in its padding', `{"bytes":"${base64('{"type":"ping"}')}","p":`, /^The upstream provider "bedrock" sent a broken event stream: .*JSON/],
    ['a payload that is no JSON', 'bytes', /^The upstream provider "bedrock" sent a broken event stream/],
  ])('ends with an error event, after the events before it, when a chunk holds %s', async (_what, payload, message) => {
    // Act
    const out = await sse([chunkFrame(start), rawChunkFrame(payload), chunkFrame({ type: 'message_stop' })]);

    // Assess: the broken event is not passed on, nor anything after it.
    const [first, error, ...rest] = out.split('\n\n').filter((e) => e !== '');
    expect(first).toBe(`event: message_start\ndata: ${JSON.stringify(start)}`);
    expect(error).toMatch(/^event: error\ndata: /);
    expect((JSON.parse(error!.slice(error!.indexOf('data: ') + 6)) as { error: { message: string } }).error.message).toMatch(message);
    expect(rest).toEqual([]);
  });
  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ])('passes an event whose JSON spans lines (%s between its tokens) as one event whose data parses to it', async (_what, lineEnd) => {
    // Prepare: JSON's whitespace may hold line ends, and SSE ends a data line at each.
    const delta = { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } };
    const spread = JSON.stringify(delta, null, 1).replaceAll('\n', lineEnd);
    const frame = eventFrame('chunk', { bytes: Buffer.from(spread, 'utf8').toString('base64') });

    // Act
    const out = await sse([chunkFrame(start), frame, chunkFrame({ type: 'message_stop' })]);

    // Assess: as the Anthropic client's SSE parser reads it.
    const read: [string | undefined, unknown][] = [];
    new SseReader({ onEvent: (event) => read.push([event.event, JSON.parse(event.data)]) }).feed(out);
    expect(read).toEqual([
      ['message_start', start],
      ['content_block_delta', delta],
      ['message_stop', { type: 'message_stop' }],
    ]);
  });
});

describe('bedrockAnthropicStreamEvents', () => {
  it('hands on each Claude event with its data as sent and parsed, and its own errors unparsed with the failure they tell', async () => {
    // Prepare
    const delta = { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'žluť 🐴 "quoted"' } };

    // Act
    const events = [];
    for await (const event of bedrockAnthropicStreamEvents(chunks([chunkFrame({ type: 'ping' }), chunkFrame(delta), exceptionFrame('throttlingException', 'Slow down')]))) events.push(event);

    // Assess
    expect(events).toEqual([
      { name: 'ping', data: '{"type":"ping"}', event: { type: 'ping' } },
      { name: 'content_block_delta', data: JSON.stringify(delta), event: delta },
      { name: 'error', data: JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'Slow down' } }), error: expect.objectContaining({ kind: 'rate_limit', code: 'rate_limit_exceeded' }) },
    ]);
  });
});

describe('the failure behind each error event bedrockAnthropicStreamEvents writes', () => {
  const start = { type: 'message_start', message: { id: 'msg_bdrk_1', type: 'message', role: 'assistant', content: [], usage: { input_tokens: 3, output_tokens: 1 } } };
  /** A `:message-type: error` frame: its code and words in headers, no payload. */
  const errorFrame = (code: string, message: string) =>
    new EventStreamCodec(toUtf8, fromUtf8).encode({
      headers: { ':message-type': { type: 'string', value: 'error' }, ':error-code': { type: 'string', value: code }, ':error-message': { type: 'string', value: message } },
      body: new Uint8Array(0),
    });
  const broken = () => {
    const frame = Uint8Array.from(chunkFrame(start));
    frame[20] = (frame[20] ?? 0) ^ 0xff;
    return frame;
  };
  const ROLE = 'User: arn:aws:sts::444455556666:assumed-role/aigw-bedrock/x is not authorized';

  it.each([
    { name: 'a throttling exception', last: [exceptionFrame('throttlingException', 'Slow down')], type: 'rate_limit_error', message: 'Slow down', code: 'rate_limit_exceeded', detail: undefined },
    { name: 'a model timeout', last: [exceptionFrame('modelTimeoutException', 'Took too long')], type: 'timeout_error', message: 'Took too long', code: 'upstream_timeout', detail: undefined },
    { name: 'an exception without words', last: [exceptionFrame('modelStreamErrorException', '')], type: 'api_error', message: 'The upstream provider "aws-east" failed mid-stream (modelStreamErrorException).', code: 'model_stream_error_exception', detail: undefined },
    { name: 'the gateway’s AWS credentials refused', last: [exceptionFrame('accessDeniedException', ROLE)], type: 'api_error', message: 'The upstream provider "aws-east" rejected the gateway\'s AWS credentials (accessDeniedException).', code: 'upstream_auth_failed', detail: ROLE },
    { name: 'a qualified credentials exception', last: [exceptionFrame('expiredTokenException:http://internal.amazon.com/coral/com.amazon.bedrock/', 'expired')], type: 'api_error', message: 'The upstream provider "aws-east" rejected the gateway\'s AWS credentials (expiredTokenException).', code: 'upstream_auth_failed', detail: 'expired' },
    { name: 'an error frame', last: [errorFrame('ServiceUnavailableException', 'Busy')], type: 'overloaded_error', message: 'Busy', code: 'service_unavailable_exception', detail: undefined },
    { name: 'Claude’s own authentication_error', last: [chunkFrame({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } })], type: 'api_error', message: 'The upstream provider "aws-east" rejected the gateway\'s credentials (authentication_error).', code: 'upstream_auth_failed', detail: 'invalid x-api-key' },
    { name: 'Claude’s own overloaded_error', last: [chunkFrame({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })], type: 'overloaded_error', message: 'Overloaded', code: 'overloaded_error', detail: undefined },
    { name: 'a stream cut before message_stop', last: [], type: 'api_error', message: 'The upstream provider "aws-east" ended the stream before it was complete.', code: 'upstream_interrupted', detail: undefined },
    { name: 'a broken frame', last: [broken()], type: 'api_error', message: expect.stringMatching(/^The upstream provider "aws-east" sent a broken event stream: /), code: 'bad_upstream_response', detail: undefined },
  ])('tells $name to the client as an Anthropic error and to the books as code $code', async ({ last, type, message, code, detail }) => {
    // Prepare
    const details: string[] = [];

    // Act
    const events = [];
    for await (const event of bedrockAnthropicStreamEvents(chunks([chunkFrame(start), ...last]), 'aws-east')) {
      events.push(event);
      if (event.error?.detail !== undefined) details.push(event.error.detail);
    }

    // Assess: one error event, last; its data the client's words, its failure the books'.
    const error = events.at(-1)!;
    expect(events.filter((e) => e.name === 'error')).toEqual([error]);
    expect(JSON.parse(error.data)).toEqual({ type: 'error', error: { type, message } });
    expect(error.error).toMatchObject({ message, code, detail });
    expect(details).toEqual(detail === undefined ? [] : [detail]);
  });
});

describe('a chunk whose type cannot stand on an SSE event line', () => {
  const start = { type: 'message_start', message: { id: 'msg_bdrk_1', type: 'message', role: 'assistant', content: [], usage: { input_tokens: 3, output_tokens: 1 } } };
  const answer = [
    start,
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } },
    { type: 'content_block_stop', index: 0 },
    { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } },
    { type: 'message_stop' },
  ];
  /** The answer with `stray` after its first delta: an event of the odd type that would change what the client reads and the books count. */
  const withStray = (type: string) => [
    ...answer.slice(0, 3).map(chunkFrame),
    chunkFrame({ type, index: 0, delta: { type: 'text_delta', text: ' injected' }, usage: { output_tokens: 999 }, error: { type: 'authentication_error', message: 'organization d3f27ff7-9afe-4ee2-9645-76ecfc73c2b7' } }),
    ...answer.slice(3).map(chunkFrame),
  ];

  // CR, LF and CRLF end an SSE line for every parser (the spec's three); the other controls and
  // Unicode's line separators end one for parsers that split lines as Python's str.splitlines does
  // (httpx's); a space, a tab or nothing at all is no Claude type either (all are lowercase words joined by `_`).
  it.each([
    ['LF', 'error\n'],
    ['LF before the name', '\nmessage_stop'],
    ['CR', 'message_stop\r'],
    ['CRLF', 'content_block_delta\r\ndata: {}'],
    ['LF then a field', 'message_delta\nevent: error'],
    ['NUL', 'ping\u0000'],
    ['a tab', 'content_block_delta\t'],
    ['a vertical tab', 'message_delta\u000b'],
    ['a form feed', 'message_delta\u000c'],
    ['a file separator', 'message_delta\u001c'],
    ['DEL', 'message_delta\u007f'],
    ['NEL (U+0085)', 'message_delta\u0085'],
    ['LINE SEPARATOR (U+2028)', 'message_delta\u2028x'],
    ['PARAGRAPH SEPARATOR (U+2029)', 'message_delta\u2029x'],
    ['a space', 'message delta'],
    ['nothing', ''],
  ])('skips a chunk whose type holds %s, as one without a type, the rest relayed and metered as sent', async (_what, type) => {
    // Act
    const events = [];
    const meter = new AnthropicStreamMeter(0);
    for await (const event of bedrockAnthropicStreamEvents(chunks(withStray(type)))) {
      meter.observeParsed(event.name, event.data, event.event);
      events.push(event);
    }
    const out = events.map(sseText).join('');

    // Assess: as the client's SSE parser reads it, and line by line as any parser splits it.
    const read: [string | undefined, unknown][] = [];
    new SseReader({ onEvent: (event) => read.push([event.event, JSON.parse(event.data)]) }).feed(out);
    expect(read).toEqual(answer.map((event) => [event.type, event]));
    for (const line of out.split(/\r\n|[\n\r\u000b\u000c\u001c-\u001e\u0085\u2028\u2029]/)) expect(line).toMatch(/^$|^event: [a-z_]+$|^data: \{/);
    expect(out).not.toContain('injected');
    expect(meter.usage).toMatchObject({ input: 3, output: 2 });
    expect(meter.sawMessageStop).toBe(true);
    expect(meter.error).toBeUndefined();
  });

  it('passes every type Claude sends', async () => {
    // Prepare: Anthropic's documented stream events, each in a chunk.
    const types = ['message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop'];

    // Act
    const names = [];
    for await (const event of bedrockAnthropicStreamEvents(chunks(types.map((type) => chunkFrame(type === 'message_start' ? start : { type }))))) names.push(event.name);

    // Assess
    expect(names).toEqual(types);
  });
});

describe('the meter of Claude on Bedrock', () => {
  const answered = FIXTURE_NAMES.filter((name) => loadFixture(name).response !== undefined);
  const findings = (m: AnthropicStreamMeter) => ({ usage: m.usage, stopReason: m.stopReason, firstTokenMs: m.firstTokenMs, sawMessageStop: m.sawMessageStop, error: m.error?.message, outputChars: m.outputChars });
  /** The captured answer's events as Bedrock frames them, cut at awkward places. */
  const bedrockPieces = (sseText: string, extra: Record<string, unknown>[] = []) => {
    const events: Record<string, unknown>[] = [];
    new SseReader({ onEvent: (event) => events.push(JSON.parse(event.data) as Record<string, unknown>) }).feed(sseText);
    return awkwardPieces(Buffer.concat([...events, ...extra].map(chunkFrame)));
  };
  /** Meters the stream both ways: parsed events handed on (the relay's), and the SSE text the client gets read back. */
  const meterBothWays = async (pieces: Uint8Array[]) => {
    let clock = 0;
    const parsed = new AnthropicStreamMeter(0, () => ++clock);
    for await (const e of bedrockAnthropicStreamEvents(chunks(pieces))) parsed.observeParsed(e.name, e.data, e.event);
    clock = 0;
    const fed = new AnthropicStreamMeter(0, () => ++clock);
    fed.feed(await sse(pieces));
    return { parsed: findings(parsed), fed: findings(fed) };
  };

  it.each(answered)('learns from %s, parsed once on Bedrock, what it learns from the answer as Anthropic sent it', async (name) => {
    // Prepare
    const text = capturedSse(name);
    const direct = new AnthropicStreamMeter(0, () => 1);
    direct.feed(text);

    // Act
    const { parsed, fed } = await meterBothWays(bedrockPieces(text));

    // Assess
    expect(answered.length).toBeGreaterThanOrEqual(3);
    expect(parsed).toEqual(fed);
    expect(parsed).toEqual(findings(direct));
    expect(parsed).toMatchObject({ sawMessageStop: true, error: undefined });
    expect(parsed.outputChars).toBeGreaterThan(0);
  });

  it.each(answered)('learns the same both ways from %s cut by Claude’s own error event', async (name) => {
    // Prepare: the answer up to its first delta, then an overloaded error.
    const text = capturedSse(name);
    const cut = text.slice(0, text.indexOf('event: content_block_delta'));

    // Act
    const { parsed, fed } = await meterBothWays(bedrockPieces(cut, [{ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }]));

    // Assess
    expect(parsed).toEqual(fed);
    expect(parsed).toMatchObject({ sawMessageStop: false, error: 'Overloaded' });
    expect(parsed.usage?.input).toBeGreaterThan(0);
  });

  it('learns the same both ways from an event whose JSON spans lines', async () => {
    // Prepare
    const start = { type: 'message_start', message: { usage: { input_tokens: 3, output_tokens: 1 } } };
    const spread = JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } }, null, 2).replaceAll('\n', '\r\n');
    const frames = [chunkFrame(start), eventFrame('chunk', { bytes: Buffer.from(spread, 'utf8').toString('base64') }), chunkFrame({ type: 'message_stop' })];

    // Act
    const { parsed, fed } = await meterBothWays(frames);

    // Assess
    expect(parsed).toEqual(fed);
    expect(parsed).toMatchObject({ outputChars: 5, firstTokenMs: 1, sawMessageStop: true });
  });
});
