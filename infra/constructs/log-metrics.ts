import { Duration } from 'aws-cdk-lib';
import { MathExpression, Metric, Unit, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import { FilterPattern, MetricFilter, type IFilterPattern, type ILogGroup, type JsonPattern } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { MEDIA_INTERRUPTED } from '../../lib/pipeline/raw-media';
import { errorLine, INTERNAL_FAILURE_LINES, RECORD_LOST_LINES, RUNTIME_FAILURE_PHRASES, runtimeFailurePattern, USAGE_RECORDS_LOST_LINE } from './gateway-failures';

/**
 * The proxy's access log line (`lib/pipeline/finish.ts`): Powertools puts the message and the
 * request's fields at the top level of one JSON object.
 */
const ACCESS_MESSAGE = 'request';

/** One metric filter: the lines it takes, and what each publishes. */
export interface LogFilterSpec {
  readonly pattern: IFilterPattern;
  /** The line's field to publish (the pattern must test it); each matching line counts 1 when absent. */
  readonly value?: `$.${string}`;
}

/** One metric read out of the proxy's log lines by one or more metric filters (no line is taken by two of a metric's filters). */
export interface LogMetricSpec {
  /** What it counts or measures, for readers of the dashboard and of this table. */
  readonly description: string;
  readonly filters: readonly LogFilterSpec[];
  readonly unit: Unit;
  /** Dimension name to the line's field. Each distinct value is a custom metric billed monthly. */
  readonly dimensions?: Readonly<Record<string, `$.${string}`>>;
}

/**
 * The filter of a JSON line with message `message` (the access line unless told) and the
 * conditions `where`: every JSON metric starts from its line's message, since other lines carry
 * some of the same fields (`upstream answered with an error` has a `status`).
 */
export function lineFilter(where: readonly JsonPattern[], value?: `$.${string}`, message: string = ACCESS_MESSAGE): LogFilterSpec {
  return { pattern: FilterPattern.all(FilterPattern.stringValue('$.message', '=', message), ...where), ...(value ? { value } : {}) };
}

/** An access-line metric: one filter. */
const access = (description: string, where: readonly JsonPattern[], unit: Unit, value?: `$.${string}`) => ({ description, filters: [lineFilter(where, value)], unit });

/** Our own refusals are made before any upstream is tried; an upstream's 429 passed on has attempts >= 1. */
const REFUSED_BEFORE_UPSTREAM = FilterPattern.numberValue('$.attempts', '=', 0);

/**
 * Every metric the gateway publishes, by metric name, each read out of the proxy's log lines by
 * its filters: the access line for what callers got, the guardrails' and raw audio's own lines,
 * the gateway's ERROR lines for its own failures and lost records (`gateway-failures.ts`), and
 * Lambda's plain-text lines for the runtime's failures. They cost nothing on the request path: the
 * Lambda writes the lines it writes anyway, and CloudWatch Logs derives the metrics from them.
 * The access-line metrics need the INFO level (`POWERTOOLS_LOG_LEVEL`), where the access line is written.
 *
 * Dimensions are kept off but for one metric: each distinct dimension value is a custom metric
 * billed every month, and a value taken from a request (a key id, a client's model name) would
 * let callers mint metrics (and get the filter disabled at 1,000 values an hour). Per-key and
 * per-status figures come from Logs Insights and the usage records instead.
 */
export const LOG_METRICS = {
  Requests: access('Requests answered, of any kind (model calls, model lists, health checks, refusals)', [], Unit.COUNT),
  ServerErrors: access('Requests answered with a 5xx', [FilterPattern.numberValue('$.status', '>=', 500)], Unit.COUNT),
  ClientErrors: access('Requests answered with a 4xx (the caller\'s mistakes and our refusals, 429s included)', [FilterPattern.numberValue('$.status', '>=', 400), FilterPattern.numberValue('$.status', '<', 500)], Unit.COUNT),
  RateLimited: access(
    'Calls refused with a 429 by a key\'s own requests or tokens per minute limit',
    [
      FilterPattern.numberValue('$.status', '=', 429),
      REFUSED_BEFORE_UPSTREAM,
      FilterPattern.any(FilterPattern.stringValue('$.errorCode', '=', 'rate_limit_exceeded'), FilterPattern.stringValue('$.errorCode', '=', 'tokens_rate_limit_exceeded')),
    ],
    Unit.COUNT,
  ),
  OverBudget: access('Calls refused because they did not fit in a key\'s spend limit (429 insufficient_quota)', [FilterPattern.stringValue('$.errorCode', '=', 'insufficient_quota'), REFUSED_BEFORE_UPSTREAM], Unit.COUNT),
  UpstreamErrors: access('Calls whose last upstream answered with an error (after failover, or an upstream 4xx passed on)', [FilterPattern.stringValue('$.outcome', '=', 'upstream_error')], Unit.COUNT),
  UpstreamUnavailable: access(
    'Calls answered 502, 503 or 504: mostly no upstream could answer them, failover included; also deadlines and spend limits the table could not check (graphed; the rate is alarmed by ServerErrorRate and UpstreamErrorShare)',
    [FilterPattern.numberValue('$.status', '>=', 502), FilterPattern.numberValue('$.status', '<=', 504)],
    Unit.COUNT,
  ),
  Latency: access('Time from the request\'s arrival to the end of its response, in ms (a stream\'s whole length)', [FilterPattern.numberValue('$.latencyMs', '>=', 0)], Unit.MILLISECONDS, '$.latencyMs'),
  TimeToFirstToken: access(
    'Time from a streamed call\'s arrival to its first token, in ms',
    // Whole answers have a ttftMs too (the time to the whole answer): it is not a first token.
    [FilterPattern.booleanValue('$.stream', true), FilterPattern.numberValue('$.ttftMs', '>=', 0)],
    Unit.MILLISECONDS,
    '$.ttftMs',
  ),
  // Calls without tokens (refusals, model lists) publish nothing rather than zeros: sums are the same.
  InputTokens: access('Prompt tokens, cache reads and writes included', [FilterPattern.numberValue('$.inputTokens', '>', 0)], Unit.COUNT, '$.inputTokens'),
  OutputTokens: access('Output tokens, reasoning included', [FilterPattern.numberValue('$.outputTokens', '>', 0)], Unit.COUNT, '$.outputTokens'),
  // CloudWatch has no currency unit; the dashboard divides by 1e6 and says USD.
  Cost: access('What calls cost at the config\'s prices, in micro-dollars (1e-6 USD)', [FilterPattern.numberValue('$.costMicros', '>', 0)], Unit.NONE, '$.costMicros'),
  CostByModel: {
    ...access('Cost in micro-dollars by the model name the client asked for', [FilterPattern.numberValue('$.costMicros', '>', 0)], Unit.NONE, '$.costMicros'),
    // The one dimension, worth its price: "which model is the money going to" is the first question
    // when the cost graph jumps, and it must be answerable for longer than the logs are kept. It is
    // bounded by the config: a line has a cost only once a priced target was tried, which needs
    // a model name or alias from the config (unknown names are refused before any attempt).
    dimensions: { Model: '$.model' },
  },
  CacheHits: access('Model calls answered from the response cache (no upstream, no cost)', [FilterPattern.stringValue('$.cache', '=', 'hit')], Unit.COUNT),
  CacheSaved: access('What the response cache\'s hits would have cost, in micro-dollars (the stored answers\' cost when they were made)', [FilterPattern.numberValue('$.savedMicros', '>', 0)], Unit.NONE, '$.savedMicros'),
  GuardrailHits: {
    description: 'Matches of a guardrail rule in request bodies (blocked, redacted or flagged), by rule id',
    // The second dimension, bounded as the first: rule ids come from the config (`guardrails.rules`),
    // never from a request. Read from the `guardrail` line, one per rule that matched a body, since
    // a metric filter cannot count inside the list an access line would hold.
    filters: [lineFilter([FilterPattern.numberValue('$.count', '>', 0)], '$.count', 'guardrail')],
    unit: Unit.COUNT,
    dimensions: { Rule: '$.rule' },
  },
  AbortedTransfers: {
    description: 'Audio answers cut off upstream after their first byte, whose transfer the gateway aborted so the client sees it fail (on Lambda by failing the invocation: counted in the function\'s Errors too; one a fault of the gateway\'s cut off counts in InternalFailures instead)',
    filters: [lineFilter([], undefined, MEDIA_INTERRUPTED)],
    unit: Unit.COUNT,
  },
  InternalFailures: {
    description: 'Requests the gateway itself failed: internal errors answered 500, answers broken after their first byte by a body that threw or a fault of the gateway\'s, invocations it did not answer in time, calls refused because the table could not check a spend limit',
    filters: [{ pattern: errorLine(INTERNAL_FAILURE_LINES) }],
    unit: Unit.COUNT,
  },
  RuntimeFailures: {
    description: 'Proxy invocations the Lambda runtime failed: timeouts, crashes, out-of-memory kills (from the platform\'s own log lines)',
    // Text terms, not JSON: these lines are Lambda's, written in its plain-text log format; a JSON
    // pattern never matches a line that is not JSON, so each phrase has a filter of its own.
    filters: RUNTIME_FAILURE_PHRASES.map((phrase) => ({ pattern: runtimeFailurePattern(phrase) })),
    unit: Unit.COUNT,
  },
  RecordsLost: {
    description: 'Usage and audit records the gateway could not write, after its retries: the usage sink\'s count of lost records (`lost`), 1 per audit record lost, 1 per drain of the writes after an answer that failed outright',
    filters: [
      // Metric filters publish a number field of the line as it is (`$.lost`); the pattern tests it, as a value field must be.
      { pattern: errorLine([USAGE_RECORDS_LOST_LINE], FilterPattern.numberValue('$.lost', '>', 0)), value: '$.lost' },
      { pattern: errorLine(RECORD_LOST_LINES) },
    ],
    unit: Unit.COUNT,
  },
} as const satisfies Record<string, LogMetricSpec>;

export type LogMetricName = keyof typeof LOG_METRICS;

/** The metric names, in the table's order. */
export const LOG_METRIC_NAMES = Object.keys(LOG_METRICS) as LogMetricName[];

/** The metrics with a dimension, graphed by a search rather than as one metric. */
export type DimensionedMetricName = 'CostByModel' | 'GuardrailHits';

export interface LogMetricsProps {
  /** The proxy's log group. */
  logGroup: ILogGroup;
  /** CloudWatch namespace, one per stack so that two gateways in an account do not mix. */
  namespace: string;
}

/**
 * The metric filters on the proxy's log group that turn its lines into the gateway's metrics
 * (`LOG_METRICS`: access lines, the gateway's failure lines, Lambda's own), and the metrics to
 * graph and alarm on. A metric with one filter keeps its name as the filter's id; one with several
 * numbers them (`RuntimeFailures1`…).
 *
 * Why the gateway's own failures are read from lines, not from the function's `Errors` less the
 * broken streams: a streamed invocation whose response stream breaks (a client gone, the runtime's
 * connection lost) is counted in `Errors` whatever the function does, sometimes with no line of
 * ours at all, and `Errors` is stamped at the invocation's start while a log line is stamped when
 * it is written: a stream that crosses a five-minute boundary would add 1 to one period and take 1
 * off the next, and page anyway. Lines and platform lines are all stamped as they happen, so these
 * counts need no subtraction.
 *
 * @example
 * const metrics = new LogMetrics(this, 'Metrics', { logGroup: proxy.logGroup, namespace: 'Aigw/Prod' });
 * metrics.metric('Latency', { statistic: 'p99' });
 */
export class LogMetrics extends Construct {
  readonly namespace: string;

  constructor(scope: Construct, id: string, props: LogMetricsProps) {
    super(scope, id);
    this.namespace = props.namespace;
    for (const name of LOG_METRIC_NAMES) {
      const spec: LogMetricSpec = LOG_METRICS[name];
      spec.filters.forEach(
        (filter, i) =>
          new MetricFilter(this, spec.filters.length === 1 ? name : `${name}${i + 1}`, {
            logGroup: props.logGroup,
            filterPattern: filter.pattern,
            metricNamespace: this.namespace,
            metricName: name,
            metricValue: filter.value ?? '1',
            unit: spec.unit,
            ...(spec.dimensions ? { dimensions: spec.dimensions } : {}),
          }),
      );
    }
  }

  /** A metric without dimensions (all but those graphed by a search). Sum over 5 minutes unless told. */
  metric(name: Exclude<LogMetricName, DimensionedMetricName>, options: MetricOptions = {}): Metric {
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
