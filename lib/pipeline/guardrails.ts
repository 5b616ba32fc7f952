import { guardrailsOf, type Caller, type Chosen } from '../access/caller';
import type { Guardrails } from '../guardrails/scan';
import type { ScreeningRules } from '../guardrails/sets';
import { endUserOf } from '../access/end-user';
import { GatewayError } from '../http/errors';
import type { GatewayRequest } from '../http/types';
import type { RequestContext } from './context';
import type { ProxyDeps } from './deps';

/**
 * The guardrails' step of a model call (`lib/guardrails/`): the body as it will go on, from the
 * client's bytes, read once after they are read and before anything else sees them (parse, the
 * limits, the targets; the response cache keys on this body too). So a redacted
 * body is what both the passthrough (its bytes) and the translation (the canonical form parsed
 * from it) send. A body without a match comes back as the very same bytes.
 *
 * Every hit is booked on the context (the usage record's `guardrails`) and logged, one line per
 * rule (`guardrail`: rule, action, count; never the text), which the `GuardrailHits` metric reads.
 * A `flag` hit puts the call in the audit log when it runs in `flagged` mode (one on the answer
 * too: such a call's capture is begun here, kept only if its answer flags). A `block` hit is a
 * 400 `guardrail_blocked` naming the rule and the param path of the match, never the match.
 * A key or team with `guardrails: "off"` (trusted automation) is not screened; one that names a
 * rule set (`guardrails.sets`) is screened by that set instead of the gateway's own rules, the
 * key's choice before its team's (`guardrailsOf`). With rules on answers, a screened caller's
 * call is marked here (`ctx.screensAnswer`, and the set's rules `ctx.answerRules`) for `answer-guard.ts`.
 *
 * @example
 * raw = guardedBody(raw, caller, req, ctx, deps); // before parsing it
 */
export function guardedBody(raw: Uint8Array, caller: Caller, req: GatewayRequest, ctx: RequestContext, deps: ProxyDeps): Uint8Array {
  const request = screeningFor(caller, ctx, deps);
  if (!request) return raw;
  const screened = request.screen(raw);
  if (!screened) return raw;
  ctx.guardrails = screened.hits;
  const chosen = guardrailsOf(caller);
  // A hit of a named set says which set: the same rule id may block in one set and flag in another.
  for (const hit of screened.hits) deps.logger.info('guardrail', { requestId: ctx.requestId, keyId: ctx.keyId, surface: ctx.surface, rule: hit.rule, action: hit.action, count: hit.count, ...(chosen ? { set: chosen.name } : {}) });
  if (screened.flagged && deps.audit?.auditsFlaggedCalls) {
    if (ctx.audit) ctx.audit.keep();
    else ctx.audit = deps.audit.begin();
  }
  if (screened.blocked) {
    const { rule, path } = screened.blocked;
    // The call ends before its body is parsed; its usage record and log line name the model and the end user all the same
    // (read from the body with what was blocked taken out: a client may have put its token where the model goes).
    namedIn(screened.audited, req, ctx);
    // Recorded here, since the call ends here: with what was blocked taken out.
    ctx.audit?.request(screened.audited, req.headers['content-type'], true);
    throw new GatewayError('invalid_request', `This request was blocked by the gateway's guardrail "${rule}" (guardrail_blocked): it matched in ${path || 'the body'}. Remove it and try again.`, {
      code: 'guardrail_blocked',
      ...(path ? { param: path } : {}),
    });
  }
  return screened.body;
}

/**
 * The caller's rules on requests (`guardrailsOf`: the gateway's own, a named set's, none), with
 * the call marked for its rules on answers (`ctx.screensAnswer`, a set's `ctx.answerRules`, and
 * in `flagged` mode an audit capture a flag on the answer keeps). A call with no body to screen
 * (a stored object's read, whose answer holds what a model wrote) is marked by this alone; a key
 * whose rule set is gone is refused here (`screeningOf`).
 */
export function screeningFor(caller: Caller, ctx: RequestContext, deps: ProxyDeps): Guardrails | undefined {
  const chosen = guardrailsOf(caller);
  let request: Guardrails | undefined;
  let answers: ScreeningRules['answers'];
  if (chosen === undefined) {
    // The common case, a caller on the gateway's own rules: no lookup.
    request = deps.guardrails;
    answers = deps.answerGuardrails;
  } else {
    ({ request, answers } = screeningOf(chosen, deps));
    // What the response cache keys on: answers screened otherwise than by the gateway's own rules are other bytes.
    const answerScreen = answers ? `set:${chosen.name}` : deps.answerGuardrails ? 'none' : undefined;
    if (answerScreen) ctx.answerScreen = answerScreen;
    if (answers) ctx.answerRules = answers;
  }
  // The answer's turn comes later (`lib/pipeline/answer-guard.ts`): the call is marked for it here, where the caller is known.
  if (answers) ctx.screensAnswer = true;
  // A `flag` on the answer may come after most of a stream has gone, and the record must hold the whole answer the client got: in `flagged` mode the capture begins here, by reference, and is kept only if something flags (`AuditCapture.keep`).
  if (answers?.rules.flags && !ctx.audit && deps.audit?.auditsFlaggedCalls) ctx.audit = deps.audit.beginOnFlag();
  return request;
}

const UNSCREENED: ScreeningRules = Object.freeze({});

/**
 * The rules of a key's or team's choice (`guardrailsOf`): none for `off`, else the named set's. A
 * name the config no longer has (the set was renamed or removed since the key was given it) fails
 * closed: the call is refused, 403 `guardrail_set_unknown`, rather than sent with less screening
 * than the operator chose for it; the log's detail names the set, for the operator to mend.
 *
 * @example
 * screeningOf({ name: 'strict', from: 'team' }, deps) // deps.guardrailSets.get('strict')
 */
export function screeningOf(chosen: Chosen, deps: Pick<ProxyDeps, 'guardrailSets'>): ScreeningRules {
  if (chosen.name === 'off') return UNSCREENED;
  const set = deps.guardrailSets?.get(chosen.name);
  if (set) return set;
  const whose = chosen.from === 'key' ? 'this API key' : "this API key's team";
  throw new GatewayError('permission', `The guardrail rule set that ${whose} is given is not in the gateway's config, so its calls are refused rather than sent unscreened. Ask the gateway's operator.`, {
    code: 'guardrail_set_unknown',
    detail: `guardrails.sets has no set "${chosen.name}" (named by the ${chosen.from}): add it to the config, or give the ${chosen.from} another set (aigw ${chosen.from === 'key' ? 'keys' : 'teams'} update <id> --guardrails <set>)`,
  });
}

/**
 * The model and end user a blocked body names, onto the context: read only for a blocked call, so
 * its usage record is found under both (`aigw usage --by end-user` counts blocked calls too).
 */
function namedIn(raw: Uint8Array, req: GatewayRequest, ctx: RequestContext): void {
  let body: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString());
    if (typeof parsed !== 'object' || parsed === null) return;
    body = parsed as Record<string, unknown>;
  } catch {
    return;
  }
  if (typeof body.model === 'string') ctx.model ??= body.model;
  try {
    const endUser = endUserOf(ctx.surface, req.headers, body);
    if (endUser !== undefined) ctx.endUser = endUser;
  } catch {
    // An id too long to record: the block is the call's answer, not that.
  }
}
