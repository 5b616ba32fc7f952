import { FileAuditSink } from './file-sink';
import { auditSinkFromEnvironment } from './from-env';
import { S3AuditSink } from './s3-sink';

describe('auditSinkFromEnvironment', () => {
  it('writes to the bucket GATEWAY_AUDIT_BUCKET names, locally too', () => {
    const sink = auditSinkFromEnvironment({ GATEWAY_AUDIT_BUCKET: 'aigw-audit', AWS_REGION: 'eu-west-1' }, '.data');

    expect(sink).toBeInstanceOf(S3AuditSink);
    expect(sink.description).toBe('s3://aigw-audit/audit/');
  });

  it('writes to the data dir locally without a bucket', () => {
    const sink = auditSinkFromEnvironment({}, '/tmp/aigw-data');

    expect(sink).toBeInstanceOf(FileAuditSink);
    expect(sink.description).toBe('/tmp/aigw-data/audit');
  });

  it('names the missing bucket on Lambda, where there is no data dir', () => {
    expect(() => auditSinkFromEnvironment({})).toThrow(/GATEWAY_AUDIT_BUCKET is not set/);
  });
});
