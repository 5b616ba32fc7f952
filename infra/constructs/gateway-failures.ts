import { Duration } from 'aws-cdk-lib';
import { MathExpression, Metric, Unit, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import { FilterPattern, MetricFilter, type IFilterPattern, type ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/**
 * The proxy's own ERROR lines that mean a caller got a failure the gateway made itself:
 * - `request failed`: an internal error answered 500 (`lib/gateway.ts`), or the door's last line
 *   of defence (`functions/proxy.ts`);
 * - `streamed body failed`: an answer's body threw after its first byte, breaking the promise of
 *   an in-band error event;
 * - `invocation failed before the gateway answered`: middy gave up on an invocation (its own
 *   timeout, 5 ms before Lambda's) while the gateway had not answered, stuck past its own deadline.
 *
 * `response stream failed before the answer ended` is not among them on purpose: it is a WARN the
 * door writes when the response stream breaks under an answer (the client or the runtime's
 * connection went away), which is no failure of the gateway's.
 */
export const INTERNAL_FAILURE_LINES = ['request failed', 'streamed body failed', 'invocation failed before the gateway answered'] as const;

/**
 * What the Lambda platform writes to the function's log group, as plain text, when the runtime
 * itself fails an invocation: a timeout (`Task timed out after 900.00 seconds`), a crash or an
 * out-of-memory kill (`RequestId: … Error: Runtime exited with error: signal: killed`, then
 * `Runtime.ExitError`), a process that ended mid-invocation. Nothing of the gateway's writes them,
 * and a response stream that breaks does not either: the handler's rejection is only an
 * `Invoke Error` line, which this list leaves out for that reason. They are the plain-text log
 * format's (GatewayFunction keeps it; the JSON format reports these as platform records instead).
 *
 * A phrase is counted only on a line that is not the gateway's: its JSON lines carry text a client
 * or an upstream chose (a model name, an upstream's error message), and a bare `?"phrase"` would
 * let anyone with a key page the operator by asking for the model "Task timed out after".
 */
export const RUNTIME_FAILURE_PHRASES = ['Task timed out after', 'Runtime exited with error', 'Runtime exited without providing a reason', 'Process exited before completing request'] as const;

/**
 * A field every JSON line of the gateway's carries (Powertools writes it, flat lines too) and no
 * platform line does: excluding it keeps RuntimeFailures to Lambda's own lines.
 */
const GATEWAY_LINE_MARK = 'sampling_rate';

/**
 * One pattern per phrase: a phrase and an exclusion side by side is documented (`ERROR -Exiting`),
 * `?` alternatives mixed with an exclusion are not.
 */
const runtimeFailurePattern = (phrase: string): IFilterPattern => FilterPattern.literal(`"${phrase}" -"${GATEWAY_LINE_MARK}"`);

/**
 * 502, 503 and 504: mostly no upstream could answer (unreachable, overloaded, out of time), after
 * failover; also the request's own deadline (504) and a spend limit the table could not check
 * (503 `spend_limit_unavailable`), which the status alone does not tell apart.
 */
const UPSTREAM_UNAVAILABLE = [FilterPattern.numberValue('$.status', '>=', 502), FilterPattern.numberValue('$.status', '<=', 504)];

/** The gateway's failure metrics, by metric name: each counts 1 per log event one of its patterns matches (no event matches two). */
export const GATEWAY_FAILURE_METRICS = {
  InternalFailures: {
    description: 'Requests the gateway itself failed: internal errors answered 500, answers whose body broke after its first byte, invocations it did not answer in time',
    // At ERROR only: the same message at WARN (a client's failure, were one ever logged so) must not page.
    patterns: [FilterPattern.all(FilterPattern.stringValue('$.level', '=', 'ERROR'), FilterPattern.any(...INTERNAL_FAILURE_LINES.map((message) => FilterPattern.stringValue('$.message', '=', message))))],
  },
  RuntimeFailures: {
    description: 'Proxy invocations the Lambda runtime failed: timeouts, crashes, out-of-memory kills (from the platform\'s own log lines)',
    // Text terms, not JSON: these lines are Lambda's, written in its plain-text log format.
    patterns: RUNTIME_FAILURE_PHRASES.map(runtimeFailurePattern),
  },
  UpstreamUnavailable: {
    description: 'Calls answered 502, 503 or 504: mostly no upstream could answer them, failover included; also deadlines and spend limits the table could not check (graphed; the rate is alarmed by ServerErrorRate and UpstreamErrorShare)',
    patterns: [FilterPattern.all(FilterPattern.stringValue('$.message', '=', 'request'), ...UPSTREAM_UNAVAILABLE)],
  },
} as const satisfies Record<string, { description: string; patterns: readonly IFilterPattern[] }>;

export type GatewayFailureMetricName = keyof typeof GATEWAY_FAILURE_METRICS;

export interface GatewayFailureMetricsProps {
  /** The proxy's log group. */
  logGroup: ILogGroup;
  /** The stack's metrics namespace (the access-log metrics'). */
  namespace: string;
}

/**
 * Metric filters on the proxy's log group that count the gateway's own failures
 * (`GATEWAY_FAILURE_METRICS`), the ProxyErrors alarm's inputs.
 *
 * Why not the function's `Errors` less the broken streams: a streamed invocation whose response
 * stream breaks (a client gone, the runtime's connection lost) is counted in `Errors` whatever the
 * function does, sometimes with no line of ours at all, and `Errors` is stamped at the invocation's
 * start while a log line is stamped when it is written: a stream that crosses a five-minute
 * boundary would add 1 to one period and take 1 off the next, and page anyway. Lines and platform
 * lines are all stamped as they happen, so these counts need no subtraction.
 *
 * @example
 * const failures = new GatewayFailureMetrics(this, 'Failures', { logGroup: proxy.logGroup, namespace: 'Aigw/Prod' });
 * failures.metric('InternalFailures');
 */
export class GatewayFailureMetrics extends Construct {
  readonly namespace: string;

  constructor(scope: Construct, id: string, props: GatewayFailureMetricsProps) {
    super(scope, id);
    this.namespace = props.namespace;
    for (const [name, spec] of Object.entries(GATEWAY_FAILURE_METRICS)) {
      spec.patterns.forEach((filterPattern, i) => new MetricFilter(this, spec.patterns.length === 1 ? name : `${name}${i + 1}`, {
        logGroup: props.logGroup,
        filterPattern,
        metricNamespace: this.namespace,
        metricName: name,
        metricValue: '1',
        unit: Unit.COUNT,
      }));
    }
  }

  /** Sum over 5 minutes unless told. */
  metric(name: GatewayFailureMetricName, options: MetricOptions = {}): Metric {
    return new Metric({ namespace: this.namespace, metricName: name, statistic: 'Sum', period: Duration.minutes(5), label: name, ...options });
  }

  /**
   * The proxy's own failures in each period: internal failures and runtime failures, each FILLed
   * with 0 since a period without any publishes nothing. Upstreams that cannot answer are left to
   * the rate alarms: a provider's blip is not the gateway failing, and one 503 must not page.
   */
  ownFailures(period: Duration): MathExpression {
    return new MathExpression({
      expression: 'FILL(internal, 0) + FILL(runtime, 0)',
      usingMetrics: { internal: this.metric('InternalFailures', { period }), runtime: this.metric('RuntimeFailures', { period }) },
      period,
      label: 'Gateway failures (internal and runtime)',
    });
  }
}
