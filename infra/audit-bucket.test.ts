import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { createGatewayApp } from './gateway-app';
import { FIXTURE_CONFIG, SKIP_BUNDLING, fixtureApp, writeConfig } from './test-fixtures';

const AUDITED = { ...FIXTURE_CONFIG, audit: { mode: 'flagged', retentionDays: 30 } };

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

function proxyStatements(template: Template): Statement[] {
  const policies = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) => id.startsWith('ProxyLambdaRole'));
  return policies.flatMap(([, p]) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
}

interface ValidationReport {
  pluginReports: { pluginName: string; violations: { ruleName: string; severity: string }[] }[];
}

describe('GatewayStack audit bucket', () => {
  let template: Template;
  beforeAll(() => {
    template = Template.fromStack(fixtureApp(AUDITED).stack);
  });

  it('is private, encrypted, TLS-only, unversioned, and expires records after retentionDays', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LifecycleConfiguration: { Rules: [Match.objectLike({ Prefix: 'audit/', ExpirationInDays: 30, Status: 'Enabled' })] },
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'audit-bucket/' },
      VersioningConfiguration: Match.absent(),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.resourceCountIs('AWS::S3::Bucket', 2);
  });

  it('keeps the records when the stack goes', () => {
    for (const bucket of Object.values(template.findResources('AWS::S3::Bucket'))) expect(bucket).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('lets the proxy put objects under audit/ and do nothing else with the bucket', () => {
    const s3 = proxyStatements(template).filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:')));

    expect(s3).toEqual([{ Effect: 'Allow', Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^AuditBucket/), 'Arn'] }, '/audit/*']] } }]);
  });

  it('names the bucket in the proxy\'s environment and in an output', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ GATEWAY_AUDIT_BUCKET: { Ref: Match.stringLikeRegexp('^AuditBucket') } }) } });
    template.hasOutput('AuditBucketName', { Value: { Ref: Match.stringLikeRegexp('^AuditBucket') } });
  });

  it('is not made when audit.mode is off (the default): no bucket, no permission, no variable', () => {
    const off = Template.fromStack(fixtureApp(FIXTURE_CONFIG).stack);

    off.resourceCountIs('AWS::S3::Bucket', 0);
    expect(JSON.stringify(off.toJSON())).not.toContain('GATEWAY_AUDIT_BUCKET');
    expect(JSON.stringify(proxyStatements(off))).not.toContain('s3:');
    expect(Object.keys(off.findOutputs('AuditBucketName'))).toEqual([]);
  });

  it('leaves no AwsSolutions finding unacknowledged', () => {
    const { app } = createGatewayApp({ context: { ...SKIP_BUNDLING, outdir: mkdtempSync(join(tmpdir(), 'aigw-cdkout-')), config: writeConfig(AUDITED) }, env: {}, cwd: tmpdir() });

    const assembly = app.synth();

    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as ValidationReport;
    expect(report.pluginReports.flatMap((r) => r.violations.map((v) => `${r.pluginName} ${v.severity} ${v.ruleName}`))).toEqual([]);
  });
});
