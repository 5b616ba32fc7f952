import { GatewayError } from '../http/errors';
import type { ModelCapabilities } from './capabilities';

/** A body mended for its target's model: the new body (the given one is never mutated), and what changed. */
export interface MendedBody {
  body: Record<string, unknown>;
  /**
   * `param:how`, in the parameter policy's names where it has one (`temperature:dropped`,
   * `maxOutputTokens:renamed`, `reasoningEffort:dropped`), else the wire name
   * (`presence_penalty:dropped`); empty when the body is the given one.
   */
  changes: readonly string[];
  /**
   * The client's stop sequences, when the model refuses `stop` and it was dropped (`stop:emulated`):
   * the gateway cuts the answer at them itself (`lib/pipeline/stop-emulation/`).
   */
  stop?: readonly string[];
}

/** The surfaces whose bodies are mended: the OpenAI dialect's, as they go to OpenAI and Azure. */
export type MendSurface = 'openai' | 'openai-responses';

/** Whether bodies of a surface are mended (Chat Completions, Responses). */
export const isMendSurface = (surface: string): surface is MendSurface => surface === 'openai' || surface === 'openai-responses';

/**
 * A sampling parameter a reasoning model refuses unless it holds the default, which it accepts
 * ("Only the default (1) value is supported").
 */
interface Sampling {
  field: string;
  default: number;
}

const CHAT_SAMPLING: readonly Sampling[] = [
  { field: 'temperature', default: 1 },
  { field: 'top_p', default: 1 },
  { field: 'presence_penalty', default: 0 },
  { field: 'frequency_penalty', default: 0 },
];

// The Responses API has no penalties.
const RESPONSES_SAMPLING: readonly Sampling[] = CHAT_SAMPLING.slice(0, 2);

/** Present as OpenAI reads it: null is absent. */
const sent = (value: unknown) => value !== undefined && value !== null;

/**
 * A body of the OpenAI dialect mended for the model it goes to, so that the upstream does not
 * refuse it for a parameter the model does not take. On a reasoning model: `max_tokens` becomes
 * `max_completion_tokens` (or yields to the client's own), and temperature, top_p and the
 * penalties go unless they hold the default the model accepts (temperature 1 stays), and so does
 * `stop` where the model refuses it (o3, o4-mini, GPT-5: its sequences come back as `stop`, for
 * the gateway to cut the answer at); on
 * GPT-5.1 and later the sampling stays while the call does not reason (no effort, or `none`). On a
 * chat model: `reasoning_effort` (Responses: `reasoning`, and `reasoning.encrypted_content` from
 * `include`) goes. Pure and cheap: a handful of property reads on a body that needs nothing, which
 * comes back as the very object.
 *
 * `logprobs: true` on a reasoning model is refused (400 naming `logprobs`) rather than dropped:
 * the answer could not carry what the client asked for.
 *
 * @example
 * mendBody('openai', { model: 'o3', messages, max_tokens: 4096, temperature: 0.2 }, { reasoning: true }, 'o3')
 * // { body: { model: 'o3', messages, max_completion_tokens: 4096 }, changes: ['maxOutputTokens:renamed', 'temperature:dropped'] }
 */
export function mendBody(surface: MendSurface, body: Record<string, unknown>, capabilities: ModelCapabilities, model: string): MendedBody {
  // Reads first, no allocation: most bodies need nothing, and come back as they are.
  const refused = refusedFields(surface, body, capabilities);
  if (refused.length === 0) return { body, changes: NOTHING };
  if (refused.includes('logprobs')) {
    throw new GatewayError('invalid_request', `logprobs is not supported by the model \`${model}\`: a reasoning model's answer carries no log probabilities.`, { param: 'logprobs', code: 'unsupported_parameter' });
  }
  const out = { ...body };
  const changes: string[] = [];
  let stop: readonly string[] | undefined;
  for (const field of refused) {
    if (field === 'include') {
      // Only the encrypted reasoning goes: the rest of what the client asked to include stays.
      const rest = (body.include as unknown[]).filter((item) => item !== ENCRYPTED_REASONING);
      if (rest.length > 0) out.include = rest;
      else delete out.include;
      changes.push(`${ENCRYPTED_REASONING}:dropped`);
      continue;
    }
    if (field === 'max_tokens') {
      if (!sent(body.max_completion_tokens)) out.max_completion_tokens = body.max_tokens;
      changes.push('maxOutputTokens:renamed');
    } else if (field === 'stop') {
      // Honoured by the gateway instead (an empty sequence matches nothing: it is just dropped).
      stop = stopSequencesOf(body.stop);
      changes.push(stop ? 'stop:emulated' : 'stop:dropped');
    } else changes.push(`${RECORD_NAMES[field] ?? field}:dropped`);
    delete out[field];
  }
  return { body: out, changes, ...(stop ? { stop } : {}) };
}

/**
 * The client's stop sequences as OpenAI reads `stop` (a string or up to four strings), less empty
 * ones (they match nothing); undefined when none is left. Whitespace is kept: `"\n"` is a common stop.
 *
 * @example
 * stopSequencesOf(['\nObservation:', '']) // ['\nObservation:']
 * stopSequencesOf('END') // ['END']
 * stopSequencesOf(null) // undefined
 */
export function stopSequencesOf(stop: unknown): readonly string[] | undefined {
  const all = typeof stop === 'string' ? [stop] : Array.isArray(stop) ? stop : [];
  const sequences = all.filter((s): s is string => typeof s === 'string' && s !== '');
  return sequences.length > 0 ? sequences : undefined;
}


const NOTHING: readonly string[] = [];

/**
 * What a Responses client asks to include to carry reasoning across stateless turns (Codex does on
 * every turn, whatever the model); a chat model answers 400 `Encrypted content is not supported
 * with this model.` (`param: "include"`).
 */
const ENCRYPTED_REASONING = 'reasoning.encrypted_content';

/** How the record names a field, where the parameter policy has a name for it. */
const RECORD_NAMES: Readonly<Record<string, string>> = { temperature: 'temperature', top_p: 'topP', reasoning_effort: 'reasoningEffort', reasoning: 'reasoningEffort' };

/** The fields of a body its model refuses, in the order they are mended; empty (and shared) for most. */
function refusedFields(surface: MendSurface, body: Record<string, unknown>, capabilities: ModelCapabilities): readonly string[] {
  const chat = surface === 'openai';
  if (!capabilities.reasoning) {
    const field = chat ? 'reasoning_effort' : 'reasoning';
    let refused = sent(body[field]) ? [field] : NOTHING;
    // Only a target's `capabilities.stop: false` says a chat model refuses `stop`.
    if (chat && capabilities.refusesStop && sent(body.stop)) refused = [...refused, 'stop'];
    return !chat && Array.isArray(body.include) && body.include.includes(ENCRYPTED_REASONING) ? [...refused, 'include'] : refused;
  }
  let refused = NOTHING;
  if (chat && sent(body.max_tokens)) refused = ['max_tokens'];
  // Chat Completions only: the Responses API has no stop sequences.
  if (chat && capabilities.refusesStop && sent(body.stop)) refused = [...refused, 'stop'];
  const effort = chat ? body.reasoning_effort : (body.reasoning as { effort?: unknown } | null | undefined)?.effort;
  if (capabilities.samplesWithoutEffort && (!sent(effort) || effort === 'none')) return refused;
  if (chat && body.logprobs === true) return ['logprobs'];
  for (const { field, default: accepted } of chat ? CHAT_SAMPLING : RESPONSES_SAMPLING) {
    const value = body[field];
    if (sent(value) && value !== accepted) refused = [...refused, field];
  }
  return refused;
}
