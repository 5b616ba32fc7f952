import { Duration } from 'aws-cdk-lib';
import { FunctionUrlAuthType, InvokeMode, type FunctionUrl } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { BundlingOptions, NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { GatewayConfig } from '../../lib/config/schema';
import { BASE_BUNDLING, GatewayFunction } from './gateway-function';
import type { GatewayTable } from './gateway-table';

/**
 * How the proxy is bundled. The resolved gateway config is compiled into the bundle as
 * `process.env.GATEWAY_CONFIG_JSON` (esbuild `define`) rather than set as an environment
 * variable, because Lambda caps all environment variables together at 4 KB and a config with a
 * model catalogue grows past that. A define's value is JavaScript source, so the JSON text is
 * quoted once more to become a string literal.
 *
 * @example
 * proxyBundling(config).define!['process.env.GATEWAY_CONFIG_JSON'] // '"{\"providers\":…}"'
 */
export function proxyBundling(config: GatewayConfig): BundlingOptions {
  return { ...BASE_BUNDLING, define: { 'process.env.GATEWAY_CONFIG_JSON': JSON.stringify(JSON.stringify(config)) } };
}

export interface ProxyFunctionProps {
  table: GatewayTable;
  /** The config with every key as a Secrets Manager reference (`resolveForAws`). */
  config: GatewayConfig;
}

/** The streaming proxy: the public OpenAI/Anthropic-compatible endpoint. */
export class ProxyFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly url: FunctionUrl;
  /** Where the access log lines go; the gateway's metrics are read out of them. */
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ProxyFunctionProps) {
    super(scope, id);
    const lambda = new GatewayFunction(this, 'Lambda', {
      entry: 'functions/proxy.ts',
      description: 'AI gateway proxy (OpenAI- and Anthropic-compatible, streaming)',
      // Memory buys CPU: JSON and SSE translation of long streams is CPU-bound.
      memorySize: 1024,
      // Lambda's maximum: long generations stream for minutes.
      timeout: Duration.minutes(15),
      environment: {
        GATEWAY_TABLE_NAME: props.table.tableName,
        POWERTOOLS_SERVICE_NAME: 'aigw',
        POWERTOOLS_METRICS_NAMESPACE: 'aigw',
      },
      bundling: proxyBundling(props.config),
    });
    this.fn = lambda.fn;
    this.logGroup = lambda.logGroup;
    this.url = this.fn.addFunctionUrl({
      // Streaming: the first tokens reach the client while the model is still writing.
      invokeMode: InvokeMode.RESPONSE_STREAM,
      // OpenAI and Anthropic clients cannot sign SigV4; the gateway checks its own keys.
      authType: FunctionUrlAuthType.NONE,
      // No `cors` here: the function answers browsers itself, from the config's `cors` (baked into
      // its bundle), as the local server does. A function URL with CORS would answer preflights
      // without the function and put its own headers over the function's, for every path, with
      // one header list for all (no `x-stainless-*`) and no `vary: origin`: two owners of the same headers.
    });
  }

  /**
   * Publishes end users' budget alerts to `topic` (sns:Publish on it alone, its ARN as
   * ALERT_TOPIC_ARN): the call that crossed a threshold publishes, after its answer, since the
   * scheduled job cannot list end users.
   */
  publishTo(topic: ITopic): void {
    this.fn.addEnvironment('ALERT_TOPIC_ARN', topic.topicArn);
    topic.grantPublish(this.fn);
  }
}
