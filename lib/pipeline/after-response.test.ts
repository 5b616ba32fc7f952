import { AfterResponse } from './after-response';

describe('AfterResponse', () => {
  it('waits in drain() for writes, those started while it waits included', async () => {
    const writes = new AfterResponse();
    const done: string[] = [];
    const later = (name: string, ms: number) => new Promise<void>((resolve) => setTimeout(() => resolve(void done.push(name)), ms));

    writes.run(later('first', 10), () => {});
    setTimeout(() => writes.run(later('second', 10), () => {}), 5);
    await writes.drain();

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
