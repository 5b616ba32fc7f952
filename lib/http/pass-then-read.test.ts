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
});
