import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { chunkFrame, eventFrame, exceptionFrame } from '../../../test/fakes/bedrock-wire';
import { anthropicChunkEvent, base64Forms, chunkPayloadBytes, CONVERSE_EVENTS, isConverseEvent, EventStreamFormatError, EventStreamFrames, headerText, isOpeningFrame, isOpeningMessage, mayBeOpening, nextFrameSize } from './eventstream';

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const frameOf = (headers: Record<string, string>, body = '{}') =>
  codec.encode({ headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, { type: 'string' as const, value }])), body: fromUtf8(body) });

/**
 * Real encoded frames, each with what `isOpeningMessage` says of it once decoded. `mayBeOpening`
 * may say true of a frame that is none (it is then decoded: only a cost), never false of one
 * that is (it would be taken for the answer's start, and an exception after it relayed in-band).
 */
const FRAMES: [string, Uint8Array, boolean][] = [
  ['messageStart', eventFrame('messageStart', { role: 'assistant' }), true],
  ["Anthropic's message_start in a chunk", chunkFrame({ type: 'message_start', message: { id: 'msg_bdrk_01' } }), true],
  ["Anthropic's ping in a chunk", chunkFrame({ type: 'ping' }), true],
  ["Anthropic's content_block_start in a chunk", chunkFrame({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }), false],
  ['a text delta naming messageStart in its body', eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'messageStart chunk' } }), false],
  ['a tool named chunk', eventFrame('contentBlockStart', { contentBlockIndex: 0, start: { toolUse: { toolUseId: 't', name: 'chunk' } } }), false],
  ['messageStop', eventFrame('messageStop', { stopReason: 'end_turn' }), false],
  ['metadata', eventFrame('metadata', { usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 } }), false],
  ['throttlingException', exceptionFrame('throttlingException', 'messageStart chunk'), false],
  ['serviceUnavailableException', exceptionFrame('serviceUnavailableException', 'x'), false],
  ['an error message', frameOf({ ':message-type': 'error', ':error-code': 'InternalFailure', ':error-message': 'chunk' }), false],
  ['messageStart with its headers in another order', frameOf({ ':message-type': 'event', ':content-type': 'application/json', ':event-type': 'messageStart' }, '{"role":"assistant"}'), true],
  ['an exception whose headers carry a chunk-like value', frameOf({ ':message-type': 'exception', ':exception-type': 'chunkedException', ':content-type': 'application/json' }), false],
  // Frames both relays skip: nothing of them reaches the client, so an exception after them still fails over.
  ['a chunk whose type holds a space', chunkFrame({ type: 'content block' }), true],
  ['a chunk whose type holds a line break', chunkFrame({ type: 'ping\nevent: error' }), true],
  ['a chunk without a type', chunkFrame({ index: 0 }), true],
  ['a chunk without bytes', eventFrame('chunk', { p: 'abc' }), true],
  ['an event type Bedrock adds later', eventFrame('futureEvent', { note: 'metadata' }), true],
  ['a message of a kind that is neither an event nor a failure', frameOf({ ':message-type': 'notice', ':event-type': 'x' }), true],
  ['a chunk that is no JSON (its reader reports it broken)', frameOf({ ':message-type': 'event', ':event-type': 'chunk' }, '{"bytes":'), false],
  ['a message without a kind', frameOf({ ':event-type': 'messageStart' }), false],
];

describe('mayBeOpening', () => {
  it.each(FRAMES)('%s: never false of an opening frame', (_what, frame, opening) => {
    // Act
    const may = mayBeOpening(frame);
    const is = isOpeningMessage(new EventStreamFrames().decode(frame));

    // Assess: decoding agrees with the table, and the byte check never misses an opening.
    expect(is).toBe(opening);
    if (opening) expect(may).toBe(true);
  });

  it.each<[string, Uint8Array, boolean]>([
    ['a content delta', eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hi' } }), false],
    ['messageStop', eventFrame('messageStop', { stopReason: 'end_turn' }), false],
    ['metadata', eventFrame('metadata', { usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 } }), false],
    ['an exception', exceptionFrame('throttlingException', 'x'), false],
    ['an error message', frameOf({ ':message-type': 'error', ':error-code': 'InternalFailure', ':error-message': 'x' }), false],
    ['an event type Bedrock adds later (decoded to know)', eventFrame('futureEvent', {}), true],
    ['messageStart', eventFrame('messageStart', { role: 'assistant' }), true],
    ['a frame too short for its headers', Uint8Array.from([0, 0, 0, 16, 0, 0, 0, 200, 0, 0, 0, 0, 0, 0, 0, 0]), true],
  ])('%s: judged without decoding', (_what, frame, expected) => {
    // Act
    const may = mayBeOpening(frame);

    // Assess
    expect(may).toBe(expected);
  });
});

describe('EventStreamFrames', () => {
  const hex = (frames: readonly Uint8Array[]) => frames.map((frame) => Buffer.from(frame).toString('hex'));
  const ALL = FRAMES.map(([, frame]) => frame);
  // Small, so that every pair of cuts in them is few enough to try.
  const THREE = [frameOf({ ':event-type': 'messageStart' }, '{"role":"assistant"}'), frameOf({ ':event-type': 'contentBlockDelta' }, '{"delta":{"text":"Hi"}}'), frameOf({ ':message-type': 'exception' }, '{}')];
  // The smallest frame there is: a prelude and a message CRC, no headers, no payload (16 bytes).
  const SMALLEST = [0, 1, 2].map(() => codec.encode({ headers: {}, body: new Uint8Array(0) }));
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const streamLength = (frames: readonly Uint8Array[]) => frames.reduce((sum, frame) => sum + frame.length, 0);
  /** The frames each read of the stream cut at `cuts` must give: those that end inside it, in order. */
  const expectedReads = (frames: readonly Uint8Array[], cuts: readonly number[]) => {
    const ends = frames.map((_, i) => streamLength(frames.slice(0, i + 1)));
    const bounds = [0, ...cuts, streamLength(frames)];
    return bounds.slice(1).map((to, read) => hex(frames.filter((_, i) => ends[i]! > bounds[read]! && ends[i]! <= to)));
  };
  /** What each read of the stream cut at `cuts` gives, the stream then ended. */
  const reads = (frames: readonly Uint8Array[], cuts: readonly number[]) => {
    const bytes = Buffer.concat(frames);
    const bounds = [0, ...cuts, bytes.length];
    const reader = new EventStreamFrames();
    const got = bounds.slice(1).map((to, read) => hex(reader.frames(bytes.subarray(bounds[read], to))));
    reader.end();
    return got;
  };

  // Cuts at every byte: inside each length prefix, the rest of the prelude, the payload, the CRC, and on each boundary.
  it.each<[string, readonly Uint8Array[], number[][]]>([
    ['all in one read', ALL, [[]]],
    ['one cut, anywhere', ALL, range(streamLength(ALL) + 1).map((at) => [at])],
    ['two cuts, anywhere in three frames', THREE, range(streamLength(THREE) + 1).flatMap((i) => range(streamLength(THREE) + 1 - i).map((j) => [i, i + j]))],
    ['two cuts, anywhere in three frames of the smallest length', SMALLEST, range(streamLength(SMALLEST) + 1).flatMap((i) => range(streamLength(SMALLEST) + 1 - i).map((j) => [i, i + j]))],
    ['a byte a read', ALL, [range(streamLength(ALL) + 1).slice(1, -1)]],
    ['a read holding many frames and the start of the next', ALL, [[streamLength(ALL.slice(0, 10)) + 2, streamLength(ALL.slice(0, 10)) + 3, streamLength(ALL.slice(0, 20)) + 7]]],
  ])('%s: each read gives the frames it completed, in order', (_what, frames, cutsList) => {
    // Act
    const wrong = cutsList.map((cuts) => ({ cuts, got: reads(frames, cuts), expected: expectedReads(frames, cuts) })).filter(({ got, expected }) => got.join('|') !== expected.join('|'));

    // Assess: one assertion for the thousands of cuts, naming those that went wrong.
    expect(wrong).toEqual([]);
  });

  it.each([[1], [3], [7], [100], [1000], [streamLength(ALL)]])('keeps what it holds across %i-byte reads through one reused buffer, the frames of each used before the next', (size) => {
    // Prepare: one buffer for every read, as a pooled reader reuses it once the frames it gave are used.
    const bytes = Buffer.concat(ALL);
    const pool = Buffer.alloc(size);
    const reader = new EventStreamFrames();

    // Act
    const got: string[] = [];
    for (let at = 0; at < bytes.length; at += size) {
      const read = bytes.copy(pool, 0, at, at + size);
      got.push(...hex(reader.frames(pool.subarray(0, read))));
      pool.fill(0xee);
    }
    reader.end();

    // Assess
    expect(got).toEqual(hex(ALL));
  });

  it('holds across reads only the open frame’s bytes, not the large read they came in', () => {
    // Prepare: a 1 MiB read of whole frames ending in the next frame's first 3 bytes, given to 20 readers.
    const frame = THREE[1]!;
    const read = Buffer.concat([...Array.from({ length: Math.ceil((1024 * 1024) / frame.length) }, () => frame), frame.subarray(0, 3)]);
    const before = process.memoryUsage().arrayBuffers;

    // Act: each reader is left with its 3 bytes held.
    const readers = Array.from({ length: 20 }, () => {
      const reader = new EventStreamFrames();
      reader.frames(read);
      return reader;
    });
    const grown = process.memoryUsage().arrayBuffers - before;

    // Assess: a copy of the read kept alive by each reader's 3 bytes would be 20 MiB.
    expect(grown).toBeLessThan(4 * 1024 * 1024);
    expect(readers.map((reader) => reader.frames(frame.subarray(3)).length)).toEqual(readers.map(() => 1));
  });

  it('holds a frame read a byte at a time in about its own bytes, not in a piece per read', () => {
    // Prepare: a 512 KiB frame, every byte but its last given one read at a time through one buffer.
    const frame = codec.encode({ headers: { ':message-type': { type: 'string', value: 'event' } }, body: new Uint8Array(512 * 1024).fill(0x61) });
    const read = Buffer.alloc(1);
    const reader = new EventStreamFrames();
    const before = process.memoryUsage();

    // Act
    for (let at = 0; at < frame.length - 1; at++) {
      read[0] = frame[at]!;
      reader.frames(read);
    }
    const after = process.memoryUsage();
    const grown = after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers;

    // Assess: the frame's 512 KiB and the garbage of the reads not yet collected (at most the young
    // generation's 16 MiB; ~2 MiB seen); a piece kept for each read held ~56 MiB.
    expect(grown).toBeLessThan(24 * 1024 * 1024);
    const got = reader.frames(frame.subarray(-1));
    expect(got).toHaveLength(1);
    expect(Buffer.compare(got[0]!, frame)).toBe(0);
  });

  const MAX_FRAME_BYTES = 16 * 1024 * 1024 + 128 * 1024;
  const prefix = (length: number) => {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(length);
    return bytes;
  };

  it('sets aside for a frame whose prefix claims 16 MiB only about the bytes that came, not the 16 MiB', () => {
    // Prepare: a prefix claiming the largest frame, then a few bytes, then a stall.
    const reader = new EventStreamFrames();

    // Act
    reader.frames(Buffer.concat([prefix(MAX_FRAME_BYTES), Buffer.alloc(12)]));

    // Assess: the first 64 KiB at most, not the 16 MiB claimed.
    expect(reader.reservedBytes).toBeLessThanOrEqual(64 * 1024);
    expect(() => reader.end()).toThrow('(16 bytes left over)');
  });

  it('grows what it sets aside for a large frame with the bytes that came, at most twice them, and gives the frame whole', () => {
    // Prepare: a 1 MiB frame read 16 KiB at a time.
    const frame = codec.encode({ headers: { ':message-type': { type: 'string', value: 'event' } }, body: new Uint8Array(1024 * 1024).fill(0x61) });
    const reader = new EventStreamFrames();

    // Act: what is set aside after each read but the last, beside the bytes received so far.
    const got: Uint8Array[] = [];
    const overReserved: { received: number; reserved: number }[] = [];
    for (let at = 0; at < frame.length; at += 16 * 1024) {
      got.push(...reader.frames(frame.subarray(at, at + 16 * 1024)));
      const received = Math.min(at + 16 * 1024, frame.length);
      if (received < frame.length && reader.reservedBytes > Math.max(64 * 1024, 2 * received)) overReserved.push({ received, reserved: reader.reservedBytes });
    }
    reader.end();

    // Assess
    expect(overReserved).toEqual([]);
    expect(reader.reservedBytes).toBe(0);
    expect(got).toHaveLength(1);
    expect(Buffer.compare(got[0]!, frame)).toBe(0);
  });

  // Frames past the first 64 KiB set aside, so that their buffer grows, among small ones: where each starts, for the cuts.
  const body = (bytes: number, fill: number) => codec.encode({ headers: { ':message-type': { type: 'string', value: 'event' } }, body: new Uint8Array(bytes).fill(fill) });
  const MIXED = [THREE[0]!, body(100 * 1024, 0x61), THREE[1]!, THREE[2]!, body(400 * 1024, 0x62), THREE[0]!];
  const [, BIG, , , LARGER] = MIXED.map((_, i) => streamLength(MIXED.slice(0, i)));

  it.each<[string, number[]]>([
    ['all in one read', []],
    ["a large frame's prefix cut 2 + 2, a read ending inside it, one holding its end, two whole frames and the next's first 3 bytes", [BIG! + 2, BIG! + 70_000, LARGER! + 3]],
    ['a read of hundreds of KiB into a frame whose buffer holds 64 KiB', [BIG! + 10, LARGER! + 10, LARGER! + 30_000]],
    ['a byte a read about a large frame’s start and its first 64 KiB', [...range(12).map((i) => LARGER! - 4 + i), ...range(8).map((i) => LARGER! + 64 * 1024 - 4 + i)]],
    ['16 KiB reads', range(Math.ceil(streamLength(MIXED) / (16 * 1024))).slice(1).map((i) => i * 16 * 1024)],
  ])('gives frames larger than it first sets aside whole and in order through one reused buffer: %s', (_what, cuts) => {
    // Prepare: every read through one buffer, spoilt once its frames are read, as a pooled reader reuses it.
    const bytes = Buffer.concat(MIXED);
    const pool = Buffer.alloc(bytes.length);
    const bounds = [0, ...cuts, bytes.length];
    const reader = new EventStreamFrames();

    // Act
    const got: string[] = [];
    for (let read = 1; read < bounds.length; read++) {
      const size = bytes.copy(pool, 0, bounds[read - 1], bounds[read]);
      got.push(...hex(reader.frames(pool.subarray(0, size))));
      pool.fill(0xee);
    }
    reader.end();

    // Assess
    expect(got).toEqual(hex(MIXED));
  });

  it.each<[string, Uint8Array[]]>([
    ['shorter than the smallest frame, in one read', [prefix(15)]],
    ['zero, a byte a read', [...prefix(0)].map((byte) => Uint8Array.of(byte))],
    ['past the largest frame, cut 2 + 2', [prefix(MAX_FRAME_BYTES + 1).subarray(0, 2), prefix(MAX_FRAME_BYTES + 1).subarray(2)]],
    ['the largest 32-bit number, cut 1 + 3', [prefix(0xffffffff).subarray(0, 1), prefix(0xffffffff).subarray(1)]],
    ['after a whole frame in the same read', [Buffer.concat([THREE[0]!, prefix(15)])]],
    ['after a whole frame, cut inside the prefix', [Buffer.concat([THREE[0]!, prefix(15).subarray(0, 3)]), prefix(15).subarray(3)]],
    ['after a frame completed across reads', [THREE[0]!.subarray(0, 30), Buffer.concat([THREE[0]!.subarray(30), prefix(15)])]],
  ])('throws on an impossible length as soon as its prefix is whole: %s', (_what, chunks) => {
    // Prepare
    const reader = new EventStreamFrames();
    const last = chunks[chunks.length - 1]!;

    // Act: every read before the prefix's last byte gives no error.
    for (const chunk of chunks.slice(0, -1)) reader.frames(chunk);
    let error: unknown;
    try {
      reader.frames(last);
    } catch (err) {
      error = err;
    }

    // Assess
    expect(error).toBeInstanceOf(EventStreamFormatError);
    expect((error as Error).message).toMatch(/impossible length/);
  });

  it.each([[16], [MAX_FRAME_BYTES]])('waits for the rest of a frame of the possible length %i', (length) => {
    // Prepare
    const reader = new EventStreamFrames();

    // Act
    const got = reader.frames(prefix(length));

    // Assess
    expect(got).toEqual([]);
    expect(() => reader.end()).toThrow('(4 bytes left over)');
  });

  it.each<[string, Uint8Array, number]>([
    ['nothing', new Uint8Array(0), 0],
    ['whole frames', Buffer.concat(THREE), 0],
    ["a prefix's first byte", THREE[0]!.subarray(0, 1), 1],
    ["a prefix's first three bytes", THREE[0]!.subarray(0, 3), 3],
    ['a whole prefix', THREE[0]!.subarray(0, 4), 4],
    ['a frame but its last byte', THREE[0]!.subarray(0, -1), THREE[0]!.length - 1],
    ["whole frames and the next's first ten bytes", Buffer.concat([THREE[0]!, THREE[1]!, THREE[2]!.subarray(0, 10)]), 10],
  ])('ends on %s: says how many bytes were left over', (_what, bytes, leftOver) => {
    for (const size of [bytes.length || 1, 1]) {
      // Prepare
      const reader = new EventStreamFrames();
      for (let at = 0; at < bytes.length; at += size) reader.frames(bytes.subarray(at, at + size));

      // Act
      const end = () => reader.end();

      // Assess
      if (leftOver === 0) expect(end).not.toThrow();
      else expect(end).toThrow(new EventStreamFormatError(`event stream ended inside a frame (${leftOver} bytes left over)`));
    }
  });

  it('cuts an 8 MiB frame read 1 KiB at a time in time linear in its bytes (well under a second, not the tens of seconds of copying it again each read)', () => {
    // Prepare: the bound is generous for a loaded machine; copying the open frame again each read copies ~32 GiB here.
    const BOUND_MS = 3_000;
    const frame = codec.encode({ headers: { ':message-type': { type: 'string', value: 'event' } }, body: new Uint8Array(8 * 1024 * 1024).fill(0x61) });
    const reader = new EventStreamFrames();

    // Act: stopped at the bound, so a quadratic reader fails in seconds, not minutes.
    const got: Uint8Array[] = [];
    const start = performance.now();
    let at = 0;
    for (; at < frame.length && performance.now() - start < BOUND_MS; at += 1024) got.push(...reader.frames(frame.subarray(at, at + 1024)));
    const elapsed = performance.now() - start;
    reader.end();

    // Assess
    expect(at).toBeGreaterThanOrEqual(frame.length);
    expect(elapsed).toBeLessThan(BOUND_MS);
    expect(got).toHaveLength(1);
    expect(Buffer.compare(got[0]!, frame)).toBe(0);
  });
});

describe('nextFrameSize', () => {
  const KiB = 1024;
  it.each<[string, number, number, number, number]>([
    ['doubles when twice what came is short of the length', 64 * KiB, 80 * KiB, 1024 * KiB, 128 * KiB],
    ['takes what came when a read brought more than double', 64 * KiB, 300 * KiB, 1024 * KiB, 300 * KiB],
    ['goes to the length once that is at most twice what came, not just short of it', 512 * KiB, 528 * KiB, 1024 * KiB + 38, 1024 * KiB + 38],
    ['goes to the length when what came is all of it', 64 * KiB, 100 * KiB, 100 * KiB, 100 * KiB],
    ['stays at twice what came for a 16 MiB claim', 64 * KiB, 64 * KiB + 1, 16 * 1024 * KiB, 128 * KiB],
  ])('%s', (_what, size, received, length, expected) => {
    // Act
    const next = nextFrameSize(size, received, length);

    // Assess: never past twice what came, so what is held follows the bytes.
    expect(next).toBe(expected);
    expect(next).toBeLessThanOrEqual(2 * received);
  });
});

describe('isOpeningFrame', () => {
  it.each(FRAMES)('%s: as the codec\'s decoding says', (_what, frame, opening) => {
    // Act
    const is = isOpeningFrame(frame);

    // Assess
    expect(is).toBe(opening);
  });

  const messageStart = eventFrame('messageStart', { role: 'assistant' });
  /** `frame` with its headers' length (bytes 4–7) said as `length`. */
  const withHeadersLength = (frame: Uint8Array, length: number) => {
    const copy = Buffer.from(frame);
    copy.writeUInt32BE(length, 4);
    return copy;
  };
  /** `frame` with the type byte of its first header (after the 1-byte name length and the name) set to `type`. */
  const withFirstHeaderType = (frame: Uint8Array, type: number) => {
    const copy = Buffer.from(frame);
    copy[12 + 1 + copy[12]!] = type;
    return copy;
  };

  it.each<[string, Uint8Array, boolean]>([
    ['messageStart with a wrong CRC: still read as an opening (its reader reports the CRC)', Buffer.concat([messageStart.subarray(0, messageStart.length - 1), Uint8Array.of(messageStart[messageStart.length - 1]! ^ 0xff)]), true],
    ['headers said longer than the frame', withHeadersLength(messageStart, 10_000), false],
    ['headers said shorter, cutting one in its value', withHeadersLength(messageStart, 20), false],
    ['an unknown header type', withFirstHeaderType(messageStart, 42), false],
    ['a frame of the prelude and CRC only', Uint8Array.from([0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), false],
    ['a frame shorter than the smallest', Uint8Array.from([0, 0, 0, 8]), false],
  ])('%s', (_what, frame, expected) => {
    // Act
    const is = isOpeningFrame(frame);

    // Assess
    expect(is).toBe(expected);
  });

  it('reads non-string headers past, as the codec does', () => {
    // Prepare: an opening whose headers also hold a number, a flag and bytes.
    const frame = codec.encode({
      headers: {
        ':date': { type: 'timestamp', value: new Date(0) },
        ':flag': { type: 'boolean', value: true },
        ':blob': { type: 'binary', value: Uint8Array.of(1, 2, 3) },
        ':event-type': { type: 'string', value: 'messageStart' },
        ':count': { type: 'integer', value: 7 },
        ':message-type': { type: 'string', value: 'event' },
      },
      body: fromUtf8('{"role":"assistant"}'),
    });

    // Act
    const is = isOpeningFrame(frame);

    // Assess
    expect(is).toBe(true);
    expect(isOpeningMessage(new EventStreamFrames().decode(frame))).toBe(true);
  });
});

describe('anthropicChunkEvent', () => {
  const payload = (value: unknown) => fromUtf8(JSON.stringify(value));
  const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

  it.each<[string, Uint8Array, { json: string; type: string; event: Record<string, unknown> } | undefined]>([
    ["Anthropic's event: its JSON as sent, its type and the event", payload({ bytes: base64('{"type":"message_stop"}') }), { json: '{"type":"message_stop"}', type: 'message_stop', event: { type: 'message_stop' } }],
    ['an event whose type is not its first key, with unicode', payload({ bytes: base64('{"index":0,"delta":{"text":"žluť 🐴"},"type":"content_block_delta"}'), p: 'ab' }), { json: '{"index":0,"delta":{"text":"žluť 🐴"},"type":"content_block_delta"}', type: 'content_block_delta', event: { index: 0, delta: { text: 'žluť 🐴' }, type: 'content_block_delta' } }],
    ['no bytes', payload({ p: 'abc' }), undefined],
    ['bytes that are no string', payload({ bytes: 42 }), undefined],
    ['an event with no type', payload({ bytes: base64('{"index":0}') }), undefined],
    ['an event whose type is no string', payload({ bytes: base64('{"type":7}') }), undefined],
    ['an event whose type cannot be an event name (a space)', payload({ bytes: base64('{"type":"content block"}') }), undefined],
    ['an event whose type holds a line break', payload({ bytes: base64('{"type":"ping\\nevent: error"}') }), undefined],
    // JSON, but no object: read as one without bytes (or type), as a number or an array is, not thrown as a TypeError the stream's reader does not expect.
    ['a payload that is JSON null', fromUtf8('null'), undefined],
    ['a payload that is a number', fromUtf8('42'), undefined],
    ['an event that is JSON null', payload({ bytes: base64('null') }), undefined],
    ['an event that is an array', payload({ bytes: base64('[{"type":"ping"}]') }), undefined],
  ])('%s', (_what, body, expected) => {
    // Act
    const event = anthropicChunkEvent(body);

    // Assess
    expect(event).toEqual(expected);
  });

  it.each<[string, Uint8Array]>([
    ['a payload that is no JSON', fromUtf8('{"bytes":')],
    ['an event that is no JSON', payload({ bytes: base64('{"type":"mess') })],
    // Buffer's base64 skips what is not base64, as the old readers did: what is left is no JSON.
    ['bytes that are no base64', payload({ bytes: '!!!%%%' })],
    ['bytes whose event is no JSON', payload({ bytes: base64('hello') })],
    ['bytes that are empty', payload({ bytes: '' })],
    ['an event cut after its type', payload({ bytes: base64('{"type":"content_block_delta","delta":{') })],
    ['an event with a trailing comma', payload({ bytes: base64('{"type":"ping",}') })],
  ])('throws the SyntaxError of %s (a broken stream, its reader reports it)', (_what, body) => {
    // Act
    const read = () => anthropicChunkEvent(body);

    // Assess
    expect(read).toThrow(SyntaxError);
  });
});

describe('chunkPayloadBytes', () => {
  /** What `JSON.parse` says of a payload: its `bytes` if a string, or the error it throws. */
  const parsed = (text: string) => {
    try {
      const bytes = (JSON.parse(text) as { bytes?: unknown } | null)?.bytes;
      return typeof bytes === 'string' ? bytes : undefined;
    } catch (err) {
      return err instanceof SyntaxError ? SyntaxError : err;
    }
  };
  const read = (body: Uint8Array) => {
    try {
      return chunkPayloadBytes(body);
    } catch (err) {
      return err instanceof SyntaxError ? SyntaxError : err;
    }
  };

  // Payloads the fast path reads and ones it must leave to JSON.parse: each read as JSON.parse reads it.
  it.each<[string, string, string | undefined | typeof SyntaxError]>([
    ['bytes alone', '{"bytes":"eyJ0eXBlIjoicGluZyJ9"}', 'eyJ0eXBlIjoicGluZyJ9'],
    ["bytes with Bedrock's padding", '{"bytes":"eyJ0eXBlIjoicGluZyJ9","p":"abcXYZ019"}', 'eyJ0eXBlIjoicGluZyJ9'],
    ['bytes with base64 padding and + /', '{"bytes":"a+/b==","p":"x"}', 'a+/b=='],
    ['empty bytes', '{"bytes":""}', ''],
    ['padding first', '{"p":"abc","bytes":"eyJ9"}', 'eyJ9'],
    ['an escaped slash in the base64', '{"bytes":"a\\/b"}', 'a/b'],
    ['a unicode escape in the base64', '{"bytes":"\\u0061bc"}', 'abc'],
    ['whitespace between tokens', '{ "bytes" : "eyJ9" , "p" : "x" }', 'eyJ9'],
    ['whitespace after the object', '{"bytes":"eyJ9"}\n', 'eyJ9'],
    ['bytes given twice (the last counts)', '{"bytes":"AAAA","bytes":"BBBB"}', 'BBBB'],
    ['bytes given again after the padding', '{"bytes":"AAAA","p":"x","bytes":"BBBB"}', 'BBBB'],
    ['padding that is no plain string', '{"bytes":"eyJ9","p":"a\\"b"}', 'eyJ9'],
    ['padding with unicode', '{"bytes":"eyJ9","p":"ž"}', 'eyJ9'],
    ['another field after bytes', '{"bytes":"eyJ9","q":1}', 'eyJ9'],
    ['no bytes', '{"p":"abc"}', undefined],
    ['bytes that are no string', '{"bytes":42}', undefined],
    ['JSON null', 'null', undefined],
    ['a number', '42', undefined],
    ['an array', '[{"bytes":"eyJ9"}]', undefined],
    ['cut inside bytes', '{"bytes":"eyJ9', SyntaxError],
    ['cut after bytes', '{"bytes":"eyJ9"', SyntaxError],
    ['cut inside the padding', '{"bytes":"eyJ9","p":', SyntaxError],
    ['a trailing comma', '{"bytes":"eyJ9",}', SyntaxError],
    ['text after the object', '{"bytes":"eyJ9"}x', SyntaxError],
    ['a second object after the first', '{"bytes":"eyJ9"}{"bytes":"QQ=="}', SyntaxError],
    ['text after the padded object', '{"bytes":"eyJ9","p":"ab"}}', SyntaxError],
    ['a line end after the object', '{"bytes":"eyJ9"}\r\n', 'eyJ9'],
    ['a byte order mark before the object', '\uFEFF{"bytes":"eyJ9"}', SyntaxError],
    ['a key that is bytes written with an escape', '{"byte\\u0073":"eyJ9"}', 'eyJ9'],
    ['bytes named inside the padding', '{"p":"\\",\\"bytes\\":\\"QQ==","bytes":"eyJ9"}', 'eyJ9'],
    ['empty', '', SyntaxError],
  ])('%s', (_what, text, expected) => {
    // Prepare
    const body = fromUtf8(text);

    // Act
    const bytes = read(body);

    // Assess: as the table says, and as JSON.parse reads it.
    expect(bytes).toBe(expected);
    expect(bytes).toBe(parsed(text));
  });

  it.each([['{"bytes":"eyJ0eXBlIjoicGluZyJ9"}'], ['{"bytes":"eyJ0eXBlIjoicGluZyJ9","p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0"}']])('reads %s, as Bedrock writes it, without JSON.parse', (text) => {
    // Prepare
    const parse = jest.spyOn(JSON, 'parse');

    // Act
    const bytes = chunkPayloadBytes(fromUtf8(text));

    // Assess
    expect(bytes).toBe('eyJ0eXBlIjoicGluZyJ9');
    expect(parse).not.toHaveBeenCalled();
    parse.mockRestore();
  });

  it('reads a payload inside a larger buffer (a view of its frame), not the bytes around it', () => {
    // Prepare
    const frame = Buffer.from('xx{"bytes":"eyJ9"}yy');

    // Act
    const bytes = chunkPayloadBytes(frame.subarray(2, frame.length - 2));

    // Assess
    expect(bytes).toBe('eyJ9');
  });
});

describe('headerText', () => {
  it.each<[string, number[]]>([
    ['an ASCII name', [...Buffer.from(':event-type')]],
    ['empty', []],
    ['two-, three- and four-byte characters', [...Buffer.from('ž€🐴')]],
    ['a leading byte order mark', [0xef, 0xbb, 0xbf, 0x61]],
    ['a lone continuation byte', [0x61, 0x80, 0x62]],
    ['a character cut short', [0x61, 0xe2, 0x82]],
    ['an overlong encoding', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a byte never in UTF-8', [0xff, 0x61]],
  ])('reads %s as toUtf8 does', (_what, bytes) => {
    // Prepare: a view inside a larger buffer, as the codec hands it.
    const view = Uint8Array.from([0x7a, ...bytes, 0x7a]).subarray(1, bytes.length + 1);

    // Act
    const text = headerText(view);

    // Assess
    expect(text).toBe(toUtf8(view));
  });
});

describe('base64Forms', () => {
  const forms = base64Forms('"error"');
  const holdsForm = (json: string) => forms.some((form) => Buffer.from(json).toString('base64').includes(form));

  it('gives one run for each alignment, each within the encoding of the text alone there', () => {
    // Assess
    expect(forms).toEqual(['ImVycm9yI', 'JlcnJvci', 'iZXJyb3Ii']);
  });

  it.each([
    ['its type first', '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'],
    ['its type last', '{"error":{"type":"overloaded_error","message":"Overloaded"},"type":"error"}'],
    ['its type last, one byte on', '{"error":{"type":"overloaded_error","message":"Overloaded."},"type":"error"}'],
    ['its type last, two bytes on', '{"error":{"type":"overloaded_error","message":"Overloaded.."},"type":"error"}'],
    ['written with spaces', '{ "type" : "error" }'],
    ['pretty-printed', '{\n  "type": "error"\n}'],
  ])("is found in the base64 of Claude's error event, %s", (_case, json) => {
    expect(holdsForm(json)).toBe(true);
  });

  it.each([
    ['quoted in a text delta', '{"type":"content_block_delta","delta":{"text":"{\\"type\\":\\"error\\"}"}}'],
    ['quoted one byte on', '{"type":"content_block_delta","delta":{"text":" {\\"type\\":\\"error\\"}"}}'],
    ['quoted two bytes on', '{"type":"content_block_delta","delta":{"text":"  {\\"type\\":\\"error\\"}"}}'],
    ['a word in a text', '{"type":"content_block_delta","delta":{"text":"an error, errors"}}'],
  ])('is not found in the base64 of an event that holds no `"error"`: %s', (_case, json) => {
    expect(holdsForm(json)).toBe(false);
  });
});

describe('CONVERSE_EVENTS', () => {
  it.each(CONVERSE_EVENTS.map((type) => [type]))('%s: the start scan takes it as its relay does (messageStart opens, the others are the answer)', (type) => {
    // Prepare
    const frame = eventFrame(type, {});

    // Act
    const opening = isOpeningMessage(new EventStreamFrames().decode(frame));

    // Assess: an answer event is known by its bytes alone, and is read by the relay (`isConverseEvent`).
    expect(opening).toBe(type === 'messageStart');
    expect(mayBeOpening(frame)).toBe(type === 'messageStart');
    expect(isConverseEvent(type)).toBe(true);
  });

  it.each([['futureEvent'], ['chunk'], [undefined]])('%s is none of them: the relay skips it, the scan looks past it', (type) => {
    expect(isConverseEvent(type)).toBe(false);
  });
});
