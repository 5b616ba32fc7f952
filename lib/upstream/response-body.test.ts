import { headersOf, UpstreamBody } from './response-body';

function body() {
  const calls = { resumed: 0, aborted: [] as Error[] };
  const b = new UpstreamBody(
    () => calls.resumed++,
    (reason) => calls.aborted.push(reason),
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
