import { answerPaths, opaquePath } from '../guardrails/answer-dialects';
import { GatewayError } from '../http/errors';
import { SSE_HEADERS } from '../http/sse';
import { streamEndedError } from '../http/stream-ended';
import type { GatewayResponse } from '../http/types';
import type { UpstreamResponse } from '../upstream/http';
import { answerGuardOf, screenedJson, screenedStream } from './answer-guard';
import { OPENAI_RESPONSES } from './bindings';
import { brokeOff } from './broke-off';
import { bookFailure } from './failure-outcome';
import { followsOn, SentEvents } from './follows-on';
import type { RequestContext } from './context';
import type { ProxyDeps } from './deps';
import type { PassthroughReader } from './passthrough';
import type { StoredObjectOperation } from './stored-responses';

/** Item types a client gives (tools' outputs, approvals, references): not the model's words. A message is the model's when its role is `assistant`. */
const GIVEN_TYPES = new Set(['mcp_approval_response', 'item_reference']);

/**
 * Whether a stored item is what a model wrote, which the rules on answers screen when it is read
 * back: an assistant's message, reasoning, a tool call the model made (any type not known to be
 * the client's, so a new kind of the model's is screened). A user's, system's or developer's
 * message and a tool's output are the client's own input, screened on the way in, if at all, by
 * the rules on requests.
 *
 * @example
 * writtenByModel({ type: 'message', role: 'assistant', content: [] }) // true
 * writtenByModel({ type: 'function_call_output', output: '…' }) // false
 */
export function writtenByModel(item: unknown): boolean {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return false;
  const { type, role } = item as { type?: unknown; role?: unknown };
  if (type === undefined || type === 'message') return role === 'assistant';
  return typeof type === 'string' && !type.endsWith('_output') && !GIVEN_TYPES.has(type);
}

const LISTED = /^data\[(\d+)\]\.(.+)$/;

/**
 * Which strings of a stored object's answer hold what a model wrote, for the rules on answers:
 * a stored response's `output` (retrieve, cancel: the Responses answer's own paths); the items a
 * model wrote in a list of items (a conversation's, a response's input items) or in one item;
 * undefined for answers that hold none (a conversation's metadata, a delete, items just added).
 * The answer is parsed only when a rule matched somewhere in it and a path is asked about.
 *
 * @example
 * storedAnswerPaths({ ref: { kind: 'conversation', id: 'conv_1' }, action: 'items' }, body)?.('data[1].content[0].text') // true when data[1] is an assistant's message
 */
export function storedAnswerPaths(operation: StoredObjectOperation, body: Uint8Array): ((path: string) => boolean) | undefined {
  const { ref, action } = operation;
  if (ref.kind === 'response' && (action === 'retrieve' || action === 'cancel')) return answerPaths('openai-responses');
  // Items just added (`add_items`) are answered as the client sent them, its body screened on the way in: none is the model's.
  if (action === 'items' || action === 'input_items') {
    let models: unknown[] | undefined;
    return (path) => {
      const listed = LISTED.exec(path);
      if (!listed || opaquePath(listed[2]!)) return false;
      models ??= listedItems(body);
      return writtenByModel(models[Number(listed[1])]);
    };
  }
  if (action === 'item') {
    let mine: boolean | undefined;
    return (path) => !opaquePath(path) && (mine ??= writtenByModel(parsed(body)));
  }
  return undefined;
}

/** A list answer's `data`, or none when it is not one. */
function listedItems(body: Uint8Array): unknown[] {
  const data = (parsed(body) as { data?: unknown } | undefined)?.data;
  return Array.isArray(data) ? data : [];
}

function parsed(body: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** The 400 for a stored answer a rule on answers blocks: nothing was spent by reading it. */
function storedAnswerWithheld(rule: string, path: string): GatewayError {
  return new GatewayError('invalid_request', `The stored answer was withheld by the gateway's guardrail "${rule}" (guardrail_blocked): it matched in ${path || 'the answer'}.`, { code: 'guardrail_blocked' });
}

/**
 * A stored object's JSON answer (a 2xx the account sent) screened by the caller's rules on answers
 * (`answerGuardOf`: the call was marked by `screeningFor`), as a model call's answer is: what a
 * model wrote, read back later from a stored response or a conversation's items, must not bring
 * back what its answer had redacted or withheld: the model's strings (`storedAnswerPaths`).
 * `redact` rewrites them, `block` is a 400 `guardrail_blocked`, `flag` books the hit. A stored
 * response streamed again is relayed instead (`relayedStoredStream`). A caller without rules on
 * answers pays one property read.
 */
export function screenedStoredAnswer(operation: StoredObjectOperation, body: Uint8Array, ctx: RequestContext, deps: ProxyDeps): Uint8Array {
  const guard = answerGuardOf(ctx, deps);
  if (!guard) return body;
  const keep = storedAnswerPaths(operation, body);
  return keep ? screenedJson(body, keep, guard, ctx, deps, storedAnswerWithheld) : body;
}

/**
 * A stored response streamed again (`GET /v1/responses/{id}?stream=true`), relayed to the client
 * event by event as the account sends them, as a model call's passed-through stream is: each
 * event bounded (`frame`), read on the side by the Responses relay (`reader.relay`: the account's
 * in-band errors in the gateway's words, whether the stream ended properly, the next sequence
 * number), screened by the caller's rules on answers as a model call's stream is
 * (`screenedStream`: `redact` rewrites, `flag` books, `block` ends the stream with the stored
 * answer's `guardrail_blocked` error, nothing spent). A stream the account breaks off, or
 * ends before `response.completed` (or `incomplete`, `failed`), ends in-band (`response.failed`
 * for the response it opened with, then `error`: `failedStreamEnd`) and is booked `interrupted`; a client that leaves, `aborted`. The books are closed
 * (`finish`) when it ends, however it ends. The usage record keeps no tokens: reading a stored
 * response spends none.
 */
export function relayedStoredStream(res: UpstreamResponse, reader: PassthroughReader, ctx: RequestContext, deps: ProxyDeps, signal: AbortSignal | undefined, finish: () => void): GatewayResponse {
  res.body.frame?.(reader.framing ?? 'sse');
  const relay = reader.relay(res.body, { start: ctx.startPerf, clientAskedUsage: true, ...(ctx.provider ? { providerId: ctx.provider } : {}) });
  async function* relayed(): AsyncGenerator<Uint8Array> {
    yield* relay.body;
    const found = relay.findings();
    if (found.failure) bookFailure(ctx, found.failure);
    else if (!found.complete) throw streamEndedError(ctx.provider);
    else ctx.outcome = 'ok';
  }
  async function* guarded(): AsyncGenerator<Uint8Array> {
    const guard = answerGuardOf(ctx, deps);
    const sent = new SentEvents();
    try {
      for await (const chunk of guard ? screenedStream(relayed(), guard, ctx, deps, false, storedAnswerWithheld).body : relayed()) {
        sent.see(chunk);
        yield chunk;
      }
    } catch (err) {
      const error = brokeOff(err, { ctx, logger: deps.logger, signal }, 'the stream', 'stored response stream interrupted');
      // Numbered after the last event the client got: the relay counted the events a screen held back.
      if (error) yield Buffer.from(OPENAI_RESPONSES.inBandError(error, followsOn(OPENAI_RESPONSES, sent, () => relay.findings())));
    } finally {
      // Reached without an outcome only when the door stopped reading: the client went away.
      ctx.outcome ??= 'aborted';
      finish();
    }
  }
  return { status: res.status, headers: { ...SSE_HEADERS }, body: guarded() };
}
