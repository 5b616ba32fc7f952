import { execFile } from 'node:child_process';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AdminApi } from '../admin/api';
import type { Gateway } from '../gateway';
import { GatewayError } from '../http/errors';
import { TransferAborted } from '../http/transfer-aborted';
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

/** When (ms after the request) a client in another process had the response's headers, and its first body byte. */
function openedAt(url: string): Promise<{ headers: number; firstByte: number }> {
  const client = `
    const started = performance.now();
    require('node:http').request(${JSON.stringify(url)}, { method: 'POST' }, (res) => {
      const headers = performance.now() - started; let firstByte;
      res.on('data', () => (firstByte ??= performance.now() - started));
      res.on('end', () => process.stdout.write(JSON.stringify({ headers, firstByte })));
    }).end('{}');`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', client], (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout) as { headers: number; firstByte: number })));
  });
}

describe('the local door writing a stream', () => {
  it('sends the headers at once when the first chunk is not there yet, so the client sees the stream open', async () => {
    // Prepare: the first chunk comes 300 ms after the answer began, as a model thinking before its first token.
    const { url, close } = await serveStream(async function* () {
      await new Promise((resolve) => setTimeout(resolve, 300));
      yield Buffer.from('data: first\n\n');
    });

    // Act
    const { headers, firstByte } = await openedAt(url);
    await close();

    // Assess
    expect(firstByte - headers).toBeGreaterThan(200);
  });

  it('sends the headers with a first chunk that is already there', async () => {
    // Prepare
    const { url, close } = await serveStream(async function* () {
      await Promise.resolve();
      yield Buffer.from('data: first\n\n');
      await new Promise((resolve) => setTimeout(resolve, 300));
      yield Buffer.from('data: second\n\n');
    });

    // Act
    const pieces = await receive(url);
    const { headers, firstByte } = await openedAt(url);
    await close();

    // Assess: the first piece the client read holds the first chunk, and it came with the headers.
    expect(pieces[0]!.text).toContain('first');
    expect(firstByte - headers).toBeLessThan(50);
  });

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

/** What a node:http client in this process got: the bytes, and whether the response ended or was aborted. */
function fetchRaw(url: string): Promise<{ text: string; ended: boolean; aborted: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST' }, (res) => {
      let text = '';
      let ended = false;
      let aborted = false;
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => (ended = true));
      res.on('aborted', () => (aborted = true));
      // An aborted response also errors (ECONNRESET); `close` reports it.
      res.on('error', () => undefined);
      res.on('close', () => resolve({ text, ended, aborted }));
    });
    req.on('error', reject);
    req.end('{}');
  });
}

describe('the local door, when a streamed body throws after its first byte', () => {
  it.each([
    ['TransferAborted (raw audio cut off)', () => new TransferAborted(new GatewayError('upstream_unavailable', 'The upstream provider broke off its answer.', { code: 'upstream_interrupted' }))],
    ['any other error (a body that broke its promise to end in-band)', () => new Error('bug')],
  ])('aborts the transfer on %s: the client sees what came, then no end', async (_name, failure) => {
    // Prepare
    const { url, close } = await serveStream(async function* () {
      yield Buffer.from('ID3-frame-1');
      await new Promise((r) => setTimeout(r, 20));
      throw failure();
    });

    // Act
    const got = await fetchRaw(url);
    await close();

    // Assess
    expect(got).toEqual({ text: 'ID3-frame-1', ended: false, aborted: true });
  });

  it('ends a body that ends normally cleanly', async () => {
    // Prepare
    const { url, close } = await serveStream(async function* () {
      yield Buffer.from('ID3-frame-1');
      yield Buffer.from('frame-2');
    });

    // Act
    const got = await fetchRaw(url);
    await close();

    // Assess
    expect(got).toEqual({ text: 'ID3-frame-1frame-2', ended: true, aborted: false });
  });
});
