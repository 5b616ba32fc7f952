import { Duration } from 'aws-cdk-lib';
import { FunctionUrlAuthType, type FunctionUrl } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { GatewayFunction } from './gateway-function';
import type { GatewayTable } from './gateway-table';
import type { PolicyNames } from '../../lib/admin/shared';

export interface AdminFunctionProps {
  table: GatewayTable;
  /**
   * The config's rule sets and parameter policies, which keys and teams may name: the admin API
   * refuses others with a 400. An environment variable (`GATEWAY_POLICY_NAMES`, JSON), set even when
   * there are none (then every name is refused): the function has no config of its own (the proxy's is bundled into it alone).
   */
  policyNames?: PolicyNames;
}

/**
 * The admin API (key and team management). Its URL takes only SigV4-signed requests from principals
 * allowed `lambda:InvokeFunctionUrl`, so the API itself asks for no token.
 */
export class AdminFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly url: FunctionUrl;

  constructor(scope: Construct, id: string, props: AdminFunctionProps) {
    super(scope, id);
    this.fn = new GatewayFunction(this, 'Lambda', {
      entry: 'functions/admin.ts',
      description: 'AI gateway admin API (keys, teams); IAM-authenticated',
      memorySize: 256,
      timeout: Duration.seconds(30),
      environment: { GATEWAY_TABLE_NAME: props.table.tableName, ...policyNamesEnvironment(props.policyNames) },
    }).fn;
    this.url = this.fn.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });
  }
}

/**
 * `GATEWAY_POLICY_NAMES` whenever the stack knows the config's names, empty lists too: without the
 * variable the admin API takes any well-formed name, and a config with no sets is where a typo
 * (`--guardrails of`) would otherwise be stored and lock the key or team out (403 on every call).
 */
function policyNamesEnvironment(names: PolicyNames | undefined): Record<string, string> {
  return names ? { GATEWAY_POLICY_NAMES: JSON.stringify(names) } : {};
}
