import type { ChatRequest } from '../../canonical/types';
import { EFFORT_BUDGETS, geminiUrl, thinkingConfig, toGeminiRequest } from './request';

const HI = [{ role: 'user' as const, parts: [{ type: 'text' as const, text: 'Hi' }] }];
const base = (over: Partial<ChatRequest> = {}): ChatRequest => ({ model: 'gemini-2.5-flash', system: [], messages: HI, stream: false, ...over });
const WEATHER = { name: 'weather', description: 'Weather now', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }, strict: true };
const CLOCK = { name: 'clock', parameters: { type: 'object', properties: {} } };

type Case = { name: string; request: ChatRequest; expected: Record<string, unknown> };

const cases: Case[] = [
  {
    name: 'sends only contents for a bare request',
    request: base(),
    expected: { contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] },
  },
  {
    name: 'sends system prompts as systemInstruction parts, without empty ones or cache control',
    request: base({ system: [{ type: 'text', text: 'Be brief.' }, { type: 'text', text: '' }, { type: 'text', text: 'Be kind.', cacheControl: { type: 'ephemeral' } }] }),
    expected: { systemInstruction: { parts: [{ text: 'Be brief.' }, { text: 'Be kind.' }] } },
  },
  {
    name: 'maps sampling options and limits into generationConfig',
    request: base({ maxTokens: 100, temperature: 0.2, topP: 0.9, topK: 40, seed: 7, stop: ['END', '', 'STOP'], user: 'u-1' }),
    expected: { generationConfig: { maxOutputTokens: 100, temperature: 0.2, topP: 0.9, topK: 40, seed: 7, stopSequences: ['END', 'STOP'] } },
  },
  {
    name: 'asks for JSON for a json_object response format',
    request: base({ responseFormat: { type: 'json_object' } }),
    expected: { generationConfig: { responseMimeType: 'application/json' } },
  },
  {
    name: 'asks for JSON with a converted schema for a json_schema response format',
    request: base({ responseFormat: { type: 'json_schema', name: 'r', strict: true, schema: { type: 'object', properties: { ok: { type: 'boolean' } }, additionalProperties: false } } }),
    expected: { generationConfig: { responseMimeType: 'application/json', responseSchema: { type: 'OBJECT', properties: { ok: { type: 'BOOLEAN' } } } } },
  },
  {
    name: 'asks Gemini 2.5 for a JSON answer beside functions in words, which it refuses in generationConfig',
    request: base({ system: [{ type: 'text', text: 'Be brief.' }], tools: [WEATHER], responseFormat: { type: 'json_schema', name: 'r', schema: { type: 'object', properties: { ok: { type: 'boolean' } } } } }),
    expected: {
      systemInstruction: { parts: [{ text: 'Be brief.' }, { text: 'When you answer rather than call a function, answer with one JSON object that matches this JSON schema: {"type":"object","properties":{"ok":{"type":"boolean"}}} and nothing else.' }] },
      generationConfig: undefined,
    },
  },
  {
    name: 'asks Gemini 3 for a JSON answer beside functions in generationConfig, as it takes both',
    request: base({ model: 'gemini-3-pro-preview', tools: [WEATHER], responseFormat: { type: 'json_object' } }),
    expected: { systemInstruction: undefined, generationConfig: { responseMimeType: 'application/json' } },
  },
  {
    name: 'sends nothing for a text response format',
    request: base({ responseFormat: { type: 'text' } }),
    expected: { generationConfig: undefined },
  },
  {
    name: 'declares tools with cleaned parameters, and none for a tool that takes nothing',
    request: base({ tools: [WEATHER, CLOCK] }),
    expected: {
      tools: [
        {
          functionDeclarations: [
            { name: 'weather', description: 'Weather now', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'] } },
            { name: 'clock' },
          ],
        },
      ],
      toolConfig: undefined,
    },
  },
  { name: 'maps tool choice auto to AUTO', request: base({ tools: [WEATHER], toolChoice: { type: 'auto' } }), expected: { toolConfig: { functionCallingConfig: { mode: 'AUTO' } } } },
  { name: 'maps tool choice none to NONE', request: base({ tools: [WEATHER], toolChoice: { type: 'none' } }), expected: { toolConfig: { functionCallingConfig: { mode: 'NONE' } } } },
  { name: 'maps tool choice required to ANY', request: base({ tools: [WEATHER], toolChoice: { type: 'required' } }), expected: { toolConfig: { functionCallingConfig: { mode: 'ANY' } } } },
  {
    name: 'maps a named tool choice to ANY with that one allowed name',
    request: base({ tools: [WEATHER, CLOCK], toolChoice: { type: 'tool', name: 'clock' } }),
    expected: { toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['clock'] } } },
  },
  { name: 'ignores tool choice none without tools', request: base({ toolChoice: { type: 'none' } }), expected: { tools: undefined, toolConfig: undefined } },
  { name: 'accepts parallel tool calls allowed explicitly', request: base({ tools: [CLOCK], parallelToolCalls: true }), expected: { tools: [{ functionDeclarations: [{ name: 'clock' }] }] } },
  // Gemini has no such switch: the answer is held to one call instead (response.ts, stream.ts).
  { name: 'accepts parallel_tool_calls: false with tools', request: base({ tools: [CLOCK], parallelToolCalls: false }), expected: { tools: [{ functionDeclarations: [{ name: 'clock' }] }] } },
  {
    name: 'asks for a thinking budget and thought summaries when a budget is given',
    request: base({ reasoning: { budgetTokens: 2048, effort: 'high' } }),
    expected: { generationConfig: { thinkingConfig: { thinkingBudget: 2048, includeThoughts: true } } },
  },
];

describe('toGeminiRequest', () => {
  it.each(cases)('$name', ({ request, expected }) => {
    // Act
    const body = toGeminiRequest(request) as unknown as Record<string, unknown>;

    // Assess
    for (const [key, value] of Object.entries(expected)) expect(body[key]).toEqual(value);
  });

  it.each([
    { name: 'more than five stop sequences', request: base({ stop: ['a', 'b', 'c', 'd', 'e', 'f'] }), param: 'stop' },
    { name: 'a required tool choice without tools', request: base({ toolChoice: { type: 'required' } }), param: 'tool_choice' },
    { name: 'a named tool choice for a tool that is not defined', request: base({ tools: [WEATHER], toolChoice: { type: 'tool', name: 'nope' } }), param: 'tool_choice' },
    { name: 'messages that leave nothing to send', request: base({ messages: [{ role: 'user', parts: [{ type: 'text', text: '' }] }] }), param: 'messages' },
    {
      name: 'a recursive tool schema',
      request: base({ tools: [CLOCK, { name: 'tree', parameters: { $ref: '#/$defs/N', $defs: { N: { type: 'object', properties: { kids: { type: 'array', items: { $ref: '#/$defs/N' } } } } } } }] }),
      param: 'tools[1].function.parameters',
    },
  ])('refuses $name with a 400 naming the field and the provider', ({ request, param }) => {
    // Act
    const act = () => toGeminiRequest(request);

    // Assess
    expect(act).toThrow(expect.objectContaining({ status: 400, param, message: expect.stringMatching(/gemini|tool|request/) }));
  });
});

describe('stop sequences beyond Gemini’s five, where the caller cuts the answer at them itself', () => {
  it.each([
    { name: 'sends the first five and tells the caller all of them', stop: ['a', '', 'b', 'c', 'd', 'e', 'f', 'g'], sent: ['a', 'b', 'c', 'd', 'e'], told: [['a', 'b', 'c', 'd', 'e', 'f', 'g']] },
    { name: 'sends five as they are and tells the caller nothing', stop: ['a', 'b', 'c', 'd', 'e'], sent: ['a', 'b', 'c', 'd', 'e'], told: [] },
  ])('$name', ({ stop, sent, told }) => {
    // Prepare
    const emulated: (readonly string[])[] = [];

    // Act
    const body = toGeminiRequest(base({ stop }), (sequences) => emulated.push(sequences));

    // Assess
    expect(body.generationConfig?.stopSequences).toEqual(sent);
    expect(emulated).toEqual(told);
  });
});

describe('thinkingConfig', () => {
  it.each([
    { name: 'nothing without reasoning options', reasoning: undefined, model: 'gemini-2.5-pro', expected: undefined },
    { name: 'a budget of 0 with thoughts off', reasoning: { budgetTokens: 0 }, model: 'gemini-2.5-flash', expected: { thinkingBudget: 0, includeThoughts: false } },
    { name: 'a budget from the effort table on Gemini 2.5', reasoning: { effort: 'low' as const }, model: 'gemini-2.5-pro', expected: { thinkingBudget: EFFORT_BUDGETS.low, includeThoughts: true } },
    { name: 'a thinking level on Gemini 3', reasoning: { effort: 'medium' as const }, model: 'gemini-3-flash-preview', expected: { thinkingLevel: 'MEDIUM', includeThoughts: true } },
    { name: 'MINIMAL on Gemini 3 Flash, which takes it', reasoning: { effort: 'minimal' as const }, model: 'gemini-3-flash-preview', expected: { thinkingLevel: 'MINIMAL', includeThoughts: true } },
    { name: 'minimal as LOW on Gemini 3 Pro (LOW and HIGH only)', reasoning: { effort: 'minimal' as const }, model: 'gemini-3-pro-preview', expected: { thinkingLevel: 'LOW', includeThoughts: true } },
    { name: 'low as LOW on Gemini 3 Pro', reasoning: { effort: 'low' as const }, model: 'gemini-3-pro-preview', expected: { thinkingLevel: 'LOW', includeThoughts: true } },
    { name: 'medium as HIGH on Gemini 3 Pro', reasoning: { effort: 'medium' as const }, model: 'gemini-3-pro-preview', expected: { thinkingLevel: 'HIGH', includeThoughts: true } },
    { name: 'medium as HIGH on Gemini 3 Pro named with its collection', reasoning: { effort: 'medium' as const }, model: 'models/gemini-3-pro-preview', expected: { thinkingLevel: 'HIGH', includeThoughts: true } },
    { name: 'minimal as LOW on Gemini 3.1 Pro (LOW, MEDIUM and HIGH)', reasoning: { effort: 'minimal' as const }, model: 'gemini-3.1-pro-preview', expected: { thinkingLevel: 'LOW', includeThoughts: true } },
    { name: 'medium as MEDIUM on Gemini 3.1 Pro, which takes it', reasoning: { effort: 'medium' as const }, model: 'gemini-3.1-pro-preview', expected: { thinkingLevel: 'MEDIUM', includeThoughts: true } },
    { name: 'high as HIGH on Gemini 3 Pro', reasoning: { effort: 'high' as const }, model: 'gemini-3-pro-preview', expected: { thinkingLevel: 'HIGH', includeThoughts: true } },
    { name: 'the budget over the effort when both are given', reasoning: { effort: 'high' as const, budgetTokens: 500 }, model: 'gemini-3-pro', expected: { thinkingBudget: 500, includeThoughts: true } },
  ])('answers $name', ({ reasoning, model, expected }) => {
    expect(thinkingConfig(reasoning, model)).toEqual(expected);
  });
});

describe('geminiUrl', () => {
  it.each([
    { name: 'the generateContent URL', base: 'https://generativelanguage.googleapis.com', model: 'gemini-2.5-flash', stream: false, url: 'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent' },
    { name: 'the SSE stream URL', base: 'https://generativelanguage.googleapis.com/', model: 'gemini-2.5-flash', stream: true, url: 'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse' },
    { name: 'a model id that names its collection as is', base: 'http://127.0.0.1:9', model: 'tunedModels/my-model', stream: false, url: 'http://127.0.0.1:9/v1beta/tunedModels/my-model:generateContent' },
    { name: 'a model id with a models/ prefix without doubling it', base: 'http://127.0.0.1:9', model: 'models/gemini-2.0-flash', stream: false, url: 'http://127.0.0.1:9/v1beta/models/gemini-2.0-flash:generateContent' },
  ])('builds $name', ({ base: baseUrl, model, stream, url }) => {
    expect(geminiUrl(baseUrl, model, stream)).toBe(url);
  });
});
