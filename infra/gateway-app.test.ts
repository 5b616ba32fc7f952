import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { createGatewayApp } from './gateway-app';
import { BEDROCK_CONFIG, BEDROCK_RERANK_CONFIG, CROSS_ACCOUNT_CONFIG, FIXTURE_CONFIG, SKIP_BUNDLING, fixtureApp, writeConfig } from './test-fixtures';

const REPO_ROOT = join(__dirname, '..');

interface ValidationReport {
  pluginReports: { pluginName: string; violations: { ruleName: string; severity: string }[] }[];
}

/** Synthesizes into a fresh directory and returns every violation left unacknowledged. */
function unacknowledgedViolations(app: ReturnType<typeof createGatewayApp>['app']) {
  const assembly = app.synth();
  const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as ValidationReport;
  return report.pluginReports.flatMap((r) => r.violations.map((v) => `${r.pluginName} ${v.severity} ${v.ruleName}`));
}

const outdir = () => ({ outdir: mkdtempSync(join(tmpdir(), 'aigw-cdkout-')) });

describe('createGatewayApp', () => {
  it('refuses a bad config, naming the field', () => {
    // Prepare
    const bad = { ...FIXTURE_CONFIG, models: [{ name: 'm', targets: [{ provider: 'nope', model: 'm' }] }] };

    // Act
    const act = () => fixtureApp(bad);

    // Assess
    expect(act).toThrow(/models\[0\]\.targets\[0\]\.provider: no provider with id "nope"/);
  });

  it('refuses a config file that is not JSON', () => {
    expect(() => fixtureApp('{ providers: ')).toThrow(/is not valid JSON/);
  });

  it('refuses a config named on the command line that does not exist, rather than deploying the example', () => {
    const act = () => createGatewayApp({ context: { ...SKIP_BUNDLING, config: '/nonexistent/gateway.json' }, env: {}, cwd: REPO_ROOT });
    expect(act).toThrow(/cannot read config file \/nonexistent\/gateway.json/);
  });

  it('synthesizes from the example config on a fresh clone', () => {
    // Act
    const { stack, configPath } = createGatewayApp({ context: SKIP_BUNDLING, env: {}, cwd: mkdtempSync(join(tmpdir(), 'aigw-clone-')) });

    // Assess
    expect(configPath).toBe(join(REPO_ROOT, 'gateway.config.example.json'));
    Template.fromStack(stack).hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'aigw/Aigw/openai/main' });
  });
});

describe('createGatewayApp cdk-nag checks', () => {
  it('leaves no AwsSolutions finding unacknowledged with imported and created secrets', () => {
    // Prepare
    const { app } = createGatewayApp({ context: { ...SKIP_BUNDLING, ...outdir(), config: writeConfig(FIXTURE_CONFIG) }, env: {}, cwd: tmpdir() });

    // Act
    const violations = unacknowledgedViolations(app);

    // Assess
    expect(violations).toEqual([]);
  });

  it('leaves no AwsSolutions finding unacknowledged with Bedrock wildcards and an access key secret', () => {
    // Prepare
    const { app } = createGatewayApp({ context: { ...SKIP_BUNDLING, ...outdir(), config: writeConfig(BEDROCK_CONFIG) }, env: {}, cwd: tmpdir() });

    // Act
    const violations = unacknowledgedViolations(app);

    // Assess
    expect(violations).toEqual([]);
  });

  it('leaves no AwsSolutions finding unacknowledged with Bedrock accounts that assume roles in other accounts', () => {
    // Prepare
    const { app } = createGatewayApp({ context: { ...SKIP_BUNDLING, ...outdir(), config: writeConfig(CROSS_ACCOUNT_CONFIG) }, env: {}, cwd: tmpdir() });

    // Act
    const violations = unacknowledgedViolations(app);

    // Assess
    expect(violations).toEqual([]);
  });

  it('leaves no AwsSolutions finding unacknowledged with Bedrock rerank (Rerank on "*")', () => {
    const { app } = createGatewayApp({ context: { ...SKIP_BUNDLING, ...outdir(), config: writeConfig(BEDROCK_RERANK_CONFIG) }, env: {}, cwd: tmpdir() });

    expect(unacknowledgedViolations(app)).toEqual([]);
  });

  it('leaves no AwsSolutions finding unacknowledged with the example config', () => {
    const { app } = createGatewayApp({ context: { ...SKIP_BUNDLING, ...outdir(), config: join(REPO_ROOT, 'gateway.config.example.json') }, env: {}, cwd: REPO_ROOT });
    expect(unacknowledgedViolations(app)).toEqual([]);
  });

  it('does report a finding nobody acknowledged (the check is live)', () => {
    // Prepare: an SNS topic without SSL enforcement breaks AwsSolutions-SNS3.
    const { app, stack } = createGatewayApp({ context: { ...SKIP_BUNDLING, ...outdir(), config: writeConfig(FIXTURE_CONFIG) }, env: {}, cwd: tmpdir() });
    new Topic(stack, 'Unchecked');

    // Act
    const act = () => app.synth();

    // Assess
    expect(act).toThrow(/AwsSolutions-SNS3/);
  });
});
