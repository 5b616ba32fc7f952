import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import type { AdminApi } from '../admin/api';
import type { Gateway } from '../gateway';
import type { GatewayResponse } from '../http/types';
import { createLocalServer } from './server';

/** The door alone, in front of a stand-in gateway that answers with the given stream. */
async function serveStream(body: () => AsyncIterable<Uint8Array>) {
  const gateway = { handle: async (): Promise<GatewayResponse> => ({ status: 200, headers: { 'content-type': 'text/event-stream' }, body: body() }) } as unknown as Gateway;
  const admin = { handle: async () => ({ status: 404, headers: {}, body: '' }) } as unknown as AdminApi;
  const server = createLocalServer({ gateway, admin });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`, close: () => new Promise((r) => server.close(r)) };
}

/**
 * Each piece of the response body as it reached a client in another process (one in this process
 * would be held up by the same busy event loop), with when (ms after the request).
 */
function receive(url: string): Promise<{ at: number; text: string }[]> {
  const client = `
    const started = performance.now(); const pieces = [];
    require('node:http').request(${JSON.stringify(url)}, { method: 'POST' }, (res) => {
      res.on('data', (c) => pieces.push({ at: performance.now() - started, text: c.toString() }));
      res.on('end', () => process.stdout.write(JSON.stringify(pieces)));
    }).end('{}');`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', client], (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout) as { at: number; text: string }[])));
  });
}

describe('the local door writing a stream', () => {
  it('sends the first chunk at once, without waiting for the chunks read after it in the same turn', async () => {
    // Prepare: the second chunk is ready without any I/O, but takes 80 ms of work to make. The
    // first is yielded from a microtask, as a chunk read off the upstream is.
    const { url, close } = await serveStream(async function* () {
      await Promise.resolve();
      yield Buffer.from('data: first\n\n');
      const busyUntil = performance.now() + 80;
      while (performance.now() < busyUntil);
      yield Buffer.from('data: second\n\n');
    });

    // Act
    const pieces = await receive(url);
    await close();

    // Assess
    const first = pieces.find((p) => p.text.includes('first'))!;
    const second = pieces.find((p) => p.text.includes('second'))!;
    expect(first.text).not.toContain('second');
    expect(second.at - first.at).toBeGreaterThan(50);
  });
});
