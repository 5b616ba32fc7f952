import type { ChatRequest } from '../../canonical/types';
import { GatewayError } from '../../http/errors';
import { toConverseBody } from '../../providers/bedrock/request';
import { clientField, inClientFields } from '../error-fields';
import { GEMINI_FIELDS } from './error-fields';

describe('GEMINI_FIELDS, by clientField', () => {
  it.each([
    // Canonical tools flatten every Tool's declarations: no index maps back, so the tools are named.
    ['tools[0].function.parameters', 'tools'],
    ['tools[3].function.parameters.properties.x', 'tools'],
    ['tools[1].function.name', 'tools'],
    ['tools[1].function', 'tools'],
    // Contents are regrouped into canonical messages: the contents are named.
    ['messages', 'contents'],
    ['messages[2]', 'contents'],
    ['messages[2].content[1].arguments', 'contents'],
    ['max_tokens', 'generationConfig.maxOutputTokens'],
    ['stop', 'generationConfig.stopSequences'],
    ['temperature', 'generationConfig.temperature'],
    ['top_p', 'generationConfig.topP'],
    ['top_k', 'generationConfig.topK'],
    ['seed', 'generationConfig.seed'],
    ['response_format', 'generationConfig'],
    ['response_format.json_schema.schema', 'generationConfig'],
    ['reasoning_effort', 'generationConfig.thinkingConfig'],
    ['thinking', 'generationConfig.thinkingConfig'],
    ['tool_choice', 'toolConfig.functionCallingConfig'],
    // The Gemini API's own names (its decoder's refusals) stay.
    ['tools[1]', 'tools[1]'],
    ['tools[1].functionDeclarations[0].name', 'tools[1].functionDeclarations[0].name'],
    ['contents[0].parts[1].fileData.mimeType', 'contents[0].parts[1].fileData.mimeType'],
    ['generationConfig.candidateCount', 'generationConfig.candidateCount'],
    ['model', 'model'],
    ['stops', 'stops'],
    ['messagesx', 'messagesx'],
  ])('names %s as %s', (chat, gemini) => {
    expect(clientField(GEMINI_FIELDS, chat)).toBe(gemini);
  });
});

describe('GEMINI_FIELDS, by inClientFields', () => {
  it('renames the field in the message, the only place a Gemini error body names it', () => {
    // Act
    const err = inClientFields(GEMINI_FIELDS, new GatewayError('invalid_request', 'max_tokens (1024) must be greater than the thinking budget (2048) for provider type anthropic.', { param: 'max_tokens' }));

    // Assess
    expect(err).toMatchObject({ param: 'generationConfig.maxOutputTokens', message: 'generationConfig.maxOutputTokens (1024) must be greater than the thinking budget (2048) for provider type anthropic.' });
  });

  it("names the contents where the Anthropic translator refuses a call's arguments: canonical parts are not the client's parts", () => {
    // Act
    const err = inClientFields(
      GEMINI_FIELDS,
      new GatewayError('invalid_request', 'The tool call arguments in messages[1].content[2].arguments must be valid JSON for provider type anthropic.', { param: 'messages[1].content[2].arguments' }),
    );

    // Assess
    expect(err).toMatchObject({ param: 'contents', message: 'The tool call arguments in contents must be valid JSON for provider type anthropic.' });
  });
});

describe('GEMINI_FIELDS, on the Bedrock translator\'s refusals', () => {
  const CALL_ARGUMENTS: ChatRequest = {
    model: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
    system: [],
    messages: [
      { role: 'user', parts: [{ type: 'text', text: 'Weather in Oslo?' }] },
      { role: 'assistant', parts: [{ type: 'text', text: 'Looking.' }, { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '["Oslo"]' }] },
    ],
    tools: [{ name: 'get_weather', parameters: { type: 'object', properties: {} } }],
    stream: false,
  };
  const IMAGE_URL: ChatRequest = {
    model: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
    system: [],
    messages: [{ role: 'user', parts: [{ type: 'text', text: 'What is this?' }, { type: 'image', source: { kind: 'url', url: 'https://example.com/a.png' } }] }],
    stream: false,
  };

  it.each([
    ["a call's arguments that are not a JSON object", CALL_ARGUMENTS, 'The tool call arguments in contents must be a JSON object for provider type bedrock.'],
    ['an image URL', IMAGE_URL, 'Image URLs (contents) are not supported by provider type bedrock'],
  ])('names the contents in the message, all a Gemini error body carries, for %s', (_, req, message) => {
    // Act
    const err = inClientFields(GEMINI_FIELDS, bedrockRefusal(req));

    // Assess
    expect(err.param).toBe('contents');
    expect(err.message).toContain(message);
    expect(err.message).not.toContain('messages[');
  });
});

/** What the Bedrock translator refuses `req` with, as it throws it. */
function bedrockRefusal(req: ChatRequest): GatewayError {
  try {
    toConverseBody(req);
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('The Bedrock translator took the request.');
}
