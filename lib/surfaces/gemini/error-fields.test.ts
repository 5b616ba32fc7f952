import { GatewayError } from '../../http/errors';
import { clientField, inClientFields } from '../error-fields';
import { GEMINI_FIELDS } from './error-fields';
import { anthropicRefusal, FTP_IMAGE_URL, FTP_IMAGE_URL_IN_TOOL_RESULT } from '../../../test/anthropic-refusals';
import { bedrockRefusal, CALL_ARGUMENTS_NOT_AN_OBJECT, IMAGE_URL } from '../../../test/bedrock-refusals';

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

  it.each([
    ["a call's arguments that are not a JSON object", CALL_ARGUMENTS_NOT_AN_OBJECT, 'The tool call arguments in contents must be a JSON object for provider type bedrock.'],
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

describe("GEMINI_FIELDS, on the Anthropic translator's refusals", () => {
  it.each([
    ['a part', FTP_IMAGE_URL],
    ["a function response's part", FTP_IMAGE_URL_IN_TOOL_RESULT],
  ])('names the contents in the message, all a Gemini error body carries, for an image URL in %s', (_, req) => {
    // Act
    const err = inClientFields(GEMINI_FIELDS, anthropicRefusal(req));

    // Assess
    expect(err).toMatchObject({ param: 'contents', message: 'Image URLs (contents) must be http(s) or base64 data URLs for provider type anthropic.' });
  });
});
