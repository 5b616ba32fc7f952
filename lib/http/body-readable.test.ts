import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { bodyReadable } from './body-readable';

/** What happened, in order: the hooks' calls, the body's cleanup, and the pipe settling. */
type Step = string;

/** Resolves when the signal aborts: an upstream's next chunk, which only the door's signal cuts short. */
const untilAborted = (signal: AbortSignal) => new Promise((resolve) => signal.addEventListener('abort', resolve));

/** A body of `chunks`, then `ending`: its end, a throw, or a wait that only `cut` ends (as the door's signal ends an upstream read). */
function bodyOf(chunks: string[], ending: 'end' | 'throw' | 'hang', steps: Step[], cut = new AbortController()): AsyncIterable<Uint8Array> {
  return (async function* () {
    try {
      for (const c of chunks) yield Buffer.from(c);
      if (ending === 'throw') throw new Error('body broke');
      if (ending === 'hang') await untilAborted(cut.signal);
    } finally {
      steps.push('body cleanup');
    }
  })();
}

/** A consumer that takes `failAt - 1` writes, then fails the next (never, when undefined). */
function consumer(writes: Buffer[], failAt?: number) {
  return new Writable({
    objectMode: true,
    write(chunk: Buffer, _enc, done) {
      if (writes.length + 1 === failAt) return done(new Error('consumer broke'));
      writes.push(chunk);
      done();
    },
  });
}

/** The hooks, recording their calls; `left` aborts `cut`, as the Lambda door aborts the request's signal. */
function hooksInto(steps: Step[], drainMs = 0, cut = new AbortController()) {
  return {
    left: (reason: Error | null) => {
      steps.push(`left: ${reason?.message}`);
      cut.abort();
    },
    threw: (err: unknown) => void steps.push(`threw: ${(err as Error).message}`),
    beforeEarlyEnd: async () => {
      steps.push('last work begun');
      await new Promise((r) => setTimeout(r, drainMs));
      steps.push('last work done');
    },
  };
}

describe('bodyReadable', () => {
  it.each([
    { name: 'a body that ends: each chunk one write, no hook', chunks: ['a', 'b'], ending: 'end', failAt: undefined, writes: ['a', 'b'], steps: ['body cleanup'], pipe: 'resolved' },
    { name: 'a body without chunks: one zero-length write, so the status and headers go', chunks: [], ending: 'end', failAt: undefined, writes: [''], steps: ['body cleanup'], pipe: 'resolved' },
    {
      name: 'a body that throws: the last work done, then the stream destroyed with its error',
      chunks: ['a'],
      ending: 'throw',
      failAt: undefined,
      writes: ['a'],
      steps: ['body cleanup', 'threw: body broke', 'last work begun', 'last work done'],
      pipe: 'rejected: body broke',
    },
    {
      name: 'a consumer that fails while the body waits: left told first, then the body ended, then the last work',
      chunks: ['a', 'b'],
      ending: 'hang',
      failAt: 2,
      writes: ['a'],
      steps: ['left: consumer broke', 'body cleanup', 'last work begun', 'last work done'],
      pipe: 'rejected: consumer broke',
    },
    {
      name: 'a consumer that fails on the last chunk, after the body ended: the last work done all the same',
      chunks: ['a'],
      ending: 'end',
      failAt: 1,
      writes: [],
      steps: ['body cleanup', 'left: consumer broke', 'last work begun', 'last work done'],
      pipe: 'rejected: consumer broke',
    },
  ] as const)('$name', async ({ chunks, ending, failAt, writes, steps: expected, pipe }) => {
    // Prepare
    const steps: Step[] = [];
    const written: Buffer[] = [];
    const cut = new AbortController();
    const readable = bodyReadable(bodyOf([...chunks], ending, steps, cut), hooksInto(steps, 30, cut));

    // Act
    const settled = await pipeline(readable, consumer(written, failAt)).then(
      () => 'resolved',
      (err: Error) => `rejected: ${err.message}`,
    );
    await new Promise((resolve) => (readable.closed ? resolve(undefined) : readable.once('close', resolve)));

    // Assess
    expect(written.map(String)).toEqual(writes);
    expect(steps).toEqual(expected);
    expect(settled).toBe(pipe);
  });

  it('does not close before its last work is done, though the pipe may settle first', async () => {
    // Prepare: the consumer fails while the body waits for a chunk that never comes.
    const steps: Step[] = [];
    const cut = new AbortController();
    const readable = bodyReadable(bodyOf(['a', 'b'], 'hang', steps, cut), hooksInto(steps, 50, cut));

    // Act
    await pipeline(readable, consumer([], 2)).catch(() => undefined);
    const closedAtSettle = readable.closed;
    await new Promise((resolve) => readable.once('close', resolve));

    // Assess: Node's pipeline counts a destination's error twice and settles early; `close` waits.
    expect(closedAtSettle).toBe(false);
    expect(steps.at(-1)).toBe('last work done');
  });

  it('reports a body whose cleanup throws, and still does its last work', async () => {
    // Prepare
    const steps: Step[] = [];
    const cut = new AbortController();
    const body = (async function* () {
      try {
        yield Buffer.from('a');
        await untilAborted(cut.signal);
      } finally {
        // eslint-disable-next-line no-unsafe-finally -- the broken cleanup under test
        throw new Error('cleanup broke');
      }
    })();
    const readable = bodyReadable(body, hooksInto(steps, 0, cut));

    // Act
    await pipeline(readable, consumer([], 1)).catch(() => undefined);
    await new Promise((resolve) => (readable.closed ? resolve(undefined) : readable.once('close', resolve)));

    // Assess
    expect(steps).toEqual(['left: consumer broke', 'threw: cleanup broke', 'last work begun', 'last work done']);
  });
});
