import { gunzipSync } from 'node:zlib';
import type { Caller } from '../access/caller';
import type { AuditConfig } from '../config/schema';
import type { UsageRecord } from '../usage/record';
import { AuditLog, MemoryAuditSink, createAuditLog, type AuditSink } from './log';

const config = (mode: AuditConfig['mode']): AuditConfig => ({ mode, maxBytes: 1024, retentionDays: 90 });
const caller = (keyAudit?: true, teamAudit?: true): Caller => ({
  key: { id: 'key_1', hash: 'h', name: 'k', prefix: 'sk-gw-x', models: ['*'], status: 'active', createdAt: '', ...(keyAudit ? { audit: true } : {}), ...(teamAudit ? { teamId: 'team_1' } : {}) },
  ...(teamAudit ? { team: { id: 'team_1', name: 't', createdAt: '', audit: true } } : {}),
});
const usage: UsageRecord = {
  requestId: 'req-1', at: new Date('2026-11-26T22:00:00Z'), keyId: 'key_1', surface: 'openai-chat', model: 'm', stream: false, status: 200, outcome: 'ok',
  inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, latencyMs: 1, attempts: 1,
};

describe('AuditLog', () => {
  it.each([
    ['all', caller(), true],
    ['flagged', caller(), false],
    ['flagged', caller(true), true],
    ['flagged', caller(undefined, true), true],
  ] as const)('in %s mode covers %j: %s', (mode, who, covered) => {
    expect(new AuditLog(config(mode), new MemoryAuditSink(), { debug() {}, info() {}, warn() {}, error() {} }).covers(who)).toBe(covered);
  });

  it("drops a capture begun for a flag in the answer that nothing flagged, and writes it once something did", async () => {
    const sink = new MemoryAuditSink();
    const log = new AuditLog(config('flagged'), sink, console);
    const unflagged = log.beginOnFlag();
    const flagged = log.beginOnFlag();
    for (const capture of [unflagged, flagged]) {
      capture.request(Buffer.from('{"q":1}'), 'application/json');
      capture.answer({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"a":2}' });
    }

    flagged.keep();
    log.record(unflagged, { ...usage, requestId: 'req-quiet' });
    log.record(flagged, { ...usage, requestId: 'req-flagged' });
    await log.drain();

    expect([...sink.objects.keys()]).toEqual(['audit/2026/11/26/22/req-flagged.json.gz']);
    expect(unflagged.wanted).toBe(false);
    expect(log.begin().wanted).toBe(true);
  });

  it('is not made at all in off mode, nor is its sink', () => {
    const sink = jest.fn(() => new MemoryAuditSink());

    expect(createAuditLog(config('off'), sink, console)).toBeUndefined();
    expect(sink).not.toHaveBeenCalled();
  });

  it('writes a record in the background under its hour\'s key, and drain waits for it', async () => {
    // Prepare
    const sink = new MemoryAuditSink();
    const log = new AuditLog(config('all'), sink, console);
    const capture = log.begin();
    capture.request(Buffer.from('{"q":1}'), 'application/json');
    capture.answer({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"a":2}' });

    // Act
    log.record(capture, usage);
    const before = sink.objects.size;
    await log.drain();

    // Assess
    expect(before).toBe(0);
    const stored = JSON.parse(gunzipSync(sink.objects.get('audit/2026/11/26/22/req-1.json.gz')!).toString());
    expect(stored).toMatchObject({ requestId: 'req-1', request: { text: '{"q":1}' }, response: { text: '{"a":2}' } });
  });

  it('logs and counts a failed write with the request id and never the body, and does not throw', async () => {
    // Prepare
    const failing: AuditSink = { description: 'x', put: () => Promise.reject(new Error('S3 PUT failed: 503 SlowDown')) };
    const logger = { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() };
    const log = new AuditLog(config('all'), failing, logger);
    const capture = log.begin();
    capture.request(Buffer.from('{"secret prompt":1}'), 'application/json');

    // Act
    log.record(capture, usage);
    await log.drain();

    // Assess
    expect(log.failures).toBe(1);
    expect(logger.error).toHaveBeenCalledWith('audit record could not be written', { requestId: 'req-1', objectKey: 'audit/2026/11/26/22/req-1.json.gz', auditFailures: 1, error: 'S3 PUT failed: 503 SlowDown' });
    expect(JSON.stringify(logger.error.mock.calls)).not.toContain('secret prompt');
  });

  it('counts a record that cannot be made as a failed write, and does not throw into the request', async () => {
    // Prepare: a capture whose bodies cannot be read.
    const logger = { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() };
    const log = new AuditLog(config('all'), new MemoryAuditSink(), logger);
    const capture = log.begin();
    jest.spyOn(capture, 'bodies').mockImplementation(() => {
      throw new Error('cannot read the bodies');
    });

    // Act
    const act = () => log.record(capture, usage);

    // Assess
    expect(act).not.toThrow();
    await log.drain();
    expect(log.failures).toBe(1);
    expect(logger.error).toHaveBeenCalledWith('audit record could not be written', expect.objectContaining({ requestId: 'req-1', error: 'cannot read the bodies' }));
  });
});
