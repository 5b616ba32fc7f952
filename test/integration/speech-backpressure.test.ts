import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually, startHarness, type Harness } from './harness';

/**
 * A slow client of speech paces the upstream through the gateway, over the local door: an upstream
 * that synthesises faster than the client listens (here one that writes as fast as its socket
 * takes) has written little more than the socket buffers on the way while the client reads
 * nothing, rather than the whole audio into the gateway's memory.
 */
const PIECE = Buffer.alloc(64 * 1024, 0xff);
const TOTAL = 512 * 1024 * 1024;
// What may leave the upstream while the client reads nothing: the kernel's socket buffers on
// loopback (two connections), the chunk queues of undici and the door.
const WRITTEN_AT_MOST = 48 * 1024 * 1024;

let h: Harness;
let upstream: Server;
let written = 0;
let closed = false;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'audio/mpeg', 'transfer-encoding': 'chunked' });
      res.on('close', () => (closed = true));
      const pump = () => {
        while (written < TOTAL && !res.destroyed) {
          written += PIECE.byteLength;
          if (!res.write(PIECE)) return void res.once('drain', pump);
        }
        if (!res.destroyed) res.end();
      };
      pump();
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
  h = await startHarness({
    config: () => ({
      providers: [{ id: 'tts', type: 'openai', baseUrl: url, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] }],
      models: [{ name: 'tts', targets: [{ provider: 'tts', model: 'gpt-4o-mini-tts' }] }],
      // The whole-answer bound (8x) above the audio, so that only pacing can hold the upstream back.
      limits: { maxUpstreamEventBytes: 128 * 1024 * 1024 },
    }),
  });
}, 30_000);
afterAll(async () => {
  await h.close();
  await new Promise((resolve) => upstream.close(resolve));
});

describe('speech to a client that reads slowly', () => {
  it('keeps the upstream to what the buffers on the way hold while the client reads nothing, and closes it when the client leaves', async () => {
    // Prepare
    const key = await h.createKey({ name: 'slow', models: ['tts'] });
    const controller = new AbortController();
    const res = await fetch(`${h.gw.url}/v1/audio/speech`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key.key}` },
      body: JSON.stringify({ model: 'tts', voice: 'alloy', input: 'hello' }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();

    // Act: one chunk read, then nothing for a while.
    await reader.read();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const whileIdle = written;
    controller.abort();

    // Assess
    expect(res.headers.get('content-type')).toBe('audio/mpeg');
    expect(whileIdle).toBeLessThan(WRITTEN_AT_MOST);
    await eventually(() => expect(closed).toBe(true));
  }, 20_000);
});
