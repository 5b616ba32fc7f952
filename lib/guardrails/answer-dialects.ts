/**
 * Where the model's own words lie in each API's answers: the strings of a whole answer (or of a
 * stream's event) that guardrails on answers look at, and the text a stream spreads over its
 * events (a choice's content deltas, a tool call's argument fragments, a content block's deltas),
 * which must be read as one text, since a secret may be split across two events.
 *
 * The rest of an answer is not the model's text (a Responses answer echoes the request's
 * `instructions` and `tools`), or is checked by the provider when the client sends it back and must
 * not change: thinking signatures, `redacted_thinking` data, encrypted reasoning, Gemini's thought
 * signatures. Signed thinking text is read like any text: where a redaction changes it, its
 * signature no longer covers it, and is replaced by the gateway's mark (`unsignRedacted`,
 * `signatureSlots`), so the thinking is left out when it comes back instead of failing the turn.
 */
import { looksLikeOpenAIEncrypted, REDACTED_SIGNATURE } from '../canonical/signatures';
import { isGatewaySignature, REDACTED_THOUGHT_SIGNATURE } from '../surfaces/gemini/carried-thinking';

/** The answer shapes the gateway screens: Chat Completions (and legacy completions), Messages, Responses, Gemini. */
export type AnswerDialect = 'openai' | 'anthropic' | 'openai-responses' | 'gemini';

/**
 * The dialect of a surface's answers, or undefined for surfaces whose answers are not screened
 * (embeddings, rerank, moderations, images, audio: no text the model wrote).
 *
 * @example
 * answerDialect('openai-completions') // 'openai'
 * answerDialect('openai-embeddings') // undefined
 */
export function answerDialect(surface: string): AnswerDialect | undefined {
  switch (surface) {
    case 'openai':
    case 'openai-completions':
      return 'openai';
    case 'anthropic':
    case 'openai-responses':
    case 'gemini':
      return surface;
    default:
      return undefined;
  }
}

/** Strings a provider checks when they come back (or whose signature covers them): never rewritten, never counted. */
const OPAQUE = /(?:^|\.)(?:signature|encrypted_content|thoughtSignature|thought_signature)$|(?:content\[\d+\]|content_block)\.data$/;

/** The model's part of a whole answer, per dialect (a Gemini JSON-array stream's elements are whole answers too: `[3].candidates…`). */
const WHOLE: Readonly<Record<AnswerDialect, RegExp>> = {
  openai: /^choices\[\d+\]\./,
  anthropic: /^content\[\d+\]\./,
  // `output_text`: the output's text again, as some OpenAI-compatible servers write it (OpenAI's SDKs make it).
  'openai-responses': /^output(?:\[\d+\]\.|_text$)/,
  gemini: /^(?:\[\d+\]\.)?candidates\[\d+\]\.content\./,
};

/** The model's part of one event of a stream, per dialect (Responses' events carry their text at the top, or in the item, part or response they close). */
const EVENT: Readonly<Record<AnswerDialect, RegExp>> = {
  openai: /^choices\[\d+\]\./,
  anthropic: /^(?:content_block|delta|message\.content)(?:$|[.[])/,
  'openai-responses': /^(?:delta|text|arguments|code|refusal|part|item|response\.output(?:_text)?)(?:$|[.[])/,
  gemini: /^candidates\[\d+\]\.content\./,
};

/**
 * Which strings of a whole answer count.
 *
 * @example
 * answerPaths('anthropic')('content[0].text') // true
 * answerPaths('anthropic')('content[0].signature') // false
 */
export function answerPaths(dialect: AnswerDialect): (path: string) => boolean {
  const model = WHOLE[dialect];
  return (path) => model.test(path) && !OPAQUE.test(path);
}

/**
 * Whether a string of an answer is one the provider checks when it comes back (a signature,
 * encrypted reasoning, redacted thinking's data): never rewritten, never counted.
 *
 * @example
 * opaquePath('data[2].encrypted_content') // true
 * opaquePath('data[2].summary[0].text') // false
 */
export const opaquePath = (path: string): boolean => OPAQUE.test(path);

/** Which strings of one stream event count, less the ones read as running text (`slots`). */
export function eventPaths(dialect: AnswerDialect, slotPaths: ReadonlySet<string>): (path: string) => boolean {
  const model = EVENT[dialect];
  return (path) => model.test(path) && !OPAQUE.test(path) && !slotPaths.has(path);
}

/** One piece of running text in an event: the channel it continues, and where it lies (object keys and array indexes, and as a param path). */
export interface TextSlot {
  channel: string;
  keys: readonly (string | number)[];
  path: string;
  text: string;
  /** Where the whole answer would hold this text (`choices[0].message.content`, `content[1].input`): what a block's message names. */
  place: string;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function slot(into: TextSlot[], channel: string, keys: (string | number)[], text: unknown, place: string): void {
  if (typeof text !== 'string' || text === '') return;
  into.push({ channel, keys, path: keys.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join(''), text, place });
}

/**
 * The running text of one stream event: the pieces of text that continue earlier events' (so a
 * match may span them). Everything else in the event is looked at on its own.
 *
 * @example
 * textSlots('openai', { choices: [{ index: 0, delta: { content: 'AKIA' } }] }) // [{ channel: '0:content', path: 'choices[0].delta.content', … }]
 */
export function textSlots(dialect: AnswerDialect, event: unknown): TextSlot[] {
  const slots: TextSlot[] = [];
  if (!isObject(event)) return slots;
  switch (dialect) {
    case 'openai': {
      const choices = Array.isArray(event.choices) ? event.choices : [];
      choices.forEach((choice: unknown, i) => {
        if (!isObject(choice)) return;
        const n = typeof choice.index === 'number' ? choice.index : i;
        // Legacy completions stream their text here.
        slot(slots, `${n}:text`, ['choices', i, 'text'], choice.text, `choices[${n}].text`);
        const delta = choice.delta;
        if (!isObject(delta)) return;
        slot(slots, `${n}:content`, ['choices', i, 'delta', 'content'], delta.content, `choices[${n}].message.content`);
        slot(slots, `${n}:refusal`, ['choices', i, 'delta', 'refusal'], delta.refusal, `choices[${n}].message.refusal`);
        // Thinking, as the gateway writes it for chat clients (and DeepSeek, vLLM, OpenRouter send it): unsigned, so read like the content.
        slot(slots, `${n}:reasoning_content`, ['choices', i, 'delta', 'reasoning_content'], delta.reasoning_content, `choices[${n}].message.reasoning_content`);
        slot(slots, `${n}:reasoning`, ['choices', i, 'delta', 'reasoning'], delta.reasoning, `choices[${n}].message.reasoning`);
        // The deprecated `functions` API: one call, its arguments in fragments like a tool call's.
        if (isObject(delta.function_call)) slot(slots, `${n}:function_call`, ['choices', i, 'delta', 'function_call', 'arguments'], delta.function_call.arguments, `choices[${n}].message.function_call.arguments`);
        const calls = Array.isArray(delta.tool_calls) ? delta.tool_calls : [];
        calls.forEach((call: unknown, j) => {
          if (!isObject(call) || !isObject(call.function)) return;
          // Fragments of one call share its `index`, not their place in the chunk.
          const index = typeof call.index === 'number' ? call.index : j;
          slot(slots, `${n}:tool:${index}`, ['choices', i, 'delta', 'tool_calls', j, 'function', 'arguments'], call.function.arguments, `choices[${n}].message.tool_calls[${index}].function.arguments`);
        });
      });
      return slots;
    }
    case 'anthropic': {
      // The colon keeps block 1's key from being a prefix of block 10's (`closedChannels`).
      const block = `${String(event.index)}:`;
      // A text or thinking block may open with text (Anthropic's own open empty): its deltas continue it.
      if (event.type === 'content_block_start' && isObject(event.content_block)) {
        if (event.content_block.type === 'text') slot(slots, block, ['content_block', 'text'], event.content_block.text, `content[${String(event.index)}].text`);
        if (event.content_block.type === 'thinking') slot(slots, block, ['content_block', 'thinking'], event.content_block.thinking, `content[${String(event.index)}].thinking`);
      }
      if (event.type !== 'content_block_delta' || !isObject(event.delta)) return slots;
      if (event.delta.type === 'text_delta') slot(slots, block, ['delta', 'text'], event.delta.text, `content[${String(event.index)}].text`);
      // Signed thinking, read like the text: its signature_delta, after it, loses its signature if it was redacted (`signatureSlots`).
      else if (event.delta.type === 'thinking_delta') slot(slots, block, ['delta', 'thinking'], event.delta.thinking, `content[${String(event.index)}].thinking`);
      else if (event.delta.type === 'input_json_delta') slot(slots, block, ['delta', 'partial_json'], event.delta.partial_json, `content[${String(event.index)}].input`);
      return slots;
    }
    case 'openai-responses': {
      const type = typeof event.type === 'string' ? event.type : '';
      if (!STREAMED_RESPONSES_TEXT.has(type)) return slots;
      const item = `output[${String(event.output_index)}]`;
      const place = PLACES[type]?.(item, event) ?? `${item}.content[${String(event.content_index)}].${type === 'response.refusal.delta' ? 'refusal' : 'text'}`;
      slot(slots, `${type}:${String(event.output_index)}:${String(event.content_index ?? event.summary_index ?? '')}`, ['delta'], event.delta, place);
      return slots;
    }
    case 'gemini': {
      const candidates = Array.isArray(event.candidates) ? event.candidates : [];
      candidates.forEach((candidate: unknown, i) => {
        if (!isObject(candidate) || !isObject(candidate.content) || !Array.isArray(candidate.content.parts)) return;
        const n = typeof candidate.index === 'number' ? candidate.index : i;
        candidate.content.parts.forEach((part: unknown, j) => {
          // Function calls come whole, in one event: looked at with the rest of it.
          if (isObject(part)) slot(slots, `${n}:${part.thought === true ? 'thought' : 'text'}`, ['candidates', i, 'content', 'parts', j, 'text'], part.text, `candidates[${n}].content.parts[${j}].text`);
        });
      });
      return slots;
    }
  }
}

/** Keys of a Chat Completions delta that hold no text but the running text's (`textSlots`). */
const DELTA_KEYS: ReadonlySet<string> = new Set(['role', 'content', 'refusal', 'reasoning_content', 'tool_calls']);
/** Keys of a Gemini part that hold no text but the running text's. */
const PART_KEYS: ReadonlySet<string> = new Set(['text', 'thought']);

/**
 * Whether an event has text outside its running text, to be looked at on its own: false for the
 * bulk of a stream, the plain deltas (a content or argument fragment, a text part), which then
 * cost no second pass.
 *
 * @example
 * hasOtherText('anthropic', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'hi' } }) // false
 * hasOtherText('anthropic', { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', input: {} } }) // true
 */
export function hasOtherText(dialect: AnswerDialect, event: unknown): boolean {
  if (!isObject(event)) return false;
  switch (dialect) {
    case 'openai':
      // A known key holding no string (content as an array of parts) is not running text either.
      return !Array.isArray(event.choices) || !event.choices.every((c: unknown) => isObject(c) && isObject(c.delta) && Object.entries(c.delta).every(([k, v]) => DELTA_KEYS.has(k) && (k === 'tool_calls' || k === 'role' || v === null || typeof v === 'string')));
    case 'anthropic':
      // Text, thinking and input deltas are running text; signature deltas are not read (OPAQUE).
      return event.type !== 'content_block_delta';
    case 'openai-responses':
      return !STREAMED_RESPONSES_TEXT.has(String(event.type));
    case 'gemini': {
      const candidates = Array.isArray(event.candidates) ? event.candidates : [];
      return !candidates.every((c: unknown) => isObject(c) && isObject(c.content) && Array.isArray(c.content.parts) && c.content.parts.every((p: unknown) => isObject(p) && Object.keys(p).every((k) => PART_KEYS.has(k))));
    }
  }
}

/**
 * Which running texts an event says are complete (Anthropic's `content_block_stop`, a choice's or
 * candidate's finish reason, Responses' `….done` events of an output item): their held tails can
 * be settled now instead of at the end of the stream (a text block's tail would otherwise wait
 * behind the whole tool call that follows it). A channel key matches when it starts with one.
 *
 * @example
 * closedChannels('anthropic', { type: 'content_block_stop', index: 0 }) // ['0:']
 */
export function closedChannels(dialect: AnswerDialect, event: unknown): string[] {
  if (!isObject(event)) return [];
  switch (dialect) {
    case 'openai':
      return (Array.isArray(event.choices) ? event.choices : []).flatMap((c: unknown, i) => (isObject(c) && c.finish_reason ? [`${typeof c.index === 'number' ? c.index : i}:`] : []));
    case 'anthropic':
      return event.type === 'content_block_stop' ? [`${String(event.index)}:`] : [];
    case 'openai-responses':
      // Every running text of an output item has its output index in its key.
      return event.type === 'response.output_item.done' ? [...STREAMED_RESPONSES_TEXT].map((type) => `${type}:${String(event.output_index)}:`) : [];
    case 'gemini':
      return (Array.isArray(event.candidates) ? event.candidates : []).flatMap((c: unknown, i) => (isObject(c) && c.finishReason ? [`${typeof c.index === 'number' ? c.index : i}:`] : []));
  }
}

/** Responses' events that carry a piece of running text in `delta`. */
const STREAMED_RESPONSES_TEXT: ReadonlySet<string> = new Set([
  'response.output_text.delta',
  'response.refusal.delta',
  'response.function_call_arguments.delta',
  'response.reasoning_summary_text.delta',
  'response.custom_tool_call_input.delta',
  // Unsigned reasoning (open-weight models), and the code and arguments of hosted tools the model writes.
  'response.reasoning_text.delta',
  'response.code_interpreter_call_code.delta',
  'response.mcp_call_arguments.delta',
]);

/** Where a Responses delta's text lies in the whole response, for those not in a content part. */
const PLACES: Readonly<Record<string, (item: string, event: Json) => string>> = {
  'response.function_call_arguments.delta': (item) => `${item}.arguments`,
  'response.mcp_call_arguments.delta': (item) => `${item}.arguments`,
  'response.custom_tool_call_input.delta': (item) => `${item}.input`,
  'response.code_interpreter_call_code.delta': (item) => `${item}.code`,
  'response.reasoning_summary_text.delta': (item, event) => `${item}.summary[${String(event.summary_index)}].text`,
};

/**
 * Whether an event repeats text earlier events streamed (Responses' `….done` events and the
 * whole response at the end): what is in it is redacted or blocked as anywhere else, but its
 * hits are not counted again.
 */
export function echoes(dialect: AnswerDialect, event: unknown): boolean {
  if (dialect !== 'openai-responses' || !isObject(event) || typeof event.type !== 'string') return false;
  return !event.type.endsWith('.delta');
}

/** Keys beside an answer's text that spell it again token by token (chat's and Responses' `logprobs`, Gemini's `logprobsResult`), where no rule finds a match: a token is a few characters. */
const LOGPROBS: readonly string[] = ['logprobs', 'logprobsResult'];

/**
 * Clears the token log-probabilities beside text a redaction changed (`after`, changed in place,
 * against the same JSON as it came, `before`): a client that asks for logprobs would otherwise read
 * the redacted key back from its tokens. Logprobs beside text left alone are kept.
 *
 * @example
 * const after = { choices: [{ message: { content: '[REDACTED:aws-access-key]' }, logprobs: { content: [{ token: 'AKIA' }] } }] };
 * clearLogprobsOfRedacted({ choices: [{ message: { content: 'AKIA…' }, logprobs: { content: [{ token: 'AKIA' }] } }] }, after);
 * after.choices[0].logprobs // null
 */
export function clearLogprobsOfRedacted(before: unknown, after: unknown): void {
  if (Array.isArray(after)) {
    if (Array.isArray(before)) after.forEach((value: unknown, i) => clearLogprobsOfRedacted(before[i], value));
    return;
  }
  if (!isObject(after) || !isObject(before)) return;
  const keys = LOGPROBS.filter((key) => after[key] !== undefined && after[key] !== null);
  // An array stays an array (Responses' `logprobs: []`), so the shape SDKs parse holds.
  if (keys.length && JSON.stringify(without(before, keys)) !== JSON.stringify(without(after, keys))) for (const key of keys) after[key] = Array.isArray(after[key]) ? [] : null;
  for (const [key, value] of Object.entries(after)) if (!LOGPROBS.includes(key)) clearLogprobsOfRedacted(before[key], value);
}

const without = (object: Json, keys: readonly string[]): Json => Object.fromEntries(Object.entries(object).filter(([key]) => !keys.includes(key)));

/** The event with `value` at `keys` (the object is changed in place and returned). */
export function setAt(event: unknown, keys: readonly (string | number)[], value: string): unknown {
  let at = event as Record<string | number, unknown>;
  for (const key of keys.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  at[keys[keys.length - 1]!] = value;
  return event;
}

/** A signature in a stream event (`signatureSlots`): where it is, and the running texts it covers (channel keys starting with one of `channels`). */
export interface SignatureSlot {
  keys: readonly (string | number)[];
  channels: readonly string[];
  /** What replaces it: `REDACTED_SIGNATURE`, or for a Gemini thoughtSignature `REDACTED_THOUGHT_SIGNATURE`. */
  value: string;
}

/** A Gemini thoughtSignature the gateway wrote (Claude's thinking carried on a function call, or Claude's signature marked on a thought part). */
const gatewayThought = (value: unknown): value is string => typeof value === 'string' && value !== REDACTED_THOUGHT_SIGNATURE && isGatewaySignature(value);

/** A reasoning item's `encrypted_content` the gateway wrote (another family's signature, marked): OpenAI's own (a Fernet token) does not cover the summary, which OpenAI does not check. */
const gatewaySigned = (value: unknown): value is string => typeof value === 'string' && value !== '' && value !== REDACTED_SIGNATURE && !looksLikeOpenAIEncrypted(value);

/**
 * The signatures an event of a stream carries over running text earlier events streamed:
 * Anthropic's `signature_delta` (over its block's thinking), and Responses' `encrypted_content` of
 * a reasoning item the gateway wrote (over its summary and reasoning text) in
 * `response.output_item.done` and `response.completed`. When any of the text they cover was
 * redacted, the stream writes `REDACTED_SIGNATURE` in their place: the signature reaches the client
 * after the text, so by then the screen knows.
 *
 * @example
 * signatureSlots('anthropic', { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQB' } })
 * // [{ keys: ['delta', 'signature'], channels: ['0:'] }]
 */
export function signatureSlots(dialect: AnswerDialect, event: unknown): SignatureSlot[] {
  if (!isObject(event)) return [];
  if (dialect === 'anthropic') {
    if (event.type === 'content_block_delta' && isObject(event.delta) && event.delta.type === 'signature_delta' && typeof event.delta.signature === 'string') return [{ keys: ['delta', 'signature'], channels: [`${String(event.index)}:`], value: REDACTED_SIGNATURE }];
    return [];
  }
  if (dialect === 'gemini') {
    // The gateway's thoughtSignatures carry Claude's thinking (a function call's blob) or signature (a thought part's): over the candidate's thought text.
    const candidates = Array.isArray(event.candidates) ? event.candidates : [];
    return candidates.flatMap((candidate: unknown, i): SignatureSlot[] => {
      if (!isObject(candidate) || !isObject(candidate.content) || !Array.isArray(candidate.content.parts)) return [];
      const n = typeof candidate.index === 'number' ? candidate.index : i;
      return candidate.content.parts.flatMap((part: unknown, j): SignatureSlot[] =>
        isObject(part) && gatewayThought(part.thoughtSignature) ? [{ keys: ['candidates', i, 'content', 'parts', j, 'thoughtSignature'], channels: [`${n}:thought`], value: REDACTED_THOUGHT_SIGNATURE }] : [],
      );
    });
  }
  if (dialect !== 'openai-responses') return [];
  const reasoningChannels = (index: unknown) => [`response.reasoning_summary_text.delta:${String(index)}:`, `response.reasoning_text.delta:${String(index)}:`];
  if (event.type === 'response.output_item.done' && isObject(event.item) && event.item.type === 'reasoning' && gatewaySigned(event.item.encrypted_content)) return [{ keys: ['item', 'encrypted_content'], channels: reasoningChannels(event.output_index), value: REDACTED_SIGNATURE }];
  if (event.type === 'response.completed' && isObject(event.response) && Array.isArray(event.response.output)) {
    return event.response.output.flatMap((item: unknown, k): SignatureSlot[] => (isObject(item) && item.type === 'reasoning' && gatewaySigned(item.encrypted_content) ? [{ keys: ['response', 'output', k, 'encrypted_content'], channels: reasoningChannels(k), value: REDACTED_SIGNATURE }] : []));
  }
  return [];
}

/**
 * Replaces the signature of each thinking block or reasoning item whose text a redaction changed
 * (`after`, changed in place, against the same JSON as it came, `before`) with
 * `REDACTED_SIGNATURE` (in a Gemini candidate whose thought text changed, the gateway's
 * thoughtSignatures with `REDACTED_THOUGHT_SIGNATURE`): Anthropic (and the gateway, replaying Claude's or Gemini's thinking it
 * carried in a reasoning item) checks a signature against its text, and would refuse the next turn.
 * Signatures over text left alone are kept, and so is OpenAI's own encrypted reasoning.
 *
 * @example
 * const after = { content: [{ type: 'thinking', thinking: 'key [REDACTED:aws-access-key]', signature: 'EqQB' }] };
 * unsignRedacted({ content: [{ type: 'thinking', thinking: 'key AKIA…', signature: 'EqQB' }] }, after);
 * after.content[0].signature // 'aigw1:redacted'
 */
export function unsignRedacted(before: unknown, after: unknown): void {
  if (Array.isArray(after)) {
    if (Array.isArray(before)) after.forEach((value: unknown, i) => unsignRedacted(before[i], value));
    return;
  }
  if (!isObject(after) || !isObject(before)) return;
  if (after.type === 'thinking' && typeof after.signature === 'string' && after.signature !== '' && before.thinking !== after.thinking) after.signature = REDACTED_SIGNATURE;
  if (after.type === 'reasoning' && gatewaySigned(after.encrypted_content) && (JSON.stringify(before.summary) !== JSON.stringify(after.summary) || JSON.stringify(before.content) !== JSON.stringify(after.content))) after.encrypted_content = REDACTED_SIGNATURE;
  // Gemini: a candidate's thought text changed, so every thoughtSignature the gateway wrote in it (the carried thinking, Claude's marked signatures) goes.
  if (Array.isArray(after.parts) && Array.isArray(before.parts)) {
    const was = before.parts as unknown[];
    const changed = after.parts.some((part: unknown, j) => isObject(part) && part.thought === true && isObject(was[j]) && (was[j] as Json).text !== part.text);
    if (changed) for (const part of after.parts) if (isObject(part) && gatewayThought(part.thoughtSignature)) part.thoughtSignature = REDACTED_THOUGHT_SIGNATURE;
  }
  for (const [key, value] of Object.entries(after)) if (typeof value === 'object' && value !== null) unsignRedacted(before[key], value);
}
