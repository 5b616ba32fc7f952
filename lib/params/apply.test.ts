import type { ParamPolicyConfig } from '../config/schema';
import { applyParams } from './apply';
import { PARAM_FIELDS } from './fields';

const DEFAULTS: ParamPolicyConfig = { defaults: { temperature: 0.2, topP: 0.9, maxOutputTokens: 1000, reasoningEffort: 'low' } };
const FORCE: ParamPolicyConfig = { force: { temperature: 0, topP: 0.5, maxOutputTokens: 2000, reasoningEffort: 'high' } };
const CAP: ParamPolicyConfig = { caps: { maxOutputTokens: 8192 } };

describe('applyParams, surface by surface', () => {
  // [surface, body the client sent, policy, body that goes on, changes]
  it.each<[string, string, Record<string, unknown>, ParamPolicyConfig, Record<string, unknown>, string[]]>([
    // OpenAI Chat Completions
    ['chat: defaults fill what is absent', 'openai', {}, DEFAULTS, { temperature: 0.2, top_p: 0.9, max_completion_tokens: 1000, reasoning_effort: 'low' }, ['maxOutputTokens:defaulted', 'reasoningEffort:defaulted', 'temperature:defaulted', 'topP:defaulted']],
    ['chat: defaults leave what is present', 'openai', { temperature: 1, top_p: 1, max_tokens: 50, reasoning_effort: 'medium' }, DEFAULTS, { temperature: 1, top_p: 1, max_tokens: 50, reasoning_effort: 'medium' }, []],
    ['chat: null counts as absent', 'openai', { temperature: null }, { defaults: { temperature: 0.2 } }, { temperature: 0.2 }, ['temperature:defaulted']],
    ['chat: force replaces, legacy max_tokens where it was', 'openai', { temperature: 1, top_p: 1, max_tokens: 50, reasoning_effort: 'low' }, FORCE, { temperature: 0, top_p: 0.5, max_tokens: 2000, reasoning_effort: 'high' }, ['maxOutputTokens:forced', 'reasoningEffort:forced', 'temperature:forced', 'topP:forced']],
    ['chat: force sets what is absent', 'openai', {}, FORCE, { temperature: 0, top_p: 0.5, max_completion_tokens: 2000, reasoning_effort: 'high' }, ['maxOutputTokens:forced', 'reasoningEffort:forced', 'temperature:forced', 'topP:forced']],
    ['chat: a forced value already sent is no change', 'openai', { temperature: 0 }, { force: { temperature: 0 } }, { temperature: 0 }, []],
    ['chat: cap lowers max_completion_tokens', 'openai', { max_completion_tokens: 32000 }, CAP, { max_completion_tokens: 8192 }, ['maxOutputTokens:capped']],
    ['chat: cap lowers both when both are sent', 'openai', { max_completion_tokens: 32000, max_tokens: 9000 }, CAP, { max_completion_tokens: 8192, max_tokens: 8192 }, ['maxOutputTokens:capped']],
    ['chat: cap leaves a smaller value', 'openai', { max_tokens: 100 }, CAP, { max_tokens: 100 }, []],
    ['chat: cap fills an absent limit', 'openai', {}, CAP, { max_completion_tokens: 8192 }, ['maxOutputTokens:capped']],
    ['chat: a default under the cap', 'openai', {}, { defaults: { maxOutputTokens: 4096 }, caps: { maxOutputTokens: 8192 } }, { max_completion_tokens: 4096 }, ['maxOutputTokens:defaulted']],
    // Responses
    ['responses: defaults, reasoning created', 'openai-responses', {}, DEFAULTS, { temperature: 0.2, top_p: 0.9, max_output_tokens: 1000, reasoning: { effort: 'low' } }, ['maxOutputTokens:defaulted', 'reasoningEffort:defaulted', 'temperature:defaulted', 'topP:defaulted']],
    ['responses: a default effort joins the client’s reasoning object', 'openai-responses', { reasoning: { summary: 'auto' } }, DEFAULTS, { temperature: 0.2, top_p: 0.9, max_output_tokens: 1000, reasoning: { summary: 'auto', effort: 'low' } }, ['maxOutputTokens:defaulted', 'reasoningEffort:defaulted', 'temperature:defaulted', 'topP:defaulted']],
    ['responses: present values kept', 'openai-responses', { temperature: 1, top_p: 1, max_output_tokens: 5, reasoning: { effort: 'high' } }, DEFAULTS, { temperature: 1, top_p: 1, max_output_tokens: 5, reasoning: { effort: 'high' } }, []],
    ['responses: forced', 'openai-responses', { temperature: 1, reasoning: { effort: 'minimal', summary: 'auto' } }, FORCE, { temperature: 0, top_p: 0.5, max_output_tokens: 2000, reasoning: { effort: 'high', summary: 'auto' } }, ['maxOutputTokens:forced', 'reasoningEffort:forced', 'temperature:forced', 'topP:forced']],
    ['responses: capped', 'openai-responses', { max_output_tokens: 10000 }, CAP, { max_output_tokens: 8192 }, ['maxOutputTokens:capped']],
    // Anthropic Messages (no reasoningEffort)
    // Claude Sonnet 4.5 and later refuse temperature and top_p together: the policy adds neither beside the other.
    ['messages: defaults, effort not applied, temperature rather than top_p', 'anthropic', { max_tokens: 100 }, DEFAULTS, { max_tokens: 100, temperature: 0.2 }, ['temperature:defaulted']],
    ['messages: present values kept', 'anthropic', { max_tokens: 100, temperature: 1, top_p: 1 }, DEFAULTS, { max_tokens: 100, temperature: 1, top_p: 1 }, []],
    ['messages: forced, no top_p beside the client’s temperature', 'anthropic', { max_tokens: 100, temperature: 1 }, FORCE, { max_tokens: 2000, temperature: 0 }, ['maxOutputTokens:forced', 'temperature:forced']],
    ['messages: no temperature beside the client’s top_p', 'anthropic', { max_tokens: 100, top_p: 0.8 }, { force: { temperature: 0 }, defaults: { topP: 0.9 } }, { max_tokens: 100, top_p: 0.8 }, []],
    ['messages: both forced where the client sent both', 'anthropic', { max_tokens: 100, temperature: 1, top_p: 1 }, FORCE, { max_tokens: 2000, temperature: 0, top_p: 0.5 }, ['maxOutputTokens:forced', 'temperature:forced', 'topP:forced']],
    ['messages: capped', 'anthropic', { max_tokens: 32000 }, CAP, { max_tokens: 8192 }, ['maxOutputTokens:capped']],
    // Gemini generateContent
    ['gemini: generationConfig created', 'gemini', { contents: [] }, DEFAULTS, { contents: [], generationConfig: { temperature: 0.2, topP: 0.9, maxOutputTokens: 1000, thinkingConfig: { thinkingBudget: 1024 } } }, ['maxOutputTokens:defaulted', 'reasoningEffort:defaulted', 'temperature:defaulted', 'topP:defaulted']],
    ['gemini: the client’s generationConfig kept beside', 'gemini', { generationConfig: { stopSequences: ['x'], thinkingConfig: { includeThoughts: true } } }, { defaults: { reasoningEffort: 'medium' } }, { generationConfig: { stopSequences: ['x'], thinkingConfig: { includeThoughts: true, thinkingBudget: 8192 } } }, ['reasoningEffort:defaulted']],
    ['gemini: a thinking budget of 0 is sent, not absent', 'gemini', { generationConfig: { thinkingConfig: { thinkingBudget: 0 } } }, DEFAULTS, { generationConfig: { thinkingConfig: { thinkingBudget: 0 }, temperature: 0.2, topP: 0.9, maxOutputTokens: 1000 } }, ['maxOutputTokens:defaulted', 'temperature:defaulted', 'topP:defaulted']],
    ['gemini: forced, a level where the client sent a level', 'gemini', { generationConfig: { temperature: 1, thinkingConfig: { thinkingLevel: 'LOW' } } }, FORCE, { generationConfig: { temperature: 0, topP: 0.5, maxOutputTokens: 2000, thinkingConfig: { thinkingLevel: 'HIGH' } } }, ['maxOutputTokens:forced', 'reasoningEffort:forced', 'temperature:forced', 'topP:forced']],
    ['gemini: forced effort replaces a budget', 'gemini', { generationConfig: { thinkingConfig: { thinkingBudget: 100 } } }, { force: { reasoningEffort: 'high' } }, { generationConfig: { thinkingConfig: { thinkingBudget: 24576 } } }, ['reasoningEffort:forced']],
    ['gemini: capped', 'gemini', { generationConfig: { maxOutputTokens: 65536 } }, CAP, { generationConfig: { maxOutputTokens: 8192 } }, ['maxOutputTokens:capped']],
    ['gemini: cap fills', 'gemini', {}, CAP, { generationConfig: { maxOutputTokens: 8192 } }, ['maxOutputTokens:capped']],
    // Gemini takes snake_case spellings too (generation_config, max_output_tokens…): a value there is capped where it is.
    ['gemini: a snake_case limit capped where it is', 'gemini', { generation_config: { max_output_tokens: 65536 } }, CAP, { generation_config: { max_output_tokens: 8192 } }, ['maxOutputTokens:capped']],
    ['gemini: a snake_case field in generationConfig capped where it is', 'gemini', { generationConfig: { max_output_tokens: 65536 } }, CAP, { generationConfig: { max_output_tokens: 8192 } }, ['maxOutputTokens:capped']],
    ['gemini: defaults join the client’s snake_case generation_config', 'gemini', { generation_config: { temperature: 1 } }, { defaults: { topP: 0.9, maxOutputTokens: 100 } }, { generation_config: { temperature: 1, top_p: 0.9, max_output_tokens: 100 } }, ['maxOutputTokens:defaulted', 'topP:defaulted']],
    ['gemini: a snake_case thinking level forced as a level', 'gemini', { generation_config: { thinking_config: { thinking_level: 'LOW' } } }, { force: { reasoningEffort: 'high' } }, { generation_config: { thinking_config: { thinking_level: 'HIGH' } } }, ['reasoningEffort:forced']],
    ['gemini: a default budget joins the client’s snake_case thinking_config', 'gemini', { generation_config: { thinking_config: { include_thoughts: true } } }, { defaults: { reasoningEffort: 'low' } }, { generation_config: { thinking_config: { include_thoughts: true, thinking_budget: 1024 } } }, ['reasoningEffort:defaulted']],
    // Legacy completions (no reasoningEffort)
    ['completions: defaults', 'openai-completions', { prompt: 'x' }, DEFAULTS, { prompt: 'x', temperature: 0.2, top_p: 0.9, max_tokens: 1000 }, ['maxOutputTokens:defaulted', 'temperature:defaulted', 'topP:defaulted']],
    ['completions: present kept', 'openai-completions', { max_tokens: 16, temperature: 1, top_p: 1 }, DEFAULTS, { max_tokens: 16, temperature: 1, top_p: 1 }, []],
    ['completions: forced', 'openai-completions', { max_tokens: 16, temperature: 1 }, FORCE, { max_tokens: 2000, temperature: 0, top_p: 0.5 }, ['maxOutputTokens:forced', 'temperature:forced', 'topP:forced']],
    ['completions: capped', 'openai-completions', { max_tokens: 9000 }, CAP, { max_tokens: 8192 }, ['maxOutputTokens:capped']],
    // OpenAI's and vLLM's completions default to 16 tokens: a cap filled in would raise the call's output, not bound it.
    ['completions: a cap does not fill an absent limit', 'openai-completions', { prompt: 'x' }, CAP, { prompt: 'x' }, []],
    // Surfaces without parameters
    ['embeddings: untouched', 'openai-embeddings', { input: 'x' }, { ...DEFAULTS, ...CAP }, { input: 'x' }, []],
    ['images: untouched', 'openai-images', { prompt: 'x' }, FORCE, { prompt: 'x' }, []],
  ])('%s', (_name, surface, body, policy, expected, changes) => {
    const before = structuredClone(body);

    const applied = applyParams(surface, body, policy);

    expect(applied.body).toEqual(expected);
    expect(applied.changes).toEqual(changes);
    expect(body).toEqual(before);
    if (changes.length === 0) expect(applied.body).toBe(body);
  });
});

describe('applyParams on Anthropic bodies with thinking', () => {
  const thinking = (budget: number) => ({ type: 'enabled', budget_tokens: budget });

  it.each<[string, Record<string, unknown>, ParamPolicyConfig, Record<string, unknown>, string[]]>([
    ["lowers Claude Code's budget with a capped max_tokens, keeping it below", { max_tokens: 32000, thinking: thinking(31999) }, CAP, { max_tokens: 8192, thinking: thinking(8191) }, ['maxOutputTokens:capped', 'thinking:lowered']],
    ['scales a budget with max_tokens', { max_tokens: 32000, thinking: thinking(16000) }, { force: { maxOutputTokens: 4000 } }, { max_tokens: 4000, thinking: thinking(2000) }, ['maxOutputTokens:forced', 'thinking:lowered']],
    ['keeps a budget that still fits', { max_tokens: 32000, thinking: thinking(4000) }, CAP, { max_tokens: 8192, thinking: thinking(4000) }, ['maxOutputTokens:capped']],
    ['keeps the budget at least 1024', { max_tokens: 32000, thinking: thinking(2000) }, { caps: { maxOutputTokens: 1500 } }, { max_tokens: 1500, thinking: thinking(1024) }, ['maxOutputTokens:capped', 'thinking:lowered']],
    ['lowers an interleaved budget above max_tokens to just below it', { max_tokens: 16000, thinking: thinking(64000) }, CAP, { max_tokens: 8192, thinking: thinking(8191) }, ['maxOutputTokens:capped', 'thinking:lowered']],
    ['turns thinking off when no budget fits, and then applies temperature', { max_tokens: 32000, thinking: thinking(2000) }, { caps: { maxOutputTokens: 1024 }, force: { temperature: 0 } }, { max_tokens: 1024, temperature: 0 }, ['maxOutputTokens:capped', 'thinking:off', 'temperature:forced']],
    ['leaves thinking alone when max_tokens is raised', { max_tokens: 2000, thinking: thinking(1500) }, { force: { maxOutputTokens: 4000 } }, { max_tokens: 4000, thinking: thinking(1500) }, ['maxOutputTokens:forced']],
    ['sets no temperature or top_p while thinking is on', { max_tokens: 2000, thinking: thinking(1500) }, { force: { temperature: 0 }, defaults: { topP: 0.5 } }, { max_tokens: 2000, thinking: thinking(1500) }, []],
    ['nor with adaptive thinking', { max_tokens: 2000, thinking: { type: 'adaptive' } }, { force: { temperature: 0 } }, { max_tokens: 2000, thinking: { type: 'adaptive' } }, []],
    ['sets them with thinking disabled', { max_tokens: 2000, thinking: { type: 'disabled' } }, { force: { temperature: 0 } }, { max_tokens: 2000, thinking: { type: 'disabled' }, temperature: 0 }, ['temperature:forced']],
  ])('%s', (_name, body, policy, expected, changes) => {
    const applied = applyParams('anthropic', body, policy);

    expect(applied.body).toEqual(expected);
    expect(applied.changes).toEqual(changes);
    const out = applied.body as { max_tokens: number; thinking?: { type: string; budget_tokens?: number } };
    if (out.thinking?.type === 'enabled') {
      expect(out.thinking.budget_tokens).toBeGreaterThanOrEqual(1024);
      expect(out.thinking.budget_tokens).toBeLessThan(out.max_tokens);
    }
  });

  it.each<{ name: string; surface: string; body: Record<string, unknown>; filled: string[] }>([
    { name: 'an effort, a temperature and a forced top_p filled in, a limit capped where the client set one', surface: 'openai', body: { max_tokens: 32000 }, filled: ['reasoningEffort', 'temperature', 'topP'] },
    { name: 'a limit the cap set where the client named none, and a forced top_p it did not send', surface: 'openai', body: { temperature: 0.5, reasoning_effort: 'high' }, filled: ['maxOutputTokens', 'topP'] },
    { name: 'Gemini’s nested spots, none sent', surface: 'gemini', body: { contents: [] }, filled: ['maxOutputTokens', 'reasoningEffort', 'temperature', 'topP'] },
    { name: 'nothing, when the client sent every value', surface: 'openai-responses', body: { max_output_tokens: 10, reasoning: { effort: 'low' }, temperature: 1, top_p: 0.5 }, filled: [] },
  ])('names what it set where the client sent nothing (for a translator to give way on): $name', ({ surface, body, filled }) => {
    // Act
    const applied = applyParams(surface, body, { defaults: { reasoningEffort: 'low', temperature: 0.2 }, force: { topP: 0.9 }, caps: { maxOutputTokens: 100 } });

    // Assess
    expect(applied.filled).toEqual(filled);
  });

  it('says which value it left out beside the other sampling option, for the debug log', () => {
    expect(applyParams('anthropic', { max_tokens: 2000, top_p: 0.8 }, { force: { temperature: 0 } }).skipped).toEqual(['temperature:topP']);
  });

  it('says which values it left out for thinking, for the debug log', () => {
    expect(applyParams('anthropic', { max_tokens: 2000, thinking: thinking(1500) }, { force: { temperature: 0 }, defaults: { topP: 0.5 } }).skipped).toEqual(['temperature:thinking', 'topP:thinking']);
  });
});

describe('PARAM_FIELDS', () => {
  it('spells every parameter on every surface that has it, and reasoning effort only where the body takes an effort', () => {
    const spelled = Object.fromEntries(Object.entries(PARAM_FIELDS).map(([surface, fields]) => [surface, Object.fromEntries(Object.entries(fields).map(([param, spots]) => [param, spots!.map((s) => s.path.join('.'))]))]));

    expect(spelled).toEqual({
      openai: { temperature: ['temperature'], topP: ['top_p'], maxOutputTokens: ['max_completion_tokens', 'max_tokens'], reasoningEffort: ['reasoning_effort'] },
      'openai-responses': { temperature: ['temperature'], topP: ['top_p'], maxOutputTokens: ['max_output_tokens'], reasoningEffort: ['reasoning.effort'] },
      anthropic: { temperature: ['temperature'], topP: ['top_p'], maxOutputTokens: ['max_tokens'] },
      gemini: {
        temperature: ['generationConfig.temperature', 'generation_config.temperature'],
        topP: ['generationConfig.topP', 'generation_config.top_p', 'generationConfig.top_p', 'generation_config.topP'],
        maxOutputTokens: ['generationConfig.maxOutputTokens', 'generation_config.max_output_tokens', 'generationConfig.max_output_tokens', 'generation_config.maxOutputTokens'],
        reasoningEffort: [
          'generationConfig.thinkingConfig.thinkingBudget',
          'generation_config.thinking_config.thinking_budget',
          'generationConfig.thinkingConfig.thinking_budget',
          'generationConfig.thinking_config.thinkingBudget',
          'generationConfig.thinking_config.thinking_budget',
          'generation_config.thinkingConfig.thinkingBudget',
          'generation_config.thinkingConfig.thinking_budget',
          'generation_config.thinking_config.thinkingBudget',
          'generationConfig.thinkingConfig.thinkingLevel',
          'generation_config.thinking_config.thinking_level',
          'generationConfig.thinkingConfig.thinking_level',
          'generationConfig.thinking_config.thinkingLevel',
          'generationConfig.thinking_config.thinking_level',
          'generation_config.thinkingConfig.thinkingLevel',
          'generation_config.thinkingConfig.thinking_level',
          'generation_config.thinking_config.thinkingLevel',
        ],
      },
      'openai-completions': { temperature: ['temperature'], topP: ['top_p'], maxOutputTokens: ['max_tokens'] },
    });
  });
});
