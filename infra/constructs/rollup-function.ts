import { Duration } from 'aws-cdk-lib';
import type { Schedule } from 'aws-cdk-lib/aws-scheduler';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { GatewayFunction } from './gateway-function';
import { scheduledInvoke } from './scheduled-invoke';
import type { GatewayTable } from './gateway-table';

export interface RollupFunctionProps {
  table: GatewayTable;
}

/**
 * Sums every key's usage records of yesterday and today into daily roll-ups (functions/rollup.ts),
 * every hour: what `aigw usage` and the admin API's usage report read. Each run sums whole days
 * again, so a missed or failed run costs nothing the next one does not make up.
 */
export class RollupFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: RollupFunctionProps) {
    super(scope, id);
    this.fn = new GatewayFunction(this, 'Lambda', {
      entry: 'functions/rollup.ts',
      description: 'AI gateway usage roll-up (hourly)',
      memorySize: 512,
      // A day of a busy gateway is hundreds of thousands of records to read.
      timeout: Duration.minutes(10),
      environment: { GATEWAY_TABLE_NAME: props.table.tableName },
    }).fn;
    this.schedule = scheduledInvoke(this, 'Hourly', this.fn, {
      description: 'Sums the AI gateway usage of yesterday and today into roll-ups',
      every: Duration.hours(1),
      retryAttempts: 2,
      maxEventAge: Duration.hours(1),
    });
  }
}
