import { FilterPattern, type IFilterPattern, type JsonPattern } from 'aws-cdk-lib/aws-logs';
import { OWN_FAULT_LINE } from '../../lib/pipeline/broke-off';

/*
 * The proxy's log lines that mean the gateway failed, by what they mean, for the metric filters of
 * `LogMetrics` (`log-metrics.ts`): the vocabulary is here, the one mechanism that reads it there.
 */

/**
 * The spend limiter's ERROR line when the table could not be reached for a spend check
 * (`lib/access/spend-limiter.ts`): the call is refused with a 503 `spend_limit_unavailable`.
 */
export const SPEND_UNCHECKED_LINE = 'spend limit not checked: the store failed; request refused';

/**
 * The proxy's own ERROR lines that mean a caller got a failure the gateway made itself:
 * - `request failed`: an internal error answered 500 (`lib/gateway.ts`), or the door's last line
 *   of defence (`functions/proxy.ts`);
 * - `streamed body failed`: an answer's body threw after its first byte, breaking the promise of
 *   an in-band error event;
 * - `invocation failed before the gateway answered`: middy gave up on an invocation (its own
 *   timeout, 5 ms before Lambda's) while the gateway had not answered, stuck past its own deadline;
 * - `gateway fault after the first byte` (`OWN_FAULT_LINE`): a fault of the gateway's own (a
 *   translator's TypeError…) cut an answer off after its first byte; the client got the in-band
 *   error, but the upstream did not break off: the gateway did;
 * - the spend limiter's `spend limit not checked…` (`SPEND_UNCHECKED_LINE`): a call refused 503
 *   because the gateway's own table failed it. It is counted here, not as an upstream failure nor
 *   as records lost: the client was refused by the gateway, for want of a store the gateway
 *   depends on (nothing was spent nor lost: its access line and usage record say 503), and spend
 *   limits fail closed on purpose, so each such refusal is a paying call turned away by us: one is
 *   worth a page, as an internal 500 is. `TableThrottles` sees only throttling; a table gone,
 *   an IAM policy denied, or a network fault would page nowhere else.
 *
 * `response stream failed before the answer ended` is not among them on purpose: it is a WARN the
 * door writes when the response stream breaks under an answer (the client or the runtime's
 * connection went away), which is no failure of the gateway's. Nor is the WARN `stream interrupted`
 * (an upstream that broke off).
 */
export const INTERNAL_FAILURE_LINES = ['request failed', 'streamed body failed', 'invocation failed before the gateway answered', OWN_FAULT_LINE, SPEND_UNCHECKED_LINE] as const;

/**
 * The ERROR lines that say records were lost, each for a different writer: usage records
 * (`usage records could not be written`, from the usage sink's `onError`, with `lost`: how many,
 * and their `requestIds`), an audit record (`audit record could not be written`, one each), and
 * a drain of the writes after an answer that failed outright (`writes after the answer failed`,
 * `functions/proxy.ts`: how many it took down is not known, so it counts 1).
 *
 * A usage sink's line with `lost: 0` (only stored Responses homes were lost: `lostHomes`) is not
 * counted: those route a later `previous_response_id`, they are not billing records.
 */
export { USAGE_RECORDS_LOST_LINE } from '../../lib/observe/lost-records';
export const RECORD_LOST_LINES = ['audit record could not be written', 'writes after the answer failed'] as const;

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
 * One pattern per phrase, the phrase and the excluded mark both quoted. What CloudWatch's "Filter
 * pattern syntax for metric filters, subscription filters, filter log events, and Live Tail"
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html) says of
 * unstructured events: terms side by side must all match, a `-` before a term excludes the events
 * that hold it (`ERROR -ARGUMENTS`), and "enclose exact phrases and terms that include
 * non-alphanumeric characters in double quotation marks" (so `sampling_rate`, with its `_`, is
 * quoted, excluded or not). The page shows `-` only before a bare word; a quoted term after `-` is
 * the same term in the form the quoting rule asks for, and deployed patterns use it
 * (`ERROR -"Session mismatch"`). `?` alternatives mixed with an exclusion are not documented, hence
 * a filter per phrase.
 */
export const runtimeFailurePattern = (phrase: string): IFilterPattern => FilterPattern.literal(`"${phrase}" -"${GATEWAY_LINE_MARK}"`);

/** A JSON line at ERROR whose message is one of `messages` (the same message at WARN never counts). */
export function errorLine(messages: readonly string[], ...where: JsonPattern[]): JsonPattern {
  const message = messages.map((m) => FilterPattern.stringValue('$.message', '=', m));
  return FilterPattern.all(FilterPattern.stringValue('$.level', '=', 'ERROR'), message.length === 1 ? message[0]! : FilterPattern.any(...message), ...where);
}
