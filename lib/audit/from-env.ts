import { FileAuditSink } from './file-sink';
import type { AuditSink } from './log';
import { S3AuditSink } from './s3-sink';

type AwsCredentialIdentity = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

/** The Lambda role's credentials (or the local profile's), by the SDK's default chain, loaded on the first write only. */
function defaultChain(): () => Promise<AwsCredentialIdentity> {
  let chain: Promise<() => Promise<AwsCredentialIdentity>> | undefined;
  return async () => {
    chain ??= import('@aws-sdk/credential-provider-node').then(({ defaultProvider }) => defaultProvider());
    return (await chain)();
  };
}

/**
 * Where a door's audit records go: the bucket named by `GATEWAY_AUDIT_BUCKET` (the stack sets it;
 * `npm start` may too), else, locally, files under the data dir. On Lambda a config that audits
 * without a bucket is a deployment mistake, named at cold start.
 *
 * @example
 * auditSinkFromEnvironment({ GATEWAY_AUDIT_BUCKET: 'aigw-audit', AWS_REGION: 'eu-west-1' }) // S3AuditSink for s3://aigw-audit/audit/
 * auditSinkFromEnvironment({}, '.data') // FileAuditSink writing .data/audit/…
 */
export function auditSinkFromEnvironment(env: NodeJS.ProcessEnv, dataDir?: string): AuditSink {
  const bucket = env.GATEWAY_AUDIT_BUCKET;
  if (bucket) {
    return new S3AuditSink({
      bucket,
      region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
      credentials: defaultChain(),
      // Set only for tests (a fake S3 on loopback).
      ...(env.GATEWAY_AUDIT_S3_ENDPOINT ? { endpoint: env.GATEWAY_AUDIT_S3_ENDPOINT } : {}),
    });
  }
  if (dataDir !== undefined) return new FileAuditSink(dataDir);
  throw new Error('the config turns the audit log on (audit.mode) but GATEWAY_AUDIT_BUCKET is not set: deploy the stack with this config, which creates the bucket');
}
