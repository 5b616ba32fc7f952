import { answerPaths, opaquePath } from '../guardrails/answer-dialects';
import { GatewayError } from '../http/errors';
import { oneChunk } from '../http/types';
import { answerGuardOf, screenedJson, screenedStream } from './answer-guard';
import type { RequestContext } from './context';
import type { ProxyDeps } from './deps';
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
 * A stored object's answer (a 2xx the account sent) screened by the caller's rules on answers
 * (`answerGuardOf`: the call was marked by `screeningFor`), as a model call's answer is: what a
 * model wrote, read back later from a stored response or a conversation's items, must not bring
 * back what its answer had redacted or withheld. JSON: the model's strings (`storedAnswerPaths`);
 * a stored response streamed again (`stream=true`, whole by then): its events, as a streamed
 * answer's. `redact` rewrites them, `block` is a 400 `guardrail_blocked`, `flag` books the hit.
 * A caller without rules on answers pays one property read.
 */
export async function screenedStoredAnswer(operation: StoredObjectOperation, contentType: string, body: Uint8Array, ctx: RequestContext, deps: ProxyDeps): Promise<Uint8Array> {
  const guard = answerGuardOf(ctx, deps);
  if (!guard) return body;
  if (contentType.startsWith('text/event-stream')) {
    const out: Uint8Array[] = [];
    for await (const chunk of screenedStream(oneChunk(body), guard, ctx, deps, false, storedAnswerWithheld).body) out.push(chunk);
    return Buffer.concat(out);
  }
  const keep = storedAnswerPaths(operation, body);
  return keep ? screenedJson(body, keep, guard, ctx, deps, storedAnswerWithheld) : body;
}
