import type { ChatRequest } from '../../canonical/types';
import { GatewayError } from '../../http/errors';
import { decodeGeminiRequest, validateGeminiRequest } from './decode';

const user = (...parts: Record<string, unknown>[]) => ({ role: 'user', parts });
const model = (...parts: Record<string, unknown>[]) => ({ role: 'model', parts });
const body = (over: Record<string, unknown> = {}) => ({ contents: [user({ text: 'Hi' })], ...over });

describe('decodeGeminiRequest', () => {
  it.each<{ name: string; input: Record<string, unknown>; expected: Partial<ChatRequest> }>([
    {
      name: 'reads a user turn of text, with no model (the URL names it) and no stream flag',
      input: body(),
      expected: { model: '', system: [], messages: [{ role: 'user', parts: [{ type: 'text', text: 'Hi' }] }], stream: false },
    },
    { name: 'takes a turn without a role as the user’s', input: { contents: [{ parts: [{ text: 'Hi' }] }] }, expected: { messages: [{ role: 'user', parts: [{ type: 'text', text: 'Hi' }] }] } },
    {
      name: 'reads model turns as the assistant’s and drops empty text',
      input: { contents: [user({ text: 'Hi' }), model({ text: '' }, { text: 'Hello' }), user({ text: 'Bye' })] },
      expected: { messages: [{ role: 'user', parts: [{ type: 'text', text: 'Hi' }] }, { role: 'assistant', parts: [{ type: 'text', text: 'Hello' }] }, { role: 'user', parts: [{ type: 'text', text: 'Bye' }] }] },
    },
    { name: 'reads systemInstruction as a Content', input: body({ systemInstruction: { role: 'user', parts: [{ text: 'Be terse.' }, { text: '' }] } }), expected: { system: [{ type: 'text', text: 'Be terse.' }] } },
    { name: 'reads systemInstruction as a string', input: body({ systemInstruction: 'Be terse.' }), expected: { system: [{ type: 'text', text: 'Be terse.' }] } },
    {
      name: 'reads inline images and PDFs, and plain text as a text document',
      input: { contents: [user({ inlineData: { mimeType: 'image/png', data: 'iVBO' } }, { inlineData: { mimeType: 'application/pdf', data: 'JVBE' } }, { inlineData: { mimeType: 'text/plain', data: Buffer.from('notes').toString('base64') } })] },
      expected: {
        messages: [
          {
            role: 'user',
            parts: [
              { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBO' } },
              { type: 'document', source: { kind: 'base64', mediaType: 'application/pdf', data: 'JVBE' } },
              { type: 'document', source: { kind: 'text', text: 'notes' } },
            ],
          },
        ],
      },
    },
    {
      name: 'reads fileData as a URL image or document',
      input: { contents: [user({ fileData: { mimeType: 'image/jpeg', fileUri: 'https://x.test/a.jpg' } }, { fileData: { mimeType: 'application/pdf', fileUri: 'https://x.test/a.pdf' } })] },
      expected: {
        messages: [{ role: 'user', parts: [{ type: 'image', source: { kind: 'url', url: 'https://x.test/a.jpg' } }, { type: 'document', source: { kind: 'url', url: 'https://x.test/a.pdf' } }] }],
      },
    },
    {
      name: 'gives function calls ids by position and pairs responses by name and order',
      input: {
        contents: [
          user({ text: 'Weather in Oslo and Rome?' }),
          model({ functionCall: { name: 'weather', args: { city: 'Oslo' } }, thoughtSignature: 'c2ln' }, { functionCall: { name: 'weather', args: { city: 'Rome' } } }),
          user({ functionResponse: { name: 'weather', response: { output: '12 °C' } } }, { functionResponse: { name: 'weather', response: { temp: 25 } } }),
        ],
      },
      expected: {
        messages: [
          { role: 'user', parts: [{ type: 'text', text: 'Weather in Oslo and Rome?' }] },
          {
            role: 'assistant',
            parts: [
              { type: 'tool_call', id: 'call_1_0', name: 'weather', arguments: '{"city":"Oslo"}', signature: 'c2ln' },
              { type: 'tool_call', id: 'call_1_1', name: 'weather', arguments: '{"city":"Rome"}' },
            ],
          },
          {
            role: 'user',
            parts: [
              { type: 'tool_result', toolCallId: 'call_1_0', name: 'weather', content: '12 °C' },
              { type: 'tool_result', toolCallId: 'call_1_1', name: 'weather', content: '{"temp":25}' },
            ],
          },
        ],
      },
    },
    {
      name: 'keeps ids the client sent and pairs a response by its id first',
      input: {
        contents: [
          user({ text: 'q' }),
          model({ functionCall: { id: 'toolu_a', name: 'f', args: {} } }, { functionCall: { id: 'toolu_b', name: 'f' } }),
          user({ functionResponse: { id: 'toolu_b', name: 'f', response: { error: 'boom' } } }, { functionResponse: { name: 'f', response: {} } }),
        ],
      },
      expected: {
        messages: [
          { role: 'user', parts: [{ type: 'text', text: 'q' }] },
          { role: 'assistant', parts: [{ type: 'tool_call', id: 'toolu_a', name: 'f', arguments: '{}' }, { type: 'tool_call', id: 'toolu_b', name: 'f', arguments: '{}' }] },
          { role: 'user', parts: [{ type: 'tool_result', toolCallId: 'toolu_b', name: 'f', content: 'boom', isError: true }, { type: 'tool_result', toolCallId: 'toolu_a', name: 'f', content: '{}' }] },
        ],
      },
    },
    {
      name: 'leaves a call that a later response of the turn names by id to that response, when an earlier one names only the function',
      input: {
        contents: [
          user({ text: 'q' }),
          model({ functionCall: { id: 'toolu_a', name: 'f', args: { n: 1 } } }, { functionCall: { id: 'toolu_b', name: 'f', args: { n: 2 } } }),
          user({ functionResponse: { name: 'f', response: { output: 'two' } } }, { functionResponse: { id: 'toolu_a', name: 'f', response: { output: 'one' } } }),
        ],
      },
      expected: {
        messages: [
          { role: 'user', parts: [{ type: 'text', text: 'q' }] },
          { role: 'assistant', parts: [{ type: 'tool_call', id: 'toolu_a', name: 'f', arguments: '{"n":1}' }, { type: 'tool_call', id: 'toolu_b', name: 'f', arguments: '{"n":2}' }] },
          { role: 'user', parts: [{ type: 'tool_result', toolCallId: 'toolu_b', name: 'f', content: 'two' }, { type: 'tool_result', toolCallId: 'toolu_a', name: 'f', content: 'one' }] },
        ],
      },
    },
    {
      name: 'reads thought parts as thinking with their signature, and drops a bare signature part',
      input: { contents: [user({ text: 'q' }), model({ text: 'Let me think', thought: true, thoughtSignature: 'sig' }, { thoughtSignature: 'x' }, { text: 'A' })] },
      expected: {
        messages: [
          { role: 'user', parts: [{ type: 'text', text: 'q' }] },
          { role: 'assistant', parts: [{ type: 'thinking', text: 'Let me think', signature: 'sig' }, { type: 'text', text: 'A' }] },
        ],
      },
    },
    {
      name: 'reads function declarations in Gemini’s schema and in JSON Schema',
      input: body({
        tools: [
          {
            functionDeclarations: [
              { name: 'a', description: 'A', parameters: { type: 'OBJECT', properties: { q: { type: 'STRING', nullable: true } }, required: ['q'] } },
              { name: 'b', parametersJsonSchema: { type: 'object', properties: { n: { type: 'integer' } }, additionalProperties: false } },
              { name: 'c' },
            ],
          },
        ],
      }),
      expected: {
        tools: [
          { name: 'a', description: 'A', parameters: { type: 'object', properties: { q: { type: ['string', 'null'] } }, required: ['q'] } },
          { name: 'b', parameters: { type: 'object', properties: { n: { type: 'integer' } }, additionalProperties: false } },
          { name: 'c', parameters: { type: 'object', properties: {} } },
        ],
      },
    },
    { name: 'reads mode AUTO', input: body({ toolConfig: { functionCallingConfig: { mode: 'AUTO' } } }), expected: { toolChoice: { type: 'auto' } } },
    { name: 'reads mode ANY as required', input: body({ toolConfig: { functionCallingConfig: { mode: 'ANY' } } }), expected: { toolChoice: { type: 'required' } } },
    { name: 'reads mode ANY with one allowed name as that tool', input: body({ toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['f'] } } }), expected: { toolChoice: { type: 'tool', name: 'f' } } },
    { name: 'reads mode NONE', input: body({ toolConfig: { functionCallingConfig: { mode: 'NONE' } } }), expected: { toolChoice: { type: 'none' } } },
    {
      name: 'reads generationConfig’s limits and sampling, and ignores safetySettings',
      input: body({ generationConfig: { maxOutputTokens: 100, temperature: 0.2, topP: 0.9, topK: 40, seed: 7, stopSequences: ['END', ''], candidateCount: 1 }, safetySettings: [{ category: 'HARM_CATEGORY_HATE_SPEECH', threshold: 'OFF' }] }),
      expected: { maxTokens: 100, temperature: 0.2, topP: 0.9, topK: 40, seed: 7, stop: ['END'] },
    },
    {
      name: 'reads JSON output with a Gemini responseSchema as a json_schema format',
      input: body({ generationConfig: { responseMimeType: 'application/json', responseSchema: { type: 'OBJECT', properties: { city: { type: 'STRING' } } } } }),
      expected: { responseFormat: { type: 'json_schema', name: 'response', schema: { type: 'object', properties: { city: { type: 'string' } } } } },
    },
    {
      name: 'reads JSON output with a responseJsonSchema as it is',
      input: body({ generationConfig: { responseMimeType: 'application/json', responseJsonSchema: { type: 'object', additionalProperties: false } } }),
      expected: { responseFormat: { type: 'json_schema', name: 'response', schema: { type: 'object', additionalProperties: false } } },
    },
    { name: 'reads JSON output without a schema as json_object', input: body({ generationConfig: { responseMimeType: 'application/json' } }), expected: { responseFormat: { type: 'json_object' } } },
    { name: 'reads a thinking budget', input: body({ generationConfig: { thinkingConfig: { thinkingBudget: 8192, includeThoughts: true } } }), expected: { reasoning: { budgetTokens: 8192 } } },
    { name: 'reads the dynamic budget (-1) as a medium effort', input: body({ generationConfig: { thinkingConfig: { thinkingBudget: -1 } } }), expected: { reasoning: { effort: 'medium' } } },
    { name: 'reads a thinking level as an effort', input: body({ generationConfig: { thinkingConfig: { thinkingLevel: 'HIGH' } } }), expected: { reasoning: { effort: 'high' } } },
    // Gemini takes each field's proto name too, in any mix; the parameter policy caps a limit where the client spelt it.
    {
      name: 'reads a snake_case generation_config as Gemini does',
      input: body({ generation_config: { max_output_tokens: 256, temperature: 0.2, top_p: 0.9, stop_sequences: ['END'], thinking_config: { thinking_budget: 1024 } } }),
      expected: { maxTokens: 256, temperature: 0.2, topP: 0.9, stop: ['END'], reasoning: { budgetTokens: 1024 } },
    },
    { name: 'reads snake_case fields inside generationConfig', input: body({ generationConfig: { max_output_tokens: 256, thinking_config: { thinking_level: 'LOW' } } }), expected: { maxTokens: 256, reasoning: { effort: 'low' } } },
    { name: 'takes the camelCase field over its snake_case twin', input: body({ generationConfig: { maxOutputTokens: 100 }, generation_config: { max_output_tokens: 256, temperature: 0.2 } }), expected: { maxTokens: 100, temperature: 0.2 } },
  ])('$name', ({ input, expected }) => {
    expect(decodeGeminiRequest(input)).toMatchObject(expected);
  });

  it.each([
    { name: 'a zero thinking budget (thinking off)', input: body({ generationConfig: { thinkingConfig: { thinkingBudget: 0, includeThoughts: false } } }), field: 'reasoning' },
    { name: 'plain-text output', input: body({ generationConfig: { responseMimeType: 'text/plain' } }), field: 'responseFormat' },
  ])('asks for nothing on $name', ({ input, field }) => {
    expect(decodeGeminiRequest(input)).not.toHaveProperty(field);
  });

  it.each([
    { name: 'zero penalties', config: { presencePenalty: 0, frequencyPenalty: 0 } },
    { name: 'log probabilities turned off', config: { responseLogprobs: false } },
  ])('takes $name (their neutral values) as asking for nothing', ({ config }) => {
    expect(decodeGeminiRequest(body({ generationConfig: config }))).toEqual(decodeGeminiRequest(body()));
  });

  it.each([
    { name: 'a built-in tool', input: body({ tools: [{ functionDeclarations: [] }, { googleSearch: {} }] }), param: 'tools[1].googleSearch' },
    { name: 'code execution', input: body({ tools: [{ codeExecution: {} }] }), param: 'tools[0].codeExecution' },
    { name: 'a context cache', input: body({ cachedContent: 'cachedContents/abc' }), param: 'cachedContent' },
    { name: 'more than one candidate', input: body({ generationConfig: { candidateCount: 2 } }), param: 'generationConfig.candidateCount' },
    { name: 'penalties', input: body({ generationConfig: { presencePenalty: 0.5 } }), param: 'generationConfig.presencePenalty' },
    { name: 'audio output', input: body({ generationConfig: { responseModalities: ['TEXT', 'AUDIO'] } }), param: 'generationConfig.responseModalities' },
    { name: 'an enum response type', input: body({ generationConfig: { responseMimeType: 'text/x.enum' } }), param: 'generationConfig.responseMimeType' },
    { name: 'an audio part', input: { contents: [user({ inlineData: { mimeType: 'audio/wav', data: 'UklG' } })] }, param: 'contents[0].parts[0].inlineData.mimeType' },
    { name: 'executable code', input: { contents: [user({ text: 'q' }), model({ executableCode: { code: 'print(1)' } })] }, param: 'contents[1].parts[0].executableCode' },
    { name: 'several allowed function names', input: body({ toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['a', 'b'] } } }), param: 'toolConfig.functionCallingConfig.allowedFunctionNames' },
  ])('refuses $name as untranslatable, naming $param', ({ input, param }) => {
    expect(() => decodeGeminiRequest(input)).toThrow(expect.objectContaining({ status: 400, code: 'untranslatable', param }));
  });

  it.each([
    { name: 'a functionResponse that answers no call', input: { contents: [user({ functionResponse: { name: 'f', response: {} } })] }, param: 'contents[0].parts[0].functionResponse' },
    { name: 'a role other than user and model', input: { contents: [{ role: 'system', parts: [{ text: 'x' }] }] }, param: 'contents[0].role' },
    { name: 'a functionCall in a user turn', input: { contents: [user({ functionCall: { name: 'f' } })] }, param: 'contents[0].parts[0].functionCall' },
  ])('refuses $name with a 400 naming $param', ({ input, param }) => {
    expect(() => decodeGeminiRequest(input)).toThrow(expect.objectContaining({ status: 400, code: 'invalid_value', param }));
  });
});

describe('validateGeminiRequest', () => {
  it.each([
    { name: 'contents missing', input: {}, param: 'contents' },
    { name: 'a content without parts', input: { contents: [{ role: 'user' }] }, param: 'contents[0].parts' },
    { name: 'a zero maxOutputTokens', input: body({ generationConfig: { maxOutputTokens: 0 } }), param: 'generationConfig.maxOutputTokens' },
    // Gemini reads an integer sent as a string ("65536"): a cap and a budget's hold would not see it.
    { name: 'a snake_case max_output_tokens as a string', input: body({ generation_config: { max_output_tokens: '65536' } }), param: 'generation_config.max_output_tokens' },
    { name: 'a snake_case field inside generationConfig as a string', input: body({ generationConfig: { max_output_tokens: '65536' } }), param: 'generationConfig.max_output_tokens' },
    { name: 'a generation_config that is not an object', input: body({ generation_config: 'x' }), param: 'generation_config' },
    { name: 'tools that are not a list', input: body({ tools: {} }), param: 'tools' },
  ])('refuses $name, naming $param', ({ input, param }) => {
    expect(() => validateGeminiRequest(input)).toThrow(GatewayError);
    expect(() => validateGeminiRequest(input)).toThrow(expect.objectContaining({ param }));
  });

  it('accepts a countTokens body that wraps a generateContentRequest, and fields it does not know', () => {
    expect(() => validateGeminiRequest({ generateContentRequest: { model: 'models/x', contents: [] } }, { countTokens: true })).not.toThrow();
    expect(() => validateGeminiRequest(body({ futureField: { x: 1 } }))).not.toThrow();
  });
});
