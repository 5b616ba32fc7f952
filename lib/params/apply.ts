import type { ParamPolicyConfig } from '../config/schema';
import { isParamSurface, PARAM_FIELDS, type ParamName, type ParamSpot, type ParamValue } from './fields';

/** What the policy did to a body: the new body (the client's is never mutated), and what changed, compactly, for the usage record. */
export interface AppliedParams {
  body: Record<string, unknown>;
  /** `param:how`, e.g. `maxOutputTokens:capped`, `temperature:forced`, `thinking:lowered`; empty when the body is the client's. */
  changes: string[];
  /** `param:why` for values the policy left out because the body could not take them (`temperature:thinking`): for the debug log. */
  skipped: string[];
  /** The parameters it set where the client had sent none (defaulted, forced or capped into an empty spot): a translator gives way on these in a clash (`ChatRequest.setByPolicy`). */
  filled: ParamName[];
}

/** Anthropic's least thinking budget: a `max_tokens` at or below it leaves no room for thinking. */
const MIN_THINKING_BUDGET = 1024;

/** Applied in this order: the output limit first, since on Claude it may turn thinking off, which frees temperature and top_p. */
const ORDER: readonly ParamName[] = ['maxOutputTokens', 'reasoningEffort', 'temperature', 'topP'];

/**
 * A model's request parameter policy applied to a body of `surface` (its usage-record name):
 * `force` replaces what the client sent (or sets it), `defaults` fill what it did not send, and
 * `caps.maxOutputTokens` lowers a larger output limit, or sets it when the client named none (so
 * the call never writes, nor holds a budget for, more than the cap). Pure; the client's body is
 * never mutated. A value equal to the client's is no change. On Anthropic's Messages a lowered
 * `max_tokens` keeps thinking valid (the budget is lowered with it, or thinking is turned off when
 * no budget fits), temperature and top_p are not set while thinking is on (Anthropic refuses
 * them), nor one beside the other where the client sent only that other. Surfaces without parameters (embeddings, images…) come back unchanged.
 *
 * @example
 * applyParams('openai', { model: 'm', messages, temperature: 0.7, max_tokens: 32000 }, { force: { temperature: 0 }, caps: { maxOutputTokens: 8192 } })
 * // { body: { model: 'm', messages, temperature: 0, max_tokens: 8192 }, changes: ['maxOutputTokens:capped', 'temperature:forced'], skipped: [] }
 */
export function applyParams(surface: string, body: Record<string, unknown>, policy: ParamPolicyConfig): AppliedParams {
  const out: AppliedParams = { body, changes: [], skipped: [], filled: [] };
  if (!isParamSurface(surface)) return out;
  const fields = PARAM_FIELDS[surface];
  for (const param of ORDER) {
    const spots = fields[param];
    if (!spots) continue;
    if (surface === 'anthropic' && (param === 'temperature' || param === 'topP')) {
      const why = thinkingOn(out.body) ? 'thinking' : besideOther(param, body, out.body);
      if (why) {
        if (policy.force?.[param] !== undefined || policy.defaults?.[param] !== undefined) out.skipped.push(`${param}:${why}`);
        continue;
      }
    }
    const cap = param === 'maxOutputTokens' ? policy.caps?.maxOutputTokens : undefined;
    const how = applyOne(out, spots, policy.force?.[param], policy.defaults?.[param], cap, !CAP_LEAVES_ABSENT.has(surface));
    if (!how) continue;
    out.changes.push(`${param}:${how}`);
    if (!spots.some((spot) => valueAt(body, spot.path) !== undefined)) out.filled.push(param);
    if (surface === 'anthropic' && param === 'maxOutputTokens') keepThinkingValid(out, body);
  }
  return out;
}

/**
 * Surfaces whose absent output limit is already small, so a cap filled in would raise it: legacy
 * completions default to 16 tokens on OpenAI and vLLM. There a cap only lowers what was sent.
 */
const CAP_LEAVES_ABSENT: ReadonlySet<string> = new Set(['openai-completions']);

/** Force, else default, then cap (filling an absent limit when `capFills`), on one parameter's spots; what happened, if anything changed. */
function applyOne(out: AppliedParams, spots: readonly ParamSpot[], forced: ParamValue | undefined, fallback: ParamValue | undefined, cap: number | undefined, capFills: boolean): 'forced' | 'defaulted' | 'capped' | undefined {
  const sent = spots.filter((spot) => valueAt(out.body, spot.path) !== undefined);
  const fill = fillSpot(out.body, spots);
  if (forced !== undefined) {
    let changed = false;
    for (const spot of sent.length > 0 ? sent : [fill]) changed = write(out, spot, forced) || changed;
    return changed ? 'forced' : undefined;
  }
  let how: 'defaulted' | 'capped' | undefined;
  if (fallback !== undefined && sent.length === 0) {
    write(out, fill, fallback);
    sent.push(fill);
    how = 'defaulted';
  }
  if (cap === undefined) return how;
  if (sent.length === 0) return capFills && write(out, fill, cap) ? 'capped' : how;
  for (const spot of sent) {
    const value = valueAt(out.body, spot.path);
    if (typeof value === 'number' && value > cap && write(out, spot, cap)) how = 'capped';
  }
  return how;
}

/**
 * Where a value the client did not send goes: the spot whose objects the body already has most of
 * (a default joins a Gemini client's own `generation_config` rather than starting a
 * `generationConfig` beside it), the first of those; never a `sentOnly` spelling.
 */
function fillSpot(body: Record<string, unknown>, spots: readonly ParamSpot[]): ParamSpot {
  let best = spots[0]!;
  let most = -1;
  for (const spot of spots) {
    if (spot.sentOnly) continue;
    let at: unknown = body;
    let depth = 0;
    for (const key of spot.path.slice(0, -1)) {
      if (!isObject(at) || !isObject(at[key])) break;
      at = at[key];
      depth++;
    }
    if (depth > most) [best, most] = [spot, depth];
  }
  return best;
}

/** Writes the value at the spot, copying the objects on its path; false when it was there already. */
function write(out: AppliedParams, spot: ParamSpot, value: ParamValue): boolean {
  const encoded = spot.encode ? spot.encode(value) : value;
  if (valueAt(out.body, spot.path) === encoded) return false;
  out.body = withValueAt(out.body, spot.path, encoded);
  return true;
}

/** The value at a path; null counts as absent, as OpenAI's APIs read it. */
function valueAt(body: Record<string, unknown>, path: readonly string[]): unknown {
  let at: unknown = body;
  for (const key of path) {
    if (!isObject(at) || !Object.hasOwn(at, key)) return undefined;
    at = at[key];
  }
  return at ?? undefined;
}

function withValueAt(obj: Record<string, unknown>, path: readonly string[], value: unknown): Record<string, unknown> {
  const [key, ...rest] = path as [string, ...string[]];
  const inner = obj[key];
  return { ...obj, [key]: rest.length === 0 ? value : withValueAt(isObject(inner) ? inner : {}, rest, value) };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Claude Sonnet 4.5 and later refuse temperature and top_p together ("cannot both be specified for
 * this model"): on a Messages body the policy sets neither where the client did not send it and
 * the body has the other (temperature comes first, so of two the policy sets, temperature stays).
 * The client's own pair is its own (earlier models take both).
 */
function besideOther(param: 'temperature' | 'topP', client: Record<string, unknown>, body: Record<string, unknown>): 'temperature' | 'topP' | undefined {
  const other = param === 'temperature' ? 'topP' : 'temperature';
  const spot = (name: 'temperature' | 'topP') => PARAM_FIELDS.anthropic[name]![0]!.path;
  return valueAt(client, spot(param)) === undefined && valueAt(body, spot(other)) !== undefined ? other : undefined;
}

const thinkingOn = (body: Record<string, unknown>): boolean => isObject(body.thinking) && body.thinking.type !== 'disabled';

/**
 * After the policy changed `max_tokens`: Anthropic wants `thinking.budget_tokens` of at least 1024
 * and below `max_tokens`. A budget that no longer fits is scaled by the same factor as
 * `max_tokens` (Claude Code's 31999 of 32000 capped at 8192 becomes 8191), kept within those
 * bounds; when `max_tokens` is 1024 or less no budget fits and thinking is turned off.
 */
function keepThinkingValid(out: AppliedParams, client: Record<string, unknown>): void {
  const thinking = out.body.thinking;
  const max = out.body.max_tokens;
  if (!isObject(thinking) || thinking.type !== 'enabled' || typeof thinking.budget_tokens !== 'number' || typeof max !== 'number') return;
  const budget = thinking.budget_tokens;
  if (budget < max) return;
  if (max <= MIN_THINKING_BUDGET) {
    const { thinking: _off, ...rest } = out.body;
    out.body = rest;
    out.changes.push('thinking:off');
    return;
  }
  const before = typeof client.max_tokens === 'number' && client.max_tokens > 0 ? client.max_tokens : budget + 1;
  const scaled = Math.min(max - 1, Math.max(MIN_THINKING_BUDGET, Math.floor((budget * max) / before)));
  out.body = { ...out.body, thinking: { ...thinking, budget_tokens: scaled } };
  out.changes.push('thinking:lowered');
}
