import { AuditCapture } from './capture';

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
}

async function readAll(body: unknown): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) out.push(chunk);
  return out;
}

describe('AuditCapture', () => {
  it('keeps the request body by reference and makes its record form only when asked (a dropped capture never decodes it)', () => {
    const capture = new AuditCapture(4, { onFlag: true });
    const raw = Buffer.from('{"q":"héllo"}');

    const decode = jest.spyOn(TextDecoder.prototype, 'decode');
    capture.request(raw, 'application/json');
    const notYet = decode.mock.calls.length;
    const { request } = capture.bodies();
    const then = decode.mock.calls.length;
    decode.mockRestore();

    expect([notYet, then]).toEqual([0, 1]);
    expect(request).toEqual({ contentType: 'application/json', bytes: raw.byteLength, text: '{"q"', truncated: true });
    expect(capture.wanted).toBe(false);
    capture.keep();
    expect(capture.wanted).toBe(true);
  });

  it('keeps the size a body refused unread declared, even after an earlier read', () => {
    const capture = new AuditCapture(64);
    capture.request(Buffer.from('{}'), 'application/json');

    capture.unread('application/json', 1234);

    expect(capture.bodies().request).toEqual({ contentType: 'application/json', bytes: 1234 });
  });

  it('hands a stream\'s chunks on as they came, the very same objects, and keeps them in order', async () => {
    // Prepare
    const capture = new AuditCapture(1024);
    const source = [Buffer.from('data: {"a":1}\n\n'), Buffer.from('data: [DONE]\n\n')];
    const res = { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' }, body: (async function* () { yield* source; })() };

    // Act
    capture.answer(res);
    const relayed = await readAll(res.body);

    // Assess
    expect(relayed).toEqual(source);
    expect(relayed[0]).toBe(source[0]);
    expect(capture.bodies().response).toEqual({ contentType: 'text/event-stream; charset=utf-8', bytes: 29, text: 'data: {"a":1}\n\ndata: [DONE]\n\n' });
  });

  it('counts every byte of a long stream but keeps only up to the limit', async () => {
    const capture = new AuditCapture(10);
    const res = { status: 200, headers: { 'content-type': 'text/event-stream' }, body: chunks('0123456', '789abc', 'defghij', 'klm') };

    capture.answer(res);
    await readAll(res.body);

    expect(capture.bodies().response).toEqual({ contentType: 'text/event-stream', bytes: 23, text: '0123456789', truncated: true });
  });

  it('keeps what was relayed when the reader stops early (a client gone mid-stream)', async () => {
    const capture = new AuditCapture(100);
    const res = { status: 200, headers: { 'content-type': 'text/event-stream' }, body: chunks('one ', 'two ', 'three') };

    capture.answer(res);
    const iterator = (res.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.next();
    await iterator.return?.();

    expect(capture.bodies().response.text).toBe('one two ');
  });

  it('keeps a whole answer and the client\'s body', () => {
    const capture = new AuditCapture(100);

    capture.request(Buffer.from('{"model":"m"}'), 'application/json');
    capture.answer({ status: 400, headers: { 'content-type': 'application/json' }, body: '{"error":{}}' });

    expect(capture.bodies()).toEqual({
      request: { contentType: 'application/json', bytes: 13, text: '{"model":"m"}' },
      response: { contentType: 'application/json', bytes: 12, text: '{"error":{}}' },
    });
  });

  it('does nothing with a whole text answer while it is sent, and later encodes no more of it than the limit', () => {
    // Prepare: a large translated answer (a string), far over the limit.
    const capture = new AuditCapture(16);
    const answer = JSON.stringify({ data: 'é'.repeat(1_000_000) });
    const from = jest.spyOn(Buffer, 'from');

    // Act
    capture.answer({ status: 200, headers: { 'content-type': 'application/json' }, body: answer });
    const onTheClientsPath = from.mock.calls.length;
    const { response } = capture.bodies();
    const encoded = from.mock.calls.map(([value]) => (typeof value === 'string' ? value.length : 0));
    from.mockRestore();

    // Assess
    expect(onTheClientsPath).toBe(0);
    expect(Math.max(0, ...encoded)).toBeLessThanOrEqual(16);
    expect(response).toEqual({ contentType: 'application/json', bytes: Buffer.byteLength(answer), text: '{"data":"ééé', truncated: true });
  });

  it('keeps a whole text answer under the limit as it is', () => {
    const capture = new AuditCapture(100);

    capture.answer({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"text":"héllo 😀"}' });

    expect(capture.bodies().response).toEqual({ contentType: 'application/json', bytes: Buffer.byteLength('{"text":"héllo 😀"}'), text: '{"text":"héllo 😀"}' });
  });

  it('keeps only the size and type of a binary answer', () => {
    const capture = new AuditCapture(100);

    capture.answer({ status: 200, headers: { 'content-type': 'audio/mpeg' }, body: new Uint8Array(5000) });

    expect(capture.bodies().response).toEqual({ contentType: 'audio/mpeg', bytes: 5000 });
  });
});
