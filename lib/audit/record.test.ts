import { gunzipSync } from 'node:zlib';
import type { UsageRecord } from '../usage/record';
import { auditBody, auditObjectKey, auditRecord, encodeAuditRecord, isTextType, utf8Prefix } from './record';

const usage: UsageRecord = {
  requestId: 'req-1',
  at: new Date('2026-11-26T22:05:06.789Z'),
  keyId: 'key_1',
  teamId: 'team_1',
  surface: 'openai-chat',
  model: 'gpt-4o-mini',
  stream: true,
  status: 200,
  outcome: 'ok',
  inputTokens: 10,
  outputTokens: 5,
  cacheReadTokens: 2,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
  latencyMs: 12.5,
  ttftMs: 3,
  attempts: 2,
  provider: 'openai',
  account: 'main',
  upstreamModel: 'gpt-4o-mini-2024-07-18',
  costMicros: 42,
};

describe('auditBody', () => {
  it.each([
    ['keeps a JSON body whole under the limit', '{"a":1}', 'application/json', 100, { contentType: 'application/json', bytes: 7, text: '{"a":1}' }],
    ['cuts a body over the limit and says so', 'abcdef', 'text/event-stream', 4, { contentType: 'text/event-stream', bytes: 6, text: 'abcd', truncated: true }],
    ['cuts before a character that would be split', 'aé€', 'text/plain; charset=utf-8', 4, { contentType: 'text/plain; charset=utf-8', bytes: 6, text: 'aé', truncated: true }],
    ['keeps a body exactly at the limit whole', 'abcd', 'application/json', 4, { contentType: 'application/json', bytes: 4, text: 'abcd' }],
    ['keeps only the size and type of a binary body', 'RIFF....', 'audio/wav', 100, { contentType: 'audio/wav', bytes: 8 }],
    ['keeps only the size and type of an upload', '--b\r\n…', 'multipart/form-data; boundary=b', 100, { contentType: 'multipart/form-data; boundary=b', bytes: 8 }],
    ['keeps only the size of a body without a type', '{}', undefined, 100, { bytes: 2 }],
  ])('%s', (_name, text, contentType, maxBytes, expected) => {
    // Act
    const body = auditBody(Buffer.from(text), contentType, maxBytes);

    // Assess
    expect(body).toEqual(expected);
  });

  it('keeps the text of a body that says it is text with bytes that are not UTF-8, each as U+FFFD (as the gateway reads it)', () => {
    expect(auditBody(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'application/json', 100)).toEqual({ contentType: 'application/json', bytes: 4, text: '{\ufffd\ufffd}' });
  });

  it('reports the whole size of a stream of which only a prefix was kept', () => {
    expect(auditBody(Buffer.from('data: x\n\nda'), 'text/event-stream', 9, 5000)).toEqual({ contentType: 'text/event-stream', bytes: 5000, text: 'data: x\n\n', truncated: true });
  });
});

describe('isTextType', () => {
  it.each([
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['application/problem+json', true],
    ['text/event-stream', true],
    ['application/x-www-form-urlencoded', true],
    ['multipart/form-data; boundary=x', false],
    ['audio/mpeg', false],
    ['application/octet-stream', false],
    [undefined, false],
  ])('%s → %s', (type, text) => {
    expect(isTextType(type)).toBe(text);
  });
});

describe('utf8Prefix', () => {
  it('never splits a four-byte character', () => {
    const bytes = Buffer.from('a😀b');
    for (let max = 0; max <= bytes.byteLength; max++) expect(() => new TextDecoder('utf-8', { fatal: true }).decode(utf8Prefix(bytes, max))).not.toThrow();
    expect(Buffer.from(utf8Prefix(bytes, 4)).toString()).toBe('a');
    expect(Buffer.from(utf8Prefix(bytes, 5)).toString()).toBe('a😀');
  });
});

describe('auditObjectKey', () => {
  it.each([
    [new Date('2026-11-26T22:05:06Z'), 'req-1', 'audit/2026/11/26/22/req-1.json.gz'],
    [new Date('2027-01-02T03:00:00Z'), '8f0e6c1a-4d3b-4f6e-9a55-1b2c3d4e5f60', 'audit/2027/01/02/03/8f0e6c1a-4d3b-4f6e-9a55-1b2c3d4e5f60.json.gz'],
    [new Date('2026-11-26T00:59:59Z'), '../etc/pass wd?x', 'audit/2026/11/26/00/.._etc_pass_wd_x.json.gz'],
  ])('files a request of %s with id %j under %s', (at, id, key) => {
    expect(auditObjectKey(at, id)).toBe(key);
  });
});

describe('auditRecord', () => {
  it('carries the usage record\'s facts, the target and both bodies', () => {
    // Act
    const record = auditRecord(usage, { contentType: 'application/json', bytes: 2, text: '{}' }, { contentType: 'text/event-stream', bytes: 3, text: 'a\n\n' });

    // Assess
    expect(record).toEqual({
      version: 1,
      requestId: 'req-1',
      time: '2026-11-26T22:05:06.789Z',
      keyId: 'key_1',
      teamId: 'team_1',
      surface: 'openai-chat',
      model: 'gpt-4o-mini',
      stream: true,
      target: { provider: 'openai', account: 'main', model: 'gpt-4o-mini-2024-07-18' },
      status: 200,
      outcome: 'ok',
      usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 2, cacheWriteTokens: 0, reasoningTokens: 0, costMicros: 42 },
      latencyMs: 12.5,
      ttftMs: 3,
      attempts: 2,
      request: { contentType: 'application/json', bytes: 2, text: '{}' },
      response: { contentType: 'text/event-stream', bytes: 3, text: 'a\n\n' },
    });
  });

  it('says whom the call named, what the parameter policy changed in the body and what the cache did, as the usage record does', () => {
    // Act
    const record = auditRecord({ ...usage, endUser: 'alice', params: ['maxOutputTokens:capped', 'temperature:forced'], cache: 'miss' }, { bytes: 0 }, { bytes: 0 });

    // Assess
    expect(record).toMatchObject({ endUser: 'alice', params: ['maxOutputTokens:capped', 'temperature:forced'], cache: 'miss' });
  });

  it("says what picked the serving account, beside the target, as the usage record does", () => {
    // Act
    const record = auditRecord({ ...usage, balancedBy: 'latency' }, { bytes: 0 }, { bytes: 0 });

    // Assess
    expect(record.target).toEqual({ provider: 'openai', account: 'main', model: 'gpt-4o-mini-2024-07-18', balancedBy: 'latency' });
  });

  it('has no target for a call that reached no upstream, and names its error', () => {
    const { provider: _p, account: _a, upstreamModel: _m, ...refused } = usage;

    const record = auditRecord({ ...refused, status: 429, outcome: 'error', errorCode: 'rate_limit_exceeded', attempts: 0 }, { bytes: 0 }, { bytes: 0 });

    expect(record).not.toHaveProperty('target');
    expect(record).toMatchObject({ status: 429, outcome: 'error', errorCode: 'rate_limit_exceeded' });
  });
});

describe('encodeAuditRecord', () => {
  it('gzips the record\'s JSON', async () => {
    const record = auditRecord(usage, { bytes: 0 }, { bytes: 0 });

    const gzipped = await encodeAuditRecord(record);

    expect(gzipped.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(JSON.parse(gunzipSync(gzipped).toString())).toEqual(record);
  });
});
