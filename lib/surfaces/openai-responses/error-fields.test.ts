import { GatewayError } from '../../http/errors';
import { clientField, inClientFields } from '../error-fields';
import { RESPONSES_FIELDS } from './error-fields';
import { anthropicRefusal, FTP_IMAGE_URL, FTP_IMAGE_URL_IN_TOOL_RESULT } from '../../../test/anthropic-refusals';
import { bedrockRefusal, CALL_ARGUMENTS_NOT_AN_OBJECT, IMAGE_URL } from '../../../test/bedrock-refusals';

describe('RESPONSES_FIELDS, by clientField', () => {
  it.each([
    ['response_format.json_schema.schema', 'text.format.schema'],
    ['response_format.json_schema.name', 'text.format.name'],
    ['response_format.json_schema', 'text.format'],
    ['response_format', 'text.format'],
    ['tools[0].function.parameters', 'tools[0].parameters'],
    ['tools[12].function', 'tools[12]'],
    ['max_tokens', 'max_output_tokens'],
    // Canonical messages are not the input items one to one (instructions, merged calls and
    // results): the field is the input, not an item a wrong index would point at.
    ['messages', 'input'],
    ['messages[2]', 'input'],
    ['messages[2].content[1].tool_call_id', 'input'],
    // The Responses API's own names, and names both APIs share, stay.
    ['text.format.schema', 'text.format.schema'],
    ['tools[1].parameters', 'tools[1].parameters'],
    ['tool_choice', 'tool_choice'],
    ['model', 'model'],
    // Only whole segments: a longer name that starts the same is another field.
    ['response_formats', 'response_formats'],
    ['max_tokens_per_doc', 'max_tokens_per_doc'],
    ['messagesx', 'messagesx'],
    ['tools[0].functions', 'tools[0].functions'],
  ])('names %s as %s', (chat, responses) => {
    expect(clientField(RESPONSES_FIELDS, chat)).toBe(responses);
  });
});

describe('RESPONSES_FIELDS, by inClientFields', () => {
  it('renames the field in the param and where the message quotes it, keeping status, code, headers and detail', () => {
    // Prepare
    const err = new GatewayError('invalid_request', 'The schema in response_format.json_schema.schema refers to itself.', {
      param: 'response_format.json_schema.schema',
      code: 'unsupported_schema',
      status: 400,
      headers: { 'x-why': 'test' },
      detail: 'for the log',
    });

    // Act
    const renamed = inClientFields(RESPONSES_FIELDS, err);

    // Assess
    expect(renamed).toBeInstanceOf(GatewayError);
    expect(renamed).toMatchObject({ kind: 'invalid_request', status: 400, param: 'text.format.schema', code: 'unsupported_schema', headers: { 'x-why': 'test' }, detail: 'for the log' });
    expect(renamed.message).toBe('The schema in text.format.schema refers to itself.');
    expect(renamed.cause).toBe(err);
  });

  it.each([
    ['max_tokens', 'max_tokens (1024) must be greater than the thinking budget (2048) for provider type anthropic.', 'max_output_tokens (1024) must be greater than the thinking budget (2048) for provider type anthropic.', 'max_output_tokens'],
    ['messages[3].content[0].arguments', 'The tool call arguments in messages[3].content[0].arguments are not a JSON object; provider type gemini needs one.', 'The tool call arguments in input are not a JSON object; provider type gemini needs one.', 'input'],
    ['messages[1].content[2].arguments', 'The tool call arguments in messages[1].content[2].arguments must be valid JSON for provider type anthropic.', 'The tool call arguments in input must be valid JSON for provider type anthropic.', 'input'],
  ])('names %s in the message as it names the param', (param, message, renamed, renamedParam) => {
    // Act
    const err = inClientFields(RESPONSES_FIELDS, new GatewayError('invalid_request', message, { param }));

    // Assess
    expect(err).toMatchObject({ param: renamedParam, message: renamed });
  });

  it.each([
    ['no param', new GatewayError('internal', 'The gateway failed.')],
    ['a param both APIs share', new GatewayError('invalid_request', 'Bad tool_choice.', { param: 'tool_choice' })],
  ])('returns an error with %s as it is', (_, err) => {
    expect(inClientFields(RESPONSES_FIELDS, err)).toBe(err);
  });
});

describe('RESPONSES_FIELDS, on the Bedrock translator\'s refusals', () => {

  it.each([
    ["a call's arguments that are not a JSON object", CALL_ARGUMENTS_NOT_AN_OBJECT, 'The tool call arguments in input must be a JSON object for provider type bedrock.'],
    ['an image URL', IMAGE_URL, 'Image URLs (input) are not supported by provider type bedrock'],
  ])('names the input in the param and the message for %s', (_, req, message) => {
    // Act
    const err = inClientFields(RESPONSES_FIELDS, bedrockRefusal(req));

    // Assess
    expect(err.param).toBe('input');
    expect(err.message).toContain(message);
  });
});

describe("RESPONSES_FIELDS, on the Anthropic translator's refusals", () => {
  it.each([
    ['a message part', FTP_IMAGE_URL],
    ["a function call output's part", FTP_IMAGE_URL_IN_TOOL_RESULT],
  ])('names the input in the param and the message for an image URL in %s', (_, req) => {
    // Act: canonical messages are not the input items one to one, so the whole path, a tool result's part too, is the input.
    const err = inClientFields(RESPONSES_FIELDS, anthropicRefusal(req));

    // Assess
    expect(err).toMatchObject({ param: 'input', code: 'unsupported_value', message: 'Image URLs (input) must be http(s) or base64 data URLs for provider type anthropic.' });
  });
});
