import { capabilitiesOf, type ModelCapabilities } from './capabilities';

const REASONING: ModelCapabilities = { reasoning: true };
const UNLESS_NONE: ModelCapabilities = { reasoning: true, samplesWithoutEffort: true, refusesStop: true };
// o3, o4-mini, codex-mini and GPT-5 also refuse `stop` (o1 and o3-mini take it).
const NO_STOP: ModelCapabilities = { reasoning: true, refusesStop: true };
const CHAT: ModelCapabilities = { reasoning: false };

describe('capabilitiesOf, by upstream model id', () => {
  // [provider type, model id, what it takes]
  it.each<[string, string, ModelCapabilities | undefined]>([
    ['openai', 'o1', REASONING],
    ['openai', 'o1-mini', REASONING],
    ['openai', 'o3', NO_STOP],
    ['openai', 'o3-mini-2025-01-31', REASONING],
    ['openai', 'o3-2025-04-16', NO_STOP],
    ['openai', 'o1-pro', REASONING],
    ['openai', 'o3-pro', NO_STOP],
    ['openai', 'o4-mini', NO_STOP],
    ['openai', 'codex-mini-latest', NO_STOP],
    ['openai', 'gpt-5', NO_STOP],
    ['openai', 'gpt-5-mini', NO_STOP],
    ['openai', 'gpt-5-nano-2025-08-07', NO_STOP],
    ['openai', 'gpt-5-codex', NO_STOP],
    ['openai', 'gpt-5.1-codex', NO_STOP],
    ['openai', 'gpt-5.2-pro', NO_STOP],
    ['openai', 'gpt-5.1', UNLESS_NONE],
    ['openai', 'gpt-5.2-2025-12-11', UNLESS_NONE],
    ['openai', 'ft:o4-mini-2025-04-16:acme::abc123', NO_STOP],
    // A fine-tune takes what its base model takes: o3-mini takes `stop`, GPT-5.1 samples at effort none.
    ['openai', 'ft:o3-mini-2025-01-31:acme::abc123', REASONING],
    ['openai', 'ft:gpt-5.1-2025-11-13:acme:support:abc123', UNLESS_NONE],
    ['openai', 'ft:gpt-4o-mini-2024-07-18:acme::abc123', CHAT],
    // gpt-5-chat-latest is a chat model; gpt-5.1-chat-latest is not documented either way.
    ['openai', 'gpt-5-chat-latest', CHAT],
    ['openai', 'gpt-5.1-chat-latest', undefined],
    ['openai', 'gpt-4o', CHAT],
    ['openai', 'gpt-4o-mini', CHAT],
    ['openai', 'gpt-4.1-nano', CHAT],
    ['openai', 'chatgpt-4o-latest', CHAT],
    ['openai', 'gpt-3.5-turbo', CHAT],
    ['openai', 'omni-moderation-latest', undefined],
    ['openai', 'text-embedding-3-small', undefined],
    // Azure deployments named after their model are known; others are not.
    ['azure-openai', 'O3-Mini', REASONING],
    ['azure-openai', 'o4-mini', NO_STOP],
    ['azure-openai', 'gpt-4o', CHAT],
    // Azure names GPT-3.5 without the dot.
    ['azure-openai', 'gpt-35-turbo', CHAT],
    ['azure-openai', 'prod-reasoner', undefined],
    // A deployment whose name only starts with o and a digit is no o-series model.
    ['azure-openai', 'o365-assistant', undefined],
    ['openai', 'o1-preview-2024-09-12', REASONING],
    // An OpenAI-compatible server's ids are its own.
    ['openai-compatible', 'o3', undefined],
    ['openai-compatible', 'gpt-4o', undefined],
    // Generations the table does not know yet, taken for their nearest sibling in the same naming scheme.
    ['openai', 'o5', NO_STOP],
    ['openai', 'o5-mini-2027-01-01', NO_STOP],
    ['openai', 'o10-pro', NO_STOP],
    ['azure-openai', 'o6', NO_STOP],
    ['openai', 'gpt-6', NO_STOP],
    ['openai', 'gpt-6-mini', NO_STOP],
    ['openai', 'gpt-6-codex', NO_STOP],
    ['openai', 'gpt-7-nano-2028-02-02', NO_STOP],
    ['openai', 'gpt-12', NO_STOP],
    ['openai', 'gpt-6.1', UNLESS_NONE],
    ['openai', 'gpt-6.2-2027-06-01', UNLESS_NONE],
    ['openai', 'gpt-6.1-pro', NO_STOP],
    ['openai', 'gpt-6-chat-latest', CHAT],
    ['openai', 'gpt-6.1-chat-latest', undefined],
    ['openai', 'ft:gpt-6-mini:acme::abc', NO_STOP],
    // Not generations: a number too long for one, and GPT-4's point releases.
    ['azure-openai', 'gpt-500-internal', undefined],
    ['openai', 'gpt-4.5-preview', CHAT],
    ['azure-openai', 'o100-assistant', undefined],
    // Azure deployments named without the dash still read as GPT-5, as before.
    ['azure-openai', 'gpt-5mini', NO_STOP],
  ])('%s %s', (type, model, expected) => {
    expect(capabilitiesOf(type, model)).toEqual(expected);
  });

  it('takes the target’s own capabilities over the table, on any provider type', () => {
    expect(capabilitiesOf('azure-openai', 'prod-reasoner', { reasoning: true })).toEqual(REASONING);
    expect(capabilitiesOf('openai-compatible', 'qwen3', { reasoning: false })).toEqual(CHAT);
    expect(capabilitiesOf('openai', 'o3', { reasoning: false })).toEqual(CHAT);
    // A generation the table would guess at is what its target says it is.
    expect(capabilitiesOf('openai', 'gpt-6', { reasoning: false })).toEqual(CHAT);
    expect(capabilitiesOf('azure-openai', 'o5', { reasoning: true })).toEqual(REASONING);
  });

  it('takes a target’s `stop: false` as a model that refuses `stop`, reasoning or not; `stop: true` as one that takes it', () => {
    expect(capabilitiesOf('azure-openai', 'prod-reasoner', { reasoning: true, stop: false })).toEqual(NO_STOP);
    expect(capabilitiesOf('openai-compatible', 'strict-llm', { reasoning: false, stop: false })).toEqual({ reasoning: false, refusesStop: true });
    expect(capabilitiesOf('openai', 'o3', { reasoning: true, stop: true })).toEqual(REASONING);
  });

  it('answers the same for an id looked up again, from its memo', () => {
    const first = capabilitiesOf('openai', 'o4-mini-2025-04-16');

    const again = capabilitiesOf('openai', 'o4-mini-2025-04-16');

    expect(again).toBe(first);
  });
});
