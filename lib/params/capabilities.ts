/**
 * Which request parameters an OpenAI-dialect model refuses, known from its upstream id: the
 * reasoning models (o-series, GPT-5) refuse `max_tokens` and the sampling parameters other than
 * their defaults (and most of them `stop`); chat models refuse `reasoning_effort`. A generation
 * not out yet but named in the same scheme (`o5`, `gpt-6`, `gpt-6.1`) is taken for its nearest
 * known sibling (o3, GPT-5, GPT-5.1). A model the table does not know is `undefined`: nothing is
 * mended for it (a target's `capabilities` says what it is).
 */
import type { TargetCapabilitiesConfig } from '../config/schema';

/** What a model takes, as far as mending goes (`mend.ts`). */
export interface ModelCapabilities {
  /**
   * A reasoning model: refuses `max_tokens` (it takes `max_completion_tokens`) and sampling
   * parameters other than their defaults (temperature 1, top_p 1, penalties 0, no logprobs).
   * False: a chat model, which refuses `reasoning_effort`.
   */
  reasoning: boolean;
  /** Takes the sampling parameters while it does not reason (no effort, or `none`): GPT-5.1 and later. */
  samplesWithoutEffort?: true;
  /** Refuses `stop` (o3, o4-mini, codex-mini, GPT-5; o1 and o3-mini take it), or a target's `capabilities.stop: false` says so: the gateway cuts the answer at the sequences itself. */
  refusesStop?: true;
}

const REASONING: ModelCapabilities = { reasoning: true };
const REASONING_NO_STOP: ModelCapabilities = { reasoning: true, refusesStop: true };
const REASONING_UNLESS_NONE: ModelCapabilities = { reasoning: true, samplesWithoutEffort: true, refusesStop: true };
const CHAT: ModelCapabilities = { reasoning: false };
/** Only by a target's `capabilities`: a chat model on an OpenAI-compatible server that refuses `stop`. */
const CHAT_NO_STOP: ModelCapabilities = { reasoning: false, refusesStop: true };

/**
 * A GPT generation from GPT-5 on (5 to 99): `gpt-6` and `gpt-6.1` are not out yet, but when they
 * come they are named as GPT-5's line is, and are taken for their nearest sibling in it until the
 * table knows them (a target's `capabilities` says otherwise). GPT-4 and earlier are chat models.
 */
const GPT_FROM_5 = '(?:[5-9]|[1-9]\\d)';

/**
 * Families by upstream id, first match wins (so the chat variants come before their family).
 * Ids are matched lowercased, less a fine-tune's `ft:` prefix; an entry of `undefined` is a family
 * the table knows it does not know.
 */
const FAMILIES: readonly (readonly [RegExp, ModelCapabilities | undefined])[] = [
  // o1, o1-mini, o1-pro, o3, o3-mini, o3-pro, o4-mini (and dated snapshots): OpenAI's reasoning
  // guide lists temperature, top_p, presence/frequency penalty, logprobs and max_tokens as
  // unsupported; the API answers `unsupported_parameter` for max_tokens and `unsupported_value`
  // for a temperature other than 1. o1 and o3-mini take `stop`; o3, o3-pro and o4-mini answer
  // `Unsupported parameter: 'stop'` (crewAI #2738, dify #18971, smolagents' supports_stop_parameter).
  [/^o(1|3-mini)(-|$)/, REASONING],
  // o3, o4-mini, and the o-series to come (o5, o5-mini, o10…), taken for o3 until the table knows
  // them. The number ends the family's name, and has at most two digits: an Azure deployment called
  // `o365-assistant` is not one.
  [/^o\d{1,2}(-|$)/, REASONING_NO_STOP],
  // codex-mini-latest: an o4-mini tuned for Codex (OpenAI's model page: a reasoning model).
  [/^codex-/, REASONING_NO_STOP],
  // GPT-4o, GPT-4.1, GPT-4, GPT-3.5 (Azure's model name: gpt-35-turbo): chat models
  // (before the later generations: `gpt-35` is no generation 35);
  // `reasoning_effort` is refused ("Unsupported parameter: 'reasoning_effort' is not supported with this model.").
  [/^(gpt-4|gpt-3\.?5|chatgpt-4o)/, CHAT],
  // gpt-5-chat-latest is the chat model behind ChatGPT, not a reasoning model: it takes
  // temperature (LiteLLM issue #13781 after it was treated as GPT-5). So is a later gpt-N-chat.
  [new RegExp(`^gpt-${GPT_FROM_5}-chat`), CHAT],
  // GPT-5.1 and later (gpt-5.1, gpt-5.2, dated snapshots) default to reasoning effort `none` and
  // take temperature, top_p and logprobs then, only then (OpenAI's GPT-5.1 guide; vercel/ai #10932).
  // Their -codex, -pro and -chat variants are not in it: codex and pro always reason, and what
  // gpt-5.1-chat-latest takes is not documented, so it is left to a target's `capabilities`.
  // A later generation's point releases (gpt-6.1) are taken for GPT-5.1's.
  [new RegExp(`^gpt-${GPT_FROM_5}\\.\\d+(-\\d{4}-\\d{2}-\\d{2})?$`), REASONING_UNLESS_NONE],
  [new RegExp(`^gpt-${GPT_FROM_5}\\.\\d+-chat`), undefined],
  // gpt-5, gpt-5-mini, gpt-5-nano, gpt-5-codex, gpt-5-pro, gpt-5.1-codex…: always reason (OpenAI's
  // GPT-5 guide); the family refuses `stop`, GPT-5.1 and later even at effort `none`. A later
  // generation (gpt-6, gpt-6-mini) is taken for GPT-5: the safe guess, since sending a reasoning
  // model what only a chat model takes is a 400, while the other way round only drops a value.
  [new RegExp(`^gpt-${GPT_FROM_5}(?!\\d)`), REASONING_NO_STOP],
];

/** Provider types whose model ids are OpenAI's (Azure's deployments are usually named after the model). */
const KNOWN_IDS: ReadonlySet<string> = new Set(['openai', 'azure-openai']);

/** Looked up once per id: a call pays a Map read, not the table's regexes. Bounded, as ids may come from a pattern's `*`. */
const seen = new Map<string, ModelCapabilities | null>();
const SEEN_MAX = 1_000;

/**
 * What a target's model takes: the target's own `capabilities` when its config says, else the
 * table's family for an OpenAI or Azure OpenAI model id, else undefined (an OpenAI-compatible
 * server's ids are its own: only its config says).
 *
 * @example
 * capabilitiesOf('openai', 'o3-mini') // { reasoning: true }
 * capabilitiesOf('openai', 'o3') // { reasoning: true, refusesStop: true }
 * capabilitiesOf('azure-openai', 'prod-reasoner', { reasoning: true }) // { reasoning: true }
 * capabilitiesOf('azure-openai', 'prod-reasoner', { reasoning: true, stop: false }) // { reasoning: true, refusesStop: true }
 * capabilitiesOf('openai', 'ft:o3-mini-2025-01-31:acme::abc123') // { reasoning: true } (its base model's)
 * capabilitiesOf('openai', 'gpt-5-chat-latest') // { reasoning: false }
 * capabilitiesOf('openai', 'gpt-6-mini') // { reasoning: true, refusesStop: true } (taken for GPT-5)
 * capabilitiesOf('openai-compatible', 'o3') // undefined
 */
export function capabilitiesOf(providerType: string, modelId: string, own?: TargetCapabilitiesConfig): ModelCapabilities | undefined {
  if (own?.reasoning !== undefined) return own.stop === false ? (own.reasoning ? REASONING_NO_STOP : CHAT_NO_STOP) : own.reasoning ? REASONING : CHAT;
  if (!KNOWN_IDS.has(providerType)) return undefined;
  const known = seen.get(modelId);
  if (known !== undefined) return known ?? undefined;
  // A fine-tune (`ft:<base model>:<org>:<suffix>:<id>`) takes what its base model takes.
  const lower = modelId.toLowerCase();
  const id = lower.startsWith('ft:') ? lower.slice(3).split(':')[0]! : lower;
  const found = FAMILIES.find(([pattern]) => pattern.test(id))?.[1];
  if (seen.size >= SEEN_MAX) seen.clear();
  seen.set(modelId, found ?? null);
  return found;
}
