import { GatewayError } from '../../http/errors';
import { clientField, inClientFields } from '../error-fields';
import { ANTHROPIC_FIELDS } from './error-fields';
import { anthropicRefusal, FTP_IMAGE_URL, FTP_IMAGE_URL_IN_TOOL_RESULT } from '../../../test/anthropic-refusals';
import { bedrockRefusal, CALL_ARGUMENTS_NOT_AN_OBJECT } from '../../../test/bedrock-refusals';

describe('ANTHROPIC_FIELDS, by clientField', () => {
  it.each([
    ['tools[0].function.parameters', 'tools[0].input_schema'],
    ['tools[2].function.parameters.properties.x', 'tools[2].input_schema.properties.x'],
    ['tools[1].function.name', 'tools[1].name'],
    ['tools[1].function', 'tools[1]'],
    ['stop', 'stop_sequences'],
    ['response_format.json_schema.schema', 'output_config.format.schema'],
    ['response_format', 'output_config.format'],
    // Messages and blocks are decoded one to one: the index is the client's.
    ['messages[3].content[1]', 'messages[3].content[1]'],
    ['messages[3].content[1].arguments', 'messages[3].content[1].input'],
    ['messages[2].content[0].tool_call_id', 'messages[2].content[0].tool_use_id'],
    ['messages[0].content[0].image_url.url', 'messages[0].content[0].source'],
    ['messages[0].content[4].file', 'messages[0].content[4].source'],
    ['messages[1].content', 'messages[1].content'],
    // Names both APIs share, and the Messages API's own (its decoder's refusals), stay.
    ['max_tokens', 'max_tokens'],
    ['tool_choice', 'tool_choice'],
    ['top_k', 'top_k'],
    ['tools[0].input_schema', 'tools[0].input_schema'],
    ['tools[0].type', 'tools[0].type'],
    ['messages[0].content[1].source', 'messages[0].content[1].source'],
    ['stop_sequences', 'stop_sequences'],
    ['tools[0].functions', 'tools[0].functions'],
  ])('names %s as %s', (chat, anthropic) => {
    expect(clientField(ANTHROPIC_FIELDS, chat)).toBe(anthropic);
  });
});

describe('ANTHROPIC_FIELDS, by inClientFields', () => {
  it('renames the field in the param and the message, whose text is all an Anthropic error body carries', () => {
    // Act
    const err = inClientFields(ANTHROPIC_FIELDS, new GatewayError('invalid_request', 'The schema in tools[0].function.parameters refers to itself ($ref "#").', { param: 'tools[0].function.parameters' }));

    // Assess
    expect(err).toMatchObject({ param: 'tools[0].input_schema', message: 'The schema in tools[0].input_schema refers to itself ($ref "#").' });
  });

  it("names a call's input, at the client's block, where the Anthropic translator refuses its arguments", () => {
    // Act: blocks are decoded one to one, so canonical part 2 is the client's content[2].
    const err = inClientFields(
      ANTHROPIC_FIELDS,
      new GatewayError('invalid_request', 'The tool call arguments in messages[1].content[2].arguments must be a JSON object for provider type anthropic.', { param: 'messages[1].content[2].arguments' }),
    );

    // Assess
    expect(err).toMatchObject({ param: 'messages[1].content[2].input', message: 'The tool call arguments in messages[1].content[2].input must be a JSON object for provider type anthropic.' });
  });
});

describe('ANTHROPIC_FIELDS, on the Bedrock translator\'s refusals', () => {

  it("names the call's input, at the client's block, in the param and the message", () => {
    // Act: blocks are decoded one to one, so canonical part 1 is the client's content[1].
    const err = inClientFields(ANTHROPIC_FIELDS, bedrockRefusal(CALL_ARGUMENTS_NOT_AN_OBJECT));

    // Assess
    expect(err).toMatchObject({ param: 'messages[1].content[1].input', message: 'The tool call arguments in messages[1].content[1].input must be a JSON object for provider type bedrock.' });
  });
});

describe("ANTHROPIC_FIELDS, on the Anthropic translator's refusals", () => {
  it.each([
    ['a user block', FTP_IMAGE_URL, 'messages[0].content[1]'],
    ["a tool result's block", FTP_IMAGE_URL_IN_TOOL_RESULT, 'messages[2].content[0].content[1]'],
  ])("names an image URL in %s at the client's block, which is the canonical one", (_, req, param) => {
    // Act: blocks are decoded one to one, tool results' blocks too, so the path needs no renaming.
    const err = inClientFields(ANTHROPIC_FIELDS, anthropicRefusal(req));

    // Assess
    expect(err).toMatchObject({ param, message: `Image URLs (${param}) must be http(s) or base64 data URLs for provider type anthropic.` });
  });
});
