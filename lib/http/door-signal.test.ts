import { clientGone, whyAborted } from '../pipeline/signal';
import { DoorSignal } from './door-signal';

describe('DoorSignal', () => {
  it.each([
    { name: 'aborts at its deadline as AbortSignal.timeout does, read as the deadline', inMs: 20, gone: false, code: 'deadline_exceeded' },
    { name: 'aborts at once when the client is gone, read as the client gone', inMs: 60_000, gone: true, code: 'client_closed_request' },
  ])('$name', async ({ inMs, gone, code }) => {
    // Prepare
    const door = new DoorSignal(inMs);

    // Act
    if (gone) door.clientGone(new Error('write EPIPE'));
    await new Promise((resolve) => (door.signal.aborted ? resolve(undefined) : door.signal.addEventListener('abort', resolve)));

    // Assess
    expect(clientGone(door.signal)).toBe(gone);
    expect(whyAborted(door.signal).code).toBe(code);
  });

  it('never aborts once settled', async () => {
    // Prepare
    const door = new DoorSignal(10);

    // Act
    door.settled();
    await new Promise((resolve) => setTimeout(resolve, 40));

    // Assess
    expect(door.signal.aborted).toBe(false);
  });
});
