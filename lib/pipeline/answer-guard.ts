import { answerDialect, answerPaths, clearLogprobsOfRedacted, unsignRedacted, type AnswerDialect } from '../guardrails/answer-dialects';
import { AnswerBlocked, AnswerStreamScreen } from '../guardrails/answer-stream';
import type { GuardrailHit, Guardrails } from '../guardrails/scan';
import type { ArrayState } from '../http/json-array';
import { GatewayError } from '../http/errors';
import { jsonText } from '../http/json-text';
import type { GatewayResponse } from '../http/types';
import type { RequestContext } from './context';
import type { ProxyDeps } from './deps';

/** The guardrails on answers as one call uses them. */
export interface AnswerGuard {
  rules: Guardrails;
  dialect: AnswerDialect;
  window: number;
}

/**
 * The guardrails on answers for this call, or undefined: no rules look at answers, the caller is
 * exempt (`guardedBody` marks the others), or its surface's answers hold no text the model wrote
 * (embeddings, rerank, media). A call without them pays one property read.
 *
 * @example
 * const guard = answerGuardOf(ctx, deps); // then screenWholeAnswer / screenedStream
 */
export function answerGuardOf(ctx: RequestContext, deps: Pick<ProxyDeps, 'answerGuardrails'>): AnswerGuard | undefined {
  // A caller's named rule set brings its own rules on answers (`guardedBody` puts them on the context).
  const answers = ctx.answerRules ?? deps.answerGuardrails;
  if (!ctx.screensAnswer || !answers) return undefined;
  const dialect = answerDialect(ctx.surface);
  return dialect && { rules: answers.rules, dialect, window: answers.window };
}

/**
 * A whole (not streamed) answer screened before it goes: the model's text and tool calls'
 * arguments (`answerPaths`), never signatures or encrypted reasoning. `flag`: booked. `redact`:
 * the matches replaced in the answer's JSON strings (escapes kept valid). `block`: the answer is
 * withheld and the client gets a 400 `guardrail_blocked` in its own dialect instead (not a 5xx,
 * which SDKs retry: the same prompt would spend the tokens again for the same answer); the
 * tokens were spent, so the call's usage record keeps them and their cost.
 *
 * @example
 * return screenWholeAnswer(await wholeAnswer(...), guard, ctx, deps);
 */
export function screenWholeAnswer(res: GatewayResponse, guard: AnswerGuard, ctx: RequestContext, deps: Pick<ProxyDeps, 'logger'>): GatewayResponse {
  if (res.status !== 200 || !String(res.headers['content-type'] ?? '').startsWith('application/json')) return res;
  const body = typeof res.body === 'string' ? Buffer.from(res.body) : res.body;
  if (!(body instanceof Uint8Array)) return res;
  const screened = screenedJson(body, answerPaths(guard.dialect), guard, ctx, deps, withheld);
  return screened === body ? res : { ...res, body: screened };
}

/**
 * A JSON body screened by the rules on answers at the paths `keep` takes, as a whole answer is
 * (`screenWholeAnswer`): the hits booked, the matches redacted (the same bytes when none was), or
 * the error `blocked` makes thrown.
 *
 * @example
 * screenedJson(body, storedAnswerPaths(operation, body), guard, ctx, deps, storedAnswerWithheld)
 */
export function screenedJson(body: Uint8Array, keep: (path: string) => boolean, guard: AnswerGuard, ctx: RequestContext, deps: Pick<ProxyDeps, 'logger'>, blocked: (rule: string, path: string) => GatewayError): Uint8Array {
  const screened = guard.rules.screenAnswer(body, keep);
  if (!screened) return body;
  book(screened.hits.map((hit) => ({ ...hit, side: 'response' as const })), ctx, deps);
  if (screened.blocked) throw blocked(screened.blocked.rule, screened.blocked.path);
  if (screened.body === body) return body;
  return withoutStaleExtras(body, screened.body);
}

/**
 * The redacted answer, less the token logprobs that would spell what was redacted
 * (`clearLogprobsOfRedacted`), and with the signatures over redacted thinking replaced by the
 * gateway's mark (`unsignRedacted`); as it is when it has neither.
 */
function withoutStaleExtras(before: Uint8Array, after: Uint8Array): Uint8Array {
  const text = Buffer.from(after.buffer, after.byteOffset, after.byteLength);
  const logprobs = text.includes('logprobs');
  const signed = text.includes('"signature"') || text.includes('"encrypted_content"') || text.includes('"thoughtSignature"');
  if (!logprobs && !signed) return after;
  try {
    const json = JSON.parse(jsonText(after)) as unknown;
    const original = JSON.parse(jsonText(before)) as unknown;
    if (logprobs) clearLogprobsOfRedacted(original, json);
    if (signed) unsignRedacted(original, json);
    return Buffer.from(JSON.stringify(json));
  } catch {
    // Not JSON after all (the scan reads bytes): the redaction stands as it is.
    return after;
  }
}

/**
 * A streamed answer screened on its way (`AnswerStreamScreen`): as it came when the rules only
 * flag; with `redact` or `block` rules, each running text held back by the window until it is
 * settled. A block ends the stream with `guardrail_blocked` (the caller's in-band error event);
 * a stream cut upstream first sends what was held, settled as it stands. The hits are booked
 * when the stream ends, before its books are closed (when the client left, with flag rules only,
 * after the text it was sent is settled: its last match counts).
 */
export function screenedStream(
  source: AsyncIterable<Uint8Array>,
  guard: AnswerGuard,
  ctx: RequestContext,
  deps: Pick<ProxyDeps, 'logger'>,
  jsonArray: boolean,
  // A stored answer read back spent nothing: its refusal must not say its tokens are counted (`screenedStoredAnswer`).
  blocked: (rule: string, path: string) => GatewayError = withheld,
): { body: AsyncGenerator<Uint8Array>; array: ArrayState | undefined } {
  const rules = guard.rules;
  const screen = new AnswerStreamScreen(rules, { dialect: guard.dialect, hold: !rules.flagsOnly, window: guard.window, jsonArray });
  async function* body(): AsyncGenerator<Uint8Array> {
    let ended = false;
    try {
      try {
        for await (const chunk of source) {
          const out = screen.push(chunk);
          if (out.length) yield out;
        }
      } catch (err) {
        if (err instanceof AnswerBlocked) throw err;
        // Cut upstream: what was held goes, as settled as it now is; then the error ends the stream.
        ended = true;
        const rest = screen.end();
        if (rest.length) yield rest;
        throw err;
      }
      ended = true;
      const rest = screen.end();
      if (rest.length) yield rest;
    } catch (err) {
      if (err instanceof AnswerBlocked) throw blocked(err.rule, err.path);
      throw err;
    } finally {
      // The client went away: with flag rules only, every byte read went out as it came, and a match at its end (no byte after it yet, or a pattern's window) is the client's all the same: settled, counted, and its call audited.
      if (!ended && rules.flagsOnly) screen.end();
      const hits = screen.hits;
      if (hits.length) book(hits, ctx, deps);
    }
  }
  // The array the client has is the screen's when it holds elements back.
  return { body: body(), array: jsonArray && !rules.flagsOnly ? screen.array : undefined };
}

function withheld(rule: string, path: string): GatewayError {
  return new GatewayError(
    'invalid_request',
    `The model's answer was withheld by the gateway's guardrail "${rule}" (guardrail_blocked): it matched in ${path || 'the answer'}. The answer's tokens were spent and are counted.`,
    { code: 'guardrail_blocked' },
  );
}

/**
 * The answer's hits onto the call's books (after the request's, if any) and the log, one line per
 * rule, as the request side books its own. A `flag` hit keeps the call's audit capture (begun by
 * `guardedBody` in `flagged` mode): its record is written with the answer as the client got it.
 */
export function book(hits: GuardrailHit[], ctx: RequestContext, deps: Pick<ProxyDeps, 'logger'>): void {
  ctx.guardrails = [...(ctx.guardrails ?? []), ...hits];
  if (hits.some((hit) => hit.action === 'flag')) ctx.audit?.keep();
  for (const hit of hits) deps.logger.info('guardrail', { requestId: ctx.requestId, keyId: ctx.keyId, surface: ctx.surface, rule: hit.rule, action: hit.action, count: hit.count, side: 'response' });
}
