import { GatewayError } from '../http/errors';
import type { ModelCapabilities } from './capabilities';
import { mendBody, type MendSurface } from './mend';

const REASONING: ModelCapabilities = { reasoning: true };
const UNLESS_NONE: ModelCapabilities = { reasoning: true, samplesWithoutEffort: true };
const CHAT: ModelCapabilities = { reasoning: false };
const NO_STOP: ModelCapabilities = { reasoning: true, refusesStop: true };
const UNLESS_NONE_NO_STOP: ModelCapabilities = { reasoning: true, samplesWithoutEffort: true, refusesStop: true };
const messages = [{ role: 'user', content: 'hi' }];

describe('mendBody, case by case', () => {
  // [case, surface, model's capabilities, body sent, body that goes on, changes]
  it.each<[string, MendSurface, ModelCapabilities, Record<string, unknown>, Record<string, unknown>, string[]]>([
    // Chat Completions to a reasoning model (o3, gpt-5)
    ['max_tokens renamed', 'openai', REASONING, { messages, max_tokens: 4096 }, { messages, max_completion_tokens: 4096 }, ['maxOutputTokens:renamed']],
    ['max_tokens yields to the client’s max_completion_tokens', 'openai', REASONING, { max_tokens: 100, max_completion_tokens: 5000 }, { max_completion_tokens: 5000 }, ['maxOutputTokens:renamed']],
    ['a null max_tokens left alone', 'openai', REASONING, { max_tokens: null }, { max_tokens: null }, []],
    ['temperature other than 1 dropped', 'openai', REASONING, { temperature: 0.2 }, {}, ['temperature:dropped']],
    ['temperature 1, the default it accepts, kept', 'openai', REASONING, { temperature: 1 }, { temperature: 1 }, []],
    ['top_p other than 1 dropped, 1 kept', 'openai', REASONING, { top_p: 0.9 }, {}, ['topP:dropped']],
    ['top_p 1 kept', 'openai', REASONING, { top_p: 1 }, { top_p: 1 }, []],
    ['penalties other than 0 dropped', 'openai', REASONING, { presence_penalty: 0.5, frequency_penalty: -0.1 }, {}, ['presence_penalty:dropped', 'frequency_penalty:dropped']],
    ['penalties of 0 kept', 'openai', REASONING, { presence_penalty: 0, frequency_penalty: 0 }, { presence_penalty: 0, frequency_penalty: 0 }, []],
    ['logprobs false kept', 'openai', REASONING, { logprobs: false }, { logprobs: false }, []],
    [
      'Cursor’s everything at once',
      'openai',
      REASONING,
      { model: 'o3', messages, max_tokens: 8000, temperature: 0, top_p: 1, presence_penalty: 0, frequency_penalty: 0.1, stream: true, reasoning_effort: 'high' },
      { model: 'o3', messages, max_completion_tokens: 8000, top_p: 1, presence_penalty: 0, stream: true, reasoning_effort: 'high' },
      ['maxOutputTokens:renamed', 'temperature:dropped', 'frequency_penalty:dropped'],
    ],
    // stop: o3, o4-mini, codex-mini and GPT-5 refuse it; o1 and o3-mini take it
    ['stop dropped where the model refuses it, to be emulated', 'openai', NO_STOP, { messages, stop: ['\nObservation:'], max_tokens: 10 }, { messages, max_completion_tokens: 10 }, ['maxOutputTokens:renamed', 'stop:emulated']],
    ['a stop of only empty sequences dropped, nothing to emulate', 'openai', NO_STOP, { stop: [''] }, {}, ['stop:dropped']],
    ['stop kept where the model takes it (o3-mini)', 'openai', REASONING, { stop: 'END' }, { stop: 'END' }, []],
    ['stop dropped on gpt-5.1 even while it does not reason', 'openai', UNLESS_NONE_NO_STOP, { stop: ['END'], temperature: 0.2 }, { temperature: 0.2 }, ['stop:emulated']],
    ['a null stop left alone', 'openai', NO_STOP, { stop: null }, { stop: null }, []],
    // A chat model whose target says `capabilities.stop: false`
    ['stop dropped on a chat model its target says refuses it, to be emulated', 'openai', { reasoning: false, refusesStop: true }, { messages, stop: 'END', temperature: 0.2 }, { messages, temperature: 0.2 }, ['stop:emulated']],
    ['stop kept on a chat model by default', 'openai', CHAT, { stop: 'END' }, { stop: 'END' }, []],
    ['reasoning_effort kept on a reasoning model', 'openai', REASONING, { reasoning_effort: 'low' }, { reasoning_effort: 'low' }, []],
    ['nothing to mend', 'openai', REASONING, { model: 'o3', messages, max_completion_tokens: 10 }, { model: 'o3', messages, max_completion_tokens: 10 }, []],
    // GPT-5.1 and later: sampling while it does not reason
    ['gpt-5.1 without effort keeps temperature', 'openai', UNLESS_NONE, { temperature: 0.2, top_p: 0.5, max_tokens: 10 }, { temperature: 0.2, top_p: 0.5, max_completion_tokens: 10 }, ['maxOutputTokens:renamed']],
    ['gpt-5.1 at effort none keeps temperature', 'openai', UNLESS_NONE, { temperature: 0.2, reasoning_effort: 'none' }, { temperature: 0.2, reasoning_effort: 'none' }, []],
    ['gpt-5.1 reasoning drops temperature', 'openai', UNLESS_NONE, { temperature: 0.2, reasoning_effort: 'medium' }, { reasoning_effort: 'medium' }, ['temperature:dropped']],
    // Chat Completions to a chat model (gpt-4o)
    ['reasoning_effort dropped', 'openai', CHAT, { messages, reasoning_effort: 'high', temperature: 0.2, max_tokens: 5 }, { messages, temperature: 0.2, max_tokens: 5 }, ['reasoningEffort:dropped']],
    ['a chat model keeps its sampling', 'openai', CHAT, { temperature: 0.2, top_p: 0.5, presence_penalty: 1 }, { temperature: 0.2, top_p: 0.5, presence_penalty: 1 }, []],
    // Responses
    ['responses: temperature and top_p dropped on a reasoning model', 'openai-responses', REASONING, { input: 'x', temperature: 0.7, top_p: 0.9, max_output_tokens: 10 }, { input: 'x', max_output_tokens: 10 }, ['temperature:dropped', 'topP:dropped']],
    ['responses: gpt-5.1 without effort keeps temperature', 'openai-responses', UNLESS_NONE, { temperature: 0.7, reasoning: { summary: 'auto' } }, { temperature: 0.7, reasoning: { summary: 'auto' } }, []],
    ['responses: gpt-5.1 reasoning drops it', 'openai-responses', UNLESS_NONE, { temperature: 0.7, reasoning: { effort: 'high' } }, { reasoning: { effort: 'high' } }, ['temperature:dropped']],
    ['responses: reasoning dropped on a chat model', 'openai-responses', CHAT, { input: 'x', reasoning: { effort: 'low' } }, { input: 'x' }, ['reasoningEffort:dropped']],
    // Codex asks every model for its encrypted reasoning (stateless turns); chat models refuse the include
    [
      'responses: Codex’s encrypted reasoning dropped on a chat model with its effort',
      'openai-responses',
      CHAT,
      { input: 'x', store: false, reasoning: { effort: 'medium', summary: 'auto' }, include: ['reasoning.encrypted_content'] },
      { input: 'x', store: false },
      ['reasoningEffort:dropped', 'reasoning.encrypted_content:dropped'],
    ],
    [
      'responses: the rest of include kept on a chat model',
      'openai-responses',
      CHAT,
      { input: 'x', include: ['message.output_text.logprobs', 'reasoning.encrypted_content'] },
      { input: 'x', include: ['message.output_text.logprobs'] },
      ['reasoning.encrypted_content:dropped'],
    ],
    ['responses: an include without it left alone on a chat model', 'openai-responses', CHAT, { include: ['file_search_call.results'] }, { include: ['file_search_call.results'] }, []],
    ['responses: encrypted reasoning kept on a reasoning model', 'openai-responses', REASONING, { include: ['reasoning.encrypted_content'] }, { include: ['reasoning.encrypted_content'] }, []],
  ])('%s', (_case, surface, capabilities, body, expected, changes) => {
    const before = structuredClone(body);

    const out = mendBody(surface, body, capabilities, 'm');

    expect(out.body).toEqual(expected);
    expect(out.changes).toEqual(changes);
    expect(body).toEqual(before);
  });

  it.each<[string, unknown, readonly string[] | undefined]>([
    ['a string', 'END', ['END']],
    ['an array, less its empty sequences, whitespace kept', ['\nObservation:', '', '\n'], ['\nObservation:', '\n']],
    ['only empty sequences', ['', ''], undefined],
    ['an empty string', '', undefined],
  ])('hands back the stop sequences it dropped from %s, for the gateway to cut the answer at', (_case, stop, expected) => {
    const out = mendBody('openai', { messages, stop }, NO_STOP, 'o3');

    expect(out.stop).toEqual(expected);
    expect(out.body).not.toHaveProperty('stop');
  });

  it('hands back no stop sequences where the model takes stop', () => {
    expect(mendBody('openai', { messages, stop: 'END', max_tokens: 5 }, REASONING, 'o3-mini').stop).toBeUndefined();
  });

  it('hands back the very body when nothing needs mending, so its bytes can go as they are', () => {
    const body = { model: 'o3', messages, max_completion_tokens: 10, temperature: 1 };

    expect(mendBody('openai', body, REASONING, 'o3').body).toBe(body);
    expect(mendBody('openai', { messages }, CHAT, 'gpt-4o').changes).toEqual([]);
  });

  it('refuses logprobs on a reasoning model with a 400 naming it, since the answer could not carry them', () => {
    const refused = () => mendBody('openai', { messages, logprobs: true, top_logprobs: 3 }, REASONING, 'o3');

    expect(refused).toThrow(GatewayError);
    expect(refused).toThrow(expect.objectContaining({ status: 400, param: 'logprobs', code: 'unsupported_parameter' }));
    expect(refused).toThrow(/`o3`/);
  });
});
