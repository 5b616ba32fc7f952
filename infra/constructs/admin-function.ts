import { Duration } from 'aws-cdk-lib';
import { FunctionUrlAuthType, type FunctionUrl } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { GatewayFunction } from './gateway-function';
import type { GatewayTable } from './gateway-table';

export interface AdminFunctionProps {
  table: GatewayTable;
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
      environment: { GATEWAY_TABLE_NAME: props.table.tableName },
    }).fn;
    this.url = this.fn.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });
  }
}
