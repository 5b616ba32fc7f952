import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface GatewayFunctionProps {
  /** The handler module, relative to the repo root (e.g. `functions/proxy.ts`). */
  entry: string;
  description: string;
  memorySize: number;
  timeout: Duration;
  environment: Record<string, string>;
  /** Merged over the shared defaults (minify, source maps). */
  bundling?: BundlingOptions;
}

/** The repo root: NodejsFunction resolves entries and the lock file from here, whatever the cwd. */
export const REPO_ROOT = join(__dirname, '..', '..');

/** Bundling every gateway function shares. */
export const BASE_BUNDLING: BundlingOptions = {
  minify: true,
  // Stack traces in CloudWatch point at the TypeScript sources (with NODE_OPTIONS below). The
  // map holds positions only: the sources' text is not needed for a trace, and without it the
  // map that Node parses at every cold start is a third of the size.
  sourceMap: true,
  sourcesContent: false,
  // The AWS SDK the tests ran against, not whichever version the Lambda runtime carries that day
  // (AWS's own advice for control over dependencies). Bundled it loads as fast as the runtime's.
  bundleAwsSDK: true,
};

/**
 * A gateway Lambda with the settings they all share: Node 24 on arm64 (cheaper per ms, and the
 * gateway has no native modules), bundled by the local esbuild (no Docker), its own log group with
 * a retention, and its own role holding nothing but the right to write that log group (no
 * AWSLambdaBasicExecutionRole, which is `logs:*` on every group). Callers grant the rest.
 */
export class GatewayFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: GatewayFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH });
    const role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com'), description: props.description });
    this.logGroup.grantWrite(role);
    this.fn = new NodejsFunction(this, 'Function', {
      entry: join(REPO_ROOT, props.entry),
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      description: props.description,
      role,
      logGroup: this.logGroup,
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      bundling: { ...BASE_BUNDLING, ...props.bundling },
    });
  }
}
