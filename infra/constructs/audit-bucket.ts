import { Duration, RemovalPolicy, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import { PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { AuditConfig } from '../../lib/config/schema';

/** The prefix every record is written under (`auditObjectKey`): the proxy may write there and nowhere else. */
export const AUDIT_PREFIX = 'audit/';

export interface AuditBucketProps {
  audit: AuditConfig;
}

/**
 * Where the proxy's audit records go (`audit.mode` not `off`): a private bucket, encrypted
 * (S3-managed keys), reachable over TLS only, unversioned (a record is written once and never
 * changed), each record expiring `retentionDays` after it was written. Reads of it are logged to
 * a second bucket (server access logs, kept as long), since who read the prompts is part of an
 * audit. Both outlive the stack: records are evidence.
 */
export class AuditBucket extends Construct {
  readonly bucket: Bucket;
  readonly accessLogs: Bucket;

  constructor(scope: Construct, id: string, props: AuditBucketProps) {
    super(scope, id);
    const expiry = { expiration: Duration.days(props.audit.retentionDays), abortIncompleteMultipartUploadAfter: Duration.days(1) };
    this.accessLogs = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      // S3's log delivery writes only to buckets encrypted with S3-managed keys.
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      lifecycleRules: [expiry],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogs).acknowledge({ id: 'AwsSolutions-S1', reason: 'This is the audit bucket\'s access log bucket: logging its own access would log the log writes, without end.' });
    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: false,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'audit-bucket/',
      lifecycleRules: [{ prefix: AUDIT_PREFIX, ...expiry }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  get bucketName(): string {
    return this.bucket.bucketName;
  }

  /**
   * Lets `grantee` put records under `audit/` and do nothing else: no reads, no listing, no
   * deletes (`grantPut` would add object tagging and version actions on every key).
   */
  grantPutRecords(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects(`${AUDIT_PREFIX}*`)] }));
  }

  /** Writes `fn`'s records here: the permission, and the bucket's name in its environment (`GATEWAY_AUDIT_BUCKET`). */
  bindWriter(fn: IFunction & { addEnvironment(key: string, value: string): unknown }): void {
    this.grantPutRecords(fn);
    fn.addEnvironment('GATEWAY_AUDIT_BUCKET', this.bucketName);
    // cdk-nag names the finding after the bucket's logical id, as it reads the ARN in the template.
    if (!(fn.role instanceof Construct)) return;
    const logicalId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnElement);
    Validations.of(fn.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/${AUDIT_PREFIX}*]`,
      reason: 'PutObject on the records\' prefix: each request writes its own object (audit/YYYY/MM/DD/HH/<requestId>.json.gz), so no exact key can be named ahead; no read, list or delete is granted.',
    });
  }
}
