/**
 * Mending, per attempt, a body for what the target's model takes (`lib/params/mend.ts`): the hook
 * of the pipeline beside the parameter policy's (`withParamPolicy`), which runs once, before it.
 */
import type { TargetCapabilitiesConfig } from '../config/schema';
import { capabilitiesOf, type ModelCapabilities } from '../params/capabilities';
import { isMendSurface, mendBody, type MendSurface } from '../params/mend';
import type { Attempt } from '../routing/attempts';
import type { CatalogModel } from '../routing/catalog';
import type { RequestContext } from './context';
import type { ProxyDeps } from './deps';

/** What mending reads of an admitted call (`AdmittedCall`). */
export interface MendingCall {
  body: Record<string, unknown>;
  raw: Uint8Array;
  /** The model name the client asked for (for the log). */
  model: string;
  entry: CatalogModel;
}

/**
 * How a body bound for one attempt's target is mended for what its model takes (`lib/params/mend.ts`),
 * recording each change after the policy's in `ctx.params` (so `['temperature:forced',
 * 'temperature:dropped']` says the model refused what the policy forced) and at debug, and the stop
 * sequences the answer is to be cut at in `ctx.emulatedStop` where the model refuses `stop`; undefined when
 * nothing is mended: the model's `params.unsupported` is `pass`, the surface is not the OpenAI
 * dialect's, or the table and the target's `capabilities` do not know the model. It runs per
 * attempt, after the policy: of a fallback from o3 to gpt-4o, only the o3 attempt is mended. The
 * passthrough mends the client's body (`surface` its own), a translation the Chat Completions body it wrote (`openai`).
 *
 * @example
 * const mend = mendingFor(call, attempt, 'openai', ctx, deps);
 * const body = mend ? mend(call.body) : call.body; // the very body when nothing needed mending
 */
export function mendingFor(call: MendingCall, attempt: Attempt, surface: string, ctx: RequestContext, deps: Pick<ProxyDeps, 'logger'>): ((body: Record<string, unknown>) => Record<string, unknown>) | undefined {
  const capabilities = mendableFor(call, attempt, surface);
  if (!capabilities) return undefined;
  return (body) => mendedBody(body, capabilities, call, attempt, surface as MendSurface, ctx, deps);
}

/**
 * A passed-through call with its body mended for the attempt's model (as `mendingFor`),
 * re-serialised as its new `raw`: the very call (the client's bytes and all) when nothing changed.
 * No closure, no allocation on that path: a Map read and a few property reads.
 *
 * @example
 * mendedCall(call, attempt, 'openai', ctx, deps).raw === call.raw // true for a body o3 takes as it is
 */
export function mendedCall<C extends MendingCall>(call: C, attempt: Attempt, surface: string, ctx: RequestContext, deps: Pick<ProxyDeps, 'logger'>): C {
  const capabilities = mendableFor(call, attempt, surface);
  if (!capabilities) return call;
  const body = mendedBody(call.body, capabilities, call, attempt, surface as MendSurface, ctx, deps);
  return body === call.body ? call : { ...call, body, raw: Buffer.from(JSON.stringify(body)) };
}

/** What the attempt's model takes, when bodies of `surface` are mended for it; undefined when they are not. */
function mendableFor(call: MendingCall, attempt: Attempt, surface: string): ModelCapabilities | undefined {
  if (call.entry.config.params?.unsupported === 'pass' || !isMendSurface(surface)) return undefined;
  const targets = call.entry.targets;
  let own: TargetCapabilitiesConfig | undefined;
  for (let i = 0; i < targets.length; i++) {
    if (targets[i]!.provider === attempt.provider && targets[i]!.model === attempt.model) {
      own = call.entry.config.targets[i]?.capabilities;
      break;
    }
  }
  return capabilitiesOf(attempt.provider.type, attempt.model, own);
}

/** The body mended, its changes recorded after the policy's and logged; the very body when none. */
function mendedBody(body: Record<string, unknown>, capabilities: ModelCapabilities, call: MendingCall, attempt: Attempt, surface: MendSurface, ctx: RequestContext, deps: Pick<ProxyDeps, 'logger'>): Record<string, unknown> {
  const mended = mendBody(surface, body, capabilities, attempt.model);
  if (mended.changes.length === 0) return body;
  ctx.params = [...(ctx.params ?? []), ...mended.changes];
  if (mended.stop) ctx.emulatedStop = mended.stop;
  deps.logger.debug('request parameters mended for the target model', { requestId: ctx.requestId, model: call.model, upstreamModel: attempt.model, surface, params: mended.changes });
  return mended.body;
}
