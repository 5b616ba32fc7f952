import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { upstreamLimits } from './event-bound';
import { startScan } from './answer-start';
import { headersOf, UpstreamBody } from './response-body';

function body(eventBytes?: number) {
  const calls = { resumed: 0, aborted: [] as Error[] };
  const b = new UpstreamBody(
    () => calls.resumed++,
    (reason) => calls.aborted.push(reason),
    upstreamLimits(eventBytes),
  );
  return { b, calls };
}

async function collect(it: AsyncIterable<Buffer>): Promise<string[]> {
  const out: string[] = [];
  for await (const chunk of it) out.push(chunk.toString());
  return out;
}

describe('UpstreamBody', () => {
  it('gives the whole body once it has ended, in arrival order', async () => {
    const { b } = body();
    const whole = b.bytes();
    b.push(Buffer.from('{"a":'));
    b.push(Buffer.from('1}'));
    b.end();
    expect((await whole).toString()).toBe('{"a":1}');
  });

  it('reads as text', async () => {
    const { b } = body();
    b.push(Buffer.from('héllo'));
    b.end();
    expect(await b.text()).toBe('héllo');
  });

  it('yields chunks as they arrive, including those pushed before reading began', async () => {
    const { b } = body();
    b.push(Buffer.from('one'));
    const read = collect(b);
    await Promise.resolve();
    b.push(Buffer.from('two'));
    setImmediate(() => {
      b.push(Buffer.from('three'));
      b.end();
    });
    expect(await read).toEqual(['one', 'two', 'three']);
  });

  it('asks the dispatcher to pause past its high-water mark and resumes once read', async () => {
    const { b, calls } = body();
    const answers: boolean[] = [];
    for (let i = 0; i < 70; i++) answers.push(b.push(Buffer.from(String(i))));
    expect(answers.indexOf(false)).toBe(63);
    expect(calls.resumed).toBe(0);
    b.end();
    expect(await collect(b)).toHaveLength(70);
    expect(calls.resumed).toBe(1);
  });

  it('passes a failure on to whoever reads', async () => {
    const failure = new Error('socket hang up');
    const whole = body();
    whole.b.fail(failure);
    await expect(whole.b.bytes()).rejects.toBe(failure);

    const iterated = body();
    iterated.b.push(Buffer.from('partial'));
    iterated.b.fail(failure);
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const chunk of iterated.b) seen.push(chunk.toString());
      })(),
    ).rejects.toBe(failure);
    expect(seen).toEqual(['partial']);
  });

  it('ignores a failure after the end', async () => {
    const { b } = body();
    b.push(Buffer.from('done'));
    b.end();
    b.fail(new Error('late'));
    expect(await b.text()).toBe('done');
  });

  it('aborts the request when the reader leaves before the end, not after', async () => {
    const early = body();
    early.b.push(Buffer.from('first'));
    for await (const chunk of early.b) {
      expect(chunk.toString()).toBe('first');
      break;
    }
    expect(early.calls.aborted).toHaveLength(1);

    const late = body();
    late.b.push(Buffer.from('only'));
    late.b.end();
    for await (const chunk of late.b) {
      expect(chunk.toString()).toBe('only');
      break;
    }
    expect(late.calls.aborted).toHaveLength(0);
  });

  it('dump drops what is queued and what comes, resuming a paused socket', async () => {
    const { b, calls } = body();
    for (let i = 0; i < 64; i++) b.push(Buffer.from('x'));
    const dumped = b.dump();
    expect(calls.resumed).toBe(1);
    expect(b.push(Buffer.from('more'))).toBe(true);
    b.end();
    await dumped;
    expect(await collect(b)).toEqual([]);
  });
});

describe('UpstreamBody, bounded', () => {
  const KiB = 1024;

  it('refuses an SSE event past the bound as it arrives: the chunks before it are read, then the refusal, and the upstream is cancelled', async () => {
    // Prepare: a 64 KiB bound, a whole event, then one that never ends, 100 MiB of it offered in 16 KiB pieces.
    const { b, calls } = body(64 * KiB);
    b.frame('sse');
    const piece = Buffer.alloc(16 * KiB, 'a');
    b.push(Buffer.from('data: {"n":1}\n\n'));
    b.push(Buffer.from('data: {"text":"'));
    let offered = 0;
    while (offered < 100 * KiB * KiB && calls.aborted.length === 0) {
      b.push(piece);
      offered += piece.length;
    }

    // Act
    const seen: string[] = [];
    const read = (async () => {
      for await (const chunk of b) seen.push(chunk.toString());
    })();

    // Assess: stopped at the piece that took the event past 64 KiB, none of the rest kept.
    await expect(read).rejects.toMatchObject({ code: 'upstream_event_too_large', status: 502 });
    expect(offered).toBe(4 * 16 * KiB);
    expect(calls.aborted).toHaveLength(1);
    expect(seen[0]).toBe('data: {"n":1}\n\n');
    expect(seen.join('').length).toBeLessThanOrEqual(64 * KiB);
    expect(b.push(piece)).toBe(true);
  });

  it('refuses a Bedrock frame announcing more than the bound at its prelude', async () => {
    const { b, calls } = body(64 * KiB);
    b.frame('event-stream');
    const prelude = Buffer.alloc(12);
    prelude.writeUInt32BE(64 * KiB + 1, 0);
    b.push(prelude);
    expect(calls.aborted).toHaveLength(1);
    await expect(collect(b)).rejects.toMatchObject({ code: 'upstream_event_too_large' });
  });

  it.each([
    ['a Bedrock frame', 'event-stream'],
    ['an SSE event', 'sse'],
  ] as const)('counts from the first byte when the chunks that came with the headers are queued before the reader frames it: %s cut there', async (_name, framing) => {
    // undici parses the headers and the body bytes of the same socket read in one go: those chunks are
    // pushed before the answer's writer can call `frame`, and one may end inside an event.
    const codec = new EventStreamCodec(toUtf8, fromUtf8);
    const event = (i: number) =>
      framing === 'sse'
        ? Buffer.from(`data: {"text":"${'x'.repeat(1000)}${i}"}\n\n`)
        : Buffer.from(codec.encode({ headers: { ':event-type': { type: 'string', value: 'chunk' } }, body: fromUtf8(`{"text":"${'x'.repeat(1000)}${i}"}`) }));
    const stream = Buffer.concat(Array.from({ length: 100 }, (_, i) => event(i)));
    const { b, calls } = body(64 * KiB);
    b.push(stream.subarray(0, 1500));
    b.frame(framing);
    const read = (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of b) chunks.push(chunk);
      return Buffer.concat(chunks);
    })();
    for (let at = 1500; at < stream.length; at += 4096) b.push(stream.subarray(at, at + 4096));
    b.end();

    expect((await read).equals(stream)).toBe(true);
    expect(calls.aborted).toHaveLength(0);
  });

  it('refuses an event already past the bound in the chunks queued before the reader framed the body', async () => {
    const { b, calls } = body(64 * KiB);
    b.push(Buffer.from('data: {"text":"'));
    for (let i = 0; i < 5; i++) b.push(Buffer.alloc(16 * KiB, 'a'));
    b.frame('sse');
    expect(calls.aborted).toHaveLength(1);
    await expect(collect(b)).rejects.toMatchObject({ code: 'upstream_event_too_large' });
  });

  it('counts nothing on a body no reader framed', async () => {
    const { b, calls } = body(64 * KiB);
    const read = collect(b);
    for (let i = 0; i < 8; i++) b.push(Buffer.alloc(16 * KiB, 'a'));
    b.end();
    expect((await read).join('')).toHaveLength(128 * KiB);
    expect(calls.aborted).toHaveLength(0);
  });

  it('refuses a whole answer past eight times the bound, letting go of what it kept', async () => {
    const { b, calls } = body(64 * KiB);
    const whole = b.bytes();
    let offered = 0;
    while (calls.aborted.length === 0 && offered < 10 * KiB * KiB) {
      // Never paused: a whole read keeps everything anyway, and is bounded.
      expect(b.push(Buffer.alloc(16 * KiB, 'a'))).toBe(true);
      offered += 16 * KiB;
    }
    await expect(whole).rejects.toMatchObject({ code: 'upstream_answer_too_large', status: 502 });
    expect(offered).toBe(512 * KiB + 16 * KiB);
  });

  it('refuses a whole answer that arrived complete before it was read, if it is past the bound', async () => {
    const { b } = body(64 * KiB);
    for (let i = 0; i < 33; i++) b.push(Buffer.alloc(16 * KiB, 'a'));
    b.end();
    await expect(b.text()).rejects.toMatchObject({ code: 'upstream_answer_too_large' });
  });

  it('reads a whole answer of more chunks than the high-water mark without stalling', async () => {
    const { b } = body();
    for (let i = 0; i < 100; i++) b.push(Buffer.from('x'));
    const whole = b.bytes();
    for (let i = 0; i < 100; i++) expect(b.push(Buffer.from('y'))).toBe(true);
    b.end();
    expect((await whole).length).toBe(200);
  });
});

describe('headersOf', () => {
  it.each([
    ['lower-cases names', ['Content-Type', 'application/json'], { 'content-type': 'application/json' }],
    ['collects repeated names', ['Set-Cookie', 'a=1', 'set-cookie', 'b=2', 'set-cookie', 'c=3'], { 'set-cookie': ['a=1', 'b=2', 'c=3'] }],
    ['keeps latin1 bytes as they are', [Buffer.from('X-Name'), Buffer.from([0x63, 0x61, 0x66, 0xe9])], { 'x-name': 'café' }],
    ['ignores a dangling name', ['a', '1', 'b'], { a: '1' }],
  ] as const)('%s', (_name, raw, expected) => {
    expect({ ...headersOf(raw as readonly (Buffer | string)[]) }).toEqual(expected);
  });
});

describe('UpstreamBody.started', () => {
  function watched() {
    const starts: number[] = [];
    const b = new UpstreamBody(
      () => undefined,
      () => undefined,
      upstreamLimits(),
      { scan: startScan('text/event-stream'), onStart: () => starts.push(1) },
    );
    return { b, starts };
  }

  it('settles at the first event, not at a keep-alive, tells the watch once, and keeps every chunk for the reader', async () => {
    // Prepare
    const { b, starts } = watched();
    let settled = false;
    const start = b.started()!.then(() => (settled = true));

    // Act
    b.push(Buffer.from(': ping\n\n'));
    await Promise.resolve();
    const afterPing = settled;
    b.push(Buffer.from('data: 1\n\n'));
    await start;
    b.push(Buffer.from('data: 2\n\n'));
    b.end();

    // Assess
    expect(afterPing).toBe(false);
    expect(starts).toEqual([1]);
    expect(b.started()).toBeUndefined();
    expect(await collect(b)).toEqual([': ping\n\n', 'data: 1\n\n', 'data: 2\n\n']);
  });

  it('rejects with the failure that came before the start', async () => {
    // Prepare
    const { b } = watched();
    const start = b.started()!;
    const reason = new Error('deadline');

    // Act
    b.fail(reason);

    // Assess
    await expect(start).rejects.toBe(reason);
    await expect(b.started()).rejects.toBe(reason);
  });

  it('resolves when the answer ended whole without starting: its reader says what an empty stream is', async () => {
    // Prepare
    const { b, starts } = watched();

    // Act
    b.push(Buffer.from(': ping\n\n'));
    b.end();

    // Assess
    await expect(b.started()).resolves.toBeUndefined();
    expect(starts).toEqual([]);
  });

  it('does not pause the socket for keep-alives while the start is awaited, until they pass one event\'s bound', () => {
    // Prepare
    const b = new UpstreamBody(
      () => undefined,
      () => undefined,
      upstreamLimits(64 * 1024),
      { scan: startScan('text/event-stream'), onStart: () => undefined },
    );
    const ping = Buffer.from(`: ${'x'.repeat(1020)}\n\n`); // 1 KiB

    // Act
    const underBound = Array.from({ length: 64 }, () => b.push(ping));
    const pastBound = b.push(ping);

    // Assess
    expect(underBound.every(Boolean)).toBe(true);
    expect(pastBound).toBe(false);
  });

  it('has nothing to wait for without a watch', () => {
    expect(body().b.started()).toBeUndefined();
  });
});

describe('UpstreamBody.opening', () => {
  const watched = () => new UpstreamBody(() => undefined, () => undefined, upstreamLimits(), { scan: startScan('text/event-stream'), onStart: () => undefined });

  it.each<[string, string[], string[]]>([
    ['the chunks up to the one the answer started in, not those after it', [': ping\n\n', 'data: 1\n\n', 'data: 2\n\n', 'data: 3\n\n'], [': ping\n\n', 'data: 1\n\n']],
    ['the one chunk the whole stream came in', ['data: 1\n\ndata: 2\n\n'], ['data: 1\n\ndata: 2\n\n']],
    ['every chunk in hand while the answer has not started', [': ping\n\n', 'data: 1'], [': ping\n\n', 'data: 1']],
  ])('is %s', (_what, pieces, opening) => {
    // Prepare
    const b = watched();

    // Act
    for (const piece of pieces) b.push(Buffer.from(piece));

    // Assess
    expect(b.opening().map(String)).toEqual(opening);
  });

  it('is every chunk in hand when nothing watched the start', () => {
    // Prepare
    const { b } = body();

    // Act
    b.push(Buffer.from('data: 1\n\n'));
    b.push(Buffer.from('data: 2\n\n'));

    // Assess
    expect(b.opening().map(String)).toEqual(['data: 1\n\n', 'data: 2\n\n']);
  });
});

describe('UpstreamBody.started, bounded by the watch\'s holdMs', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function held(holdMs = 3_000) {
    const starts: number[] = [];
    const b = new UpstreamBody(
      () => undefined,
      () => undefined,
      upstreamLimits(),
      { scan: startScan('text/event-stream'), onStart: () => starts.push(1), holdMs },
    );
    return { b, starts };
  }

  it('resolves at the bound with keep-alives only, drops the watch, and keeps every chunk for the reader', async () => {
    // Prepare
    const { b, starts } = held();
    let settled = false;
    const start = b.started()!.then(() => (settled = true));
    b.push(Buffer.from(': OPENROUTER PROCESSING\n\n'));

    // Act
    await jest.advanceTimersByTimeAsync(2_999);
    const beforeBound = settled;
    await jest.advanceTimersByTimeAsync(1);
    await start;
    b.push(Buffer.from('data: 1\n\n'));
    b.end();

    // Assess: no start was seen (the watch was dropped, not told), nothing was taken.
    expect(beforeBound).toBe(false);
    expect(settled).toBe(true);
    expect(starts).toEqual([]);
    expect(b.started()).toBeUndefined();
    expect(await collect(b)).toEqual([': OPENROUTER PROCESSING\n\n', 'data: 1\n\n']);
  });

  it('sets one timer, only once waited for, and clears it at the start', async () => {
    // Prepare
    const { b, starts } = held();
    b.push(Buffer.from(': ping\n\n'));
    const beforeWait = jest.getTimerCount();

    // Act
    const start = b.started()!;
    const whileHeld = jest.getTimerCount();
    b.push(Buffer.from('data: 1\n\n'));
    await start;

    // Assess
    expect([beforeWait, whileHeld, jest.getTimerCount()]).toEqual([0, 1, 0]);
    expect(starts).toEqual([1]);
  });

  it('sets no timer when the start came before the wait', () => {
    // Prepare
    const { b } = held();

    // Act
    b.push(Buffer.from('data: 1\n\n'));

    // Assess
    expect(b.started()).toBeUndefined();
    expect(jest.getTimerCount()).toBe(0);
  });

  it.each([
    ['ends', (b: UpstreamBody) => b.end()],
    ['fails', (b: UpstreamBody) => b.fail(new Error('broke off'))],
  ])('clears its timer when the body %s before the start', async (_what, finish) => {
    // Prepare
    const { b } = held();
    const start = b.started()!.catch(() => undefined);

    // Act
    finish(b);
    await start;

    // Assess
    expect(jest.getTimerCount()).toBe(0);
  });
});
