import { chunkFrame, eventFrame, exceptionFrame } from '../../test/fakes/bedrock-wire';
import { answerNotStarted, startScan, streamScan } from './answer-start';

/** Feeds `pieces` in order; the index of the piece at whose end the scan said the answer started, or -1. */
function startedAt(contentType: string, pieces: readonly (string | Uint8Array)[]): number {
  const scan = startScan(contentType);
  return pieces.findIndex((piece) => scan.take(typeof piece === 'string' ? Buffer.from(piece, 'latin1') : piece));
}

/** Every way of cutting `text` in two, fed to a fresh SSE scan: the piece it started in (0 or 1), or -1. */
function everySplit(text: string): number[] {
  return Array.from({ length: text.length + 1 }, (_, at) => startedAt('text/event-stream', [text.slice(0, at), text.slice(at)]));
}

describe('startScan', () => {
  it.each<[string, string, readonly (string | Uint8Array)[], number]>([
    // SSE: the end of the first event that is not a keep-alive nor Anthropic's message_start starts the answer.
    ['an OpenAI data event', 'text/event-stream', ['data: {"id":"chatcmpl-1"}\n\n'], 0],
    ['a data line before its event ends', 'text/event-stream', ['data: {"id":', '1}\n', '\n'], 2],
    ["Anthropic's message_start, data and all", 'text/event-stream', ['event: message_start\ndata: {"type":"message_start"}\n\n'], -1],
    ["Anthropic's message_start, ping, then content_block_start", 'text/event-stream', ['event: message_start\ndata: {}\n\n', 'event: ping\ndata: {}\n\n', 'event: content_block_start\ndata: {}\n\n'], 2],
    ["Anthropic's opening write: message_start, content_block_start and ping", 'text/event-stream', ['event: message_start\ndata: {}\n\nevent: content_block_start\ndata: {}\n\nevent: ping\ndata: {}\n\n'], 0],
    ["Anthropic's error after message_start", 'text/event-stream', ['event: message_start\ndata: {}\n\n', 'event: error\ndata: {"type":"error"}\n\n'], 1],
    ['an error event split in three', 'text/event-stream', ['event: message_start\ndata: {}\n\nevent: er', 'ror\ndata: {"type":', '"error"}\n\n'], 2],
    ['the Responses API response.created', 'text/event-stream', ['event: response.created\ndata: {}\n\n'], 0],
    ['an event line still open', 'text/event-stream', ['event: content_block_st'], -1],
    ['a named event before its blank line', 'text/event-stream', ['event: content_block_start\ndata: {}\n'], -1],
    ['a comment keep-alive', 'text/event-stream', [': ping\n\n'], -1],
    ["OpenRouter's processing comments, then data", 'text/event-stream', [': OPENROUTER PROCESSING\n\n', ': OPENROUTER PROCESSING\n\n', 'data: {}\n\n'], 2],
    ["Anthropic's ping event, data and all", 'text/event-stream', ['event: ping\ndata: {"type": "ping"}\n\n'], -1],
    ['a ping, then a real event', 'text/event-stream', ['event: ping\ndata: {"type": "ping"}\n\n', 'event: content_block_delta\ndata: {}\n\n'], 1],
    ['a ping without its space', 'text/event-stream', ['event:ping\ndata:{}\n\n'], -1],
    ['a ping ended by CRLF', 'text/event-stream', ['event: ping\r\ndata: {}\r\n\r\n'], -1],
    ['a ping ended by lone CRs', 'text/event-stream', ['event: ping\rdata: {}\r\r', 'data: {}\r\r'], 1],
    ['a retry and an id', 'text/event-stream', ['retry: 3000\nid: 7\n\n'], -1],
    ['a data field without a colon', 'text/event-stream', ['data\n\n'], 0],
    ['a blank line alone', 'text/event-stream', ['\n\r\n'], -1],
    ['an event named like ping but longer', 'text/event-stream', ['event: pingpong\n\n'], 0],
    ['an event named like message_start but longer than any held name', 'text/event-stream', ['event: message_start_and_more\n\n'], 0],
    ['an SSE type with a charset', 'text/event-stream; charset=utf-8', [': ka\n\n', 'data: x\n\n'], 1],
    // JSON: its first byte that is not a blank.
    ['a JSON answer', 'application/json', ['{"id":1}'], 0],
    ['JSON kept alive by blanks', 'application/json; charset=utf-8', ['\n', ' \t\r\n', '{'], 2],
    ['a problem+json error', 'application/problem+json', ['{}'], 0],
    // Anything else: its first byte.
    ['audio', 'audio/mpeg', [Buffer.alloc(0), Buffer.from([0xff, 0xfb])], 1],
    ['text, even a blank', 'text/plain', ['\n'], 0],
    ['no content type', '', ['x'], 0],
  ])('%s', (_what, contentType, pieces, expected) => {
    // Act
    const at = startedAt(contentType, pieces);

    // Assess
    expect(at).toBe(expected);
  });

  it.each([
    ['data: {"id":1}\n\n', 'starts'],
    ['event: content_block_start\ndata: {}\n\n', 'starts'],
    ['event: message_start\r\ndata: {}\r\n\r\n', 'does not start'],
    ['event: ping\r\ndata: {"type":"ping"}\r\n\r\n', 'does not start'],
    [': keep-alive\r\n\r\n', 'does not start'],
  ])('reads %j the same however it is cut in two: it %s', (text, verdict) => {
    // Act
    const verdicts = everySplit(text);

    // Assess
    for (const at of verdicts) expect(at >= 0).toBe(verdict === 'starts');
  });
});

describe("startScan of Bedrock's event stream", () => {
  const EVENT_STREAM = 'application/vnd.amazon.eventstream';
  const messageStart = eventFrame('messageStart', { role: 'assistant' });
  const blockDelta = eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hi' } });
  const throttled = exceptionFrame('throttlingException', 'Too many requests, please wait before trying again.');
  const anthropicStart = chunkFrame({ type: 'message_start', message: { id: 'msg_bdrk_01', usage: { input_tokens: 9, output_tokens: 1 } } });
  const anthropicPing = chunkFrame({ type: 'ping' });
  const anthropicBlock = chunkFrame({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
  const cat = (...frames: Uint8Array[]) => Buffer.concat(frames);

  it.each<[string, readonly Uint8Array[], number]>([
    // ConverseStream: messageStart is no start; content, a stop, usage or an exception is.
    ['messageStart alone', [messageStart], -1],
    ['messageStart, then a content delta', [messageStart, blockDelta], 1],
    ['messageStart and a delta in one read', [cat(messageStart, blockDelta)], 0],
    ['messageStart, then an exception', [messageStart, throttled], 1],
    ['an exception as the first frame', [throttled], 0],
    ['an exception cut in three reads', [cat(messageStart, throttled.subarray(0, 5)), throttled.subarray(5, 40), throttled.subarray(40)], 2],
    ['a frame whose length is cut', [throttled.subarray(0, 2), throttled.subarray(2)], 1],
    ['messageStop', [eventFrame('messageStop', { stopReason: 'end_turn' })], 0],
    ['metadata', [eventFrame('metadata', { usage: { inputTokens: 1, outputTokens: 1 } })], 0],
    // InvokeModelWithResponseStream: Anthropic's events in chunks, by Anthropic's rule.
    ["Anthropic's message_start in a chunk", [anthropicStart], -1],
    ["Anthropic's message_start and ping, then content_block_start", [anthropicStart, anthropicPing, anthropicBlock], 2],
    ["Anthropic's message_start, then an exception", [anthropicStart, exceptionFrame('serviceUnavailableException', 'Bedrock is unable to process your request.')], 1],
    // A frame both relays skip sends the client nothing: no start, so an exception after it still fails over.
    ["Anthropic's message_start, a chunk whose type cannot be an event name, then an exception", [anthropicStart, chunkFrame({ type: 'content block' }), throttled], 2],
    ['messageStart, an event type Bedrock adds later, then a delta', [messageStart, eventFrame('futureEvent', {}), blockDelta], 2],
    // A broken frame starts it: its reader says what it is.
    ['a frame with an impossible length', [Buffer.from([0, 0, 0, 3, 1, 2, 3, 4])], 0],
    ['a frame whose CRC is wrong', [Buffer.concat([blockDelta.subarray(0, blockDelta.length - 1), Buffer.from([blockDelta[blockDelta.length - 1]! ^ 0xff])])], 0],
    ['a frame not whole yet', [Buffer.from([0, 0, 0, 90])], -1],
  ])('%s', (_what, pieces, expected) => {
    // Act
    const at = startedAt(EVENT_STREAM, pieces);

    // Assess
    expect(at).toBe(expected);
  });

  it('reads an exception after messageStart the same however the bytes are cut in two', () => {
    // Prepare
    const bytes = cat(messageStart, throttled);

    // Act
    const verdicts = Array.from({ length: bytes.length + 1 }, (_, at) => startedAt(EVENT_STREAM, [bytes.subarray(0, at), bytes.subarray(at)]));

    // Assess: it starts in the piece that completes the exception's frame, never before.
    verdicts.forEach((at, cut) => expect(at).toBe(cut === bytes.length ? 0 : 1));
  });

  it.each<[string, Uint8Array, number]>([
    ['messageStart, then a delta', cat(messageStart, blockDelta), messageStart.length + blockDelta.length],
    ["Anthropic's message_start and ping, then an exception", cat(anthropicStart, anthropicPing, throttled), anthropicStart.length + anthropicPing.length + throttled.length],
    ['messageStart alone', messageStart, -1],
  ])('fed one byte a read, %s starts at the last byte of the first frame that is no opening, not before', (_what, bytes, expected) => {
    // Act
    const at = startedAt(EVENT_STREAM, Array.from(bytes, (byte) => Uint8Array.of(byte)));

    // Assess: the index of the byte whose read said so, counted from 1 as a length.
    expect(at === -1 ? -1 : at + 1).toBe(expected);
  });
});

describe("startScan of Gemini's JSON array", () => {
  const scanOf = (pieces: readonly string[]) => {
    const scan = startScan('application/json; charset=UTF-8', true);
    return pieces.findIndex((piece) => scan.take(Buffer.from(piece)));
  };

  it.each<[string, readonly string[], number]>([
    ['the opening bracket alone', ['['], -1],
    ['blanks and the bracket, then an element', ['\n', '[', '{"candidates": []}\n'], 2],
    ['an element cut in three', ['[{"candidates": [{"content":', ' {"parts": [{"text": "}"}]}}]', '}\n'], 2],
    ["Google's error as the first element", ['[{\n  "error": {\n    "code": 503,\n    "message": "The model is overloaded.",\n    "status": "UNAVAILABLE"\n  }\n}\n]'], 0],
    ['an empty array', ['[', ']'], 1],
    ['no array: an object', ['{"error": {}}'], 0],
  ])('%s', (_what, pieces, expected) => {
    // Act
    const at = scanOf(pieces);

    // Assess
    expect(at).toBe(expected);
  });

  it.each<[string, string, string]>([
    ['blanks, the bracket, blanks, then a chunk', '\n [\r\n  {"candidates": [{"content": {"parts": [{"text": "an error, then ]"}]}}]}', '\n,\r\n{"candidates": []}\n]'],
    ["Google's error as the first element", '[{\n  "error": {\n    "code": 503,\n    "status": "UNAVAILABLE"\n  }\n}', '\n]'],
  ])('fed one byte a read, %s starts at the last byte of the first element, not before', (_what, first, rest) => {
    // Prepare
    const bytes = Buffer.from(first + rest);

    // Act
    const scan = startScan('application/json', true);
    const at = Array.from(bytes).findIndex((byte) => scan.take(Uint8Array.of(byte)));

    // Assess
    expect(at + 1).toBe(Buffer.byteLength(first));
  });

  it('is a plain JSON scan when the call asked for no array', () => {
    // Act
    const scan = startScan('application/json', false);

    // Assess: the bracket alone starts a whole answer.
    expect(scan.take(Buffer.from('['))).toBe(true);
  });
});

describe('streamScan', () => {
  it.each<[string, string, boolean, boolean]>([
    ['SSE', 'text/event-stream', false, true],
    ["Bedrock's event stream", 'application/vnd.amazon.eventstream', false, true],
    ["Bedrock's event stream, spelt otherwise", 'Application/VND.Amazon.EventStream; charset=binary', false, true],
    ["Gemini's JSON array", 'application/json; charset=UTF-8', true, true],
    ['a JSON answer', 'application/json', false, false],
    ['audio', 'audio/mpeg', false, false],
  ])('%s (%s): watched %s', (_what, contentType, jsonArray, watched) => {
    // Act
    const scan = streamScan(contentType, jsonArray);

    // Assess
    expect(scan !== undefined).toBe(watched);
  });
});

describe('answerNotStarted', () => {
  it('is the 504 upstream_timeout, with the host and the setting for the log only', () => {
    // Act
    const error = answerNotStarted('api.example.com', 8000);

    // Assess
    expect(error).toMatchObject({ status: 504, code: 'upstream_timeout', message: 'The upstream provider did not start its answer in time.' });
    expect(error.detail).toBe('api.example.com: no answer within 8000 ms of sending (timeouts.firstByteMs)');
  });
});
