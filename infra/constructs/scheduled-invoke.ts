import { Duration, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { Construct } from 'constructs';

export interface ScheduledInvokeProps {
  description: string;
  every: Duration;
  /** How often a failed invocation is retried, and for how long an invocation is worth making at all. */
  retryAttempts: number;
  maxEventAge: Duration;
}

/**
 * Invokes `fn` on a rate with EventBridge Scheduler (retries and a maximum event age, which
 * `events.Rule` targets lack as first-class settings), through a role that may invoke that
 * function alone.
 */
export function scheduledInvoke(scope: Construct, id: string, fn: IFunction, props: ScheduledInvokeProps): Schedule {
  const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('scheduler.amazonaws.com'), description: `Invokes ${fn.node.path} on its schedule` });
  // The target grants the function and its versions (`:*`); the gateway publishes no versions, so
  // the wildcard reaches nothing more. cdk-nag names the finding after the function's logical id.
  const logicalId = Stack.of(scope).getLogicalId(fn.node.defaultChild as CfnElement);
  Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`, reason: 'Scheduler may invoke this one function; `:*` covers its versions, and none are published.' });
  return new Schedule(scope, id, {
    description: props.description,
    schedule: ScheduleExpression.rate(props.every),
    target: new LambdaInvoke(fn, { role, retryAttempts: props.retryAttempts, maxEventAge: props.maxEventAge }),
  });
}
