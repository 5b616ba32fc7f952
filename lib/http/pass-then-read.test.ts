import { passThenRead } from './pass-then-read';

async function* source(pieces: string[]) {
  for (const p of pieces) yield Buffer.from(p);
}

describe('passThenRead', () => {
  it('yields every chunk before reading it, and reads them all in order', async () => {
    const log: string[] = [];
    for await (const chunk of passThenRead(source(['a', 'b', 'c']), (c) => log.push(`read ${Buffer.from(c).toString()}`))) {
      log.push(`got ${Buffer.from(chunk).toString()}`);
    }
    expect(log).toEqual(['got a', 'read a', 'got b', 'read b', 'got c', 'read c']);
  });

  it('reads the last chunk handed out when the consumer stops early', async () => {
    const read: string[] = [];
    for await (const chunk of passThenRead(source(['a', 'usage', 'c']), (c) => read.push(Buffer.from(c).toString()))) {
      if (Buffer.from(chunk).toString() === 'usage') break;
    }
    expect(read).toEqual(['a', 'usage']);
  });

  it('passes a failure of the source on, having read what came before', async () => {
    async function* failing() {
      yield Buffer.from('a');
      throw new Error('socket hang up');
    }
    const read: string[] = [];
    const consume = async () => {
      for await (const _ of passThenRead(failing(), (c) => read.push(Buffer.from(c).toString()))) {
        // drain
      }
    };
    await expect(consume()).rejects.toThrow('socket hang up');
    expect(read).toEqual(['a']);
  });

  it('calls `ended` once the source ended, after the last chunk was read; not when it failed or the consumer stopped', async () => {
    const log: string[] = [];
    const read = (c: Uint8Array) => log.push(Buffer.from(c).toString());
    for await (const _ of passThenRead(source(['a', 'b']), read, undefined, () => log.push('ended'))) {
      // drain
    }
    for await (const chunk of passThenRead(source(['c', 'd']), read, undefined, () => log.push('ended too soon'))) {
      if (Buffer.from(chunk).toString() === 'c') break;
    }
    async function* failing() {
      yield Buffer.from('e');
      throw new Error('socket hang up');
    }
    const consume = async () => {
      for await (const _ of passThenRead(failing(), read, undefined, () => log.push('ended though cut off'))) {
        // drain
      }
    };
    await expect(consume()).rejects.toThrow('socket hang up');

    expect(log).toEqual(['a', 'b', 'ended', 'c', 'e']);
  });
});
