import { AfterResponse } from './after-response';

describe('AfterResponse', () => {
  it('waits in drain() for writes, those started while it waits included', async () => {
    const writes = new AfterResponse();
    const done: string[] = [];
    const later = (name: string, ms: number) => new Promise<void>((resolve) => setTimeout(() => resolve(void done.push(name)), ms));

    // The second write starts while drain() waits on the first (as the first ends), not on a timer
    // race: a pause on a loaded machine could let the first end before a timed second began.
    let endFirst!: () => void;
    const first = new Promise<void>((resolve) => (endFirst = resolve)).then(() => {
      writes.run(later('second', 10), () => {});
      done.push('first');
    });
    writes.run(first, () => {});
    const drained = writes.drain();
    endFirst();
    await drained;

    expect(done).toEqual(['first', 'second']);
  });

  it('hands a failure to onError and never rejects', async () => {
    const writes = new AfterResponse();
    const errors: unknown[] = [];

    writes.run(Promise.reject(new Error('down')), (err) => errors.push(err));
    await writes.drain();

    expect(errors).toEqual([new Error('down')]);
  });

  it('drains at once when nothing is pending', async () => {
    await expect(new AfterResponse().drain()).resolves.toBeUndefined();
  });
});
