import { GatewayError } from '../../http/errors';
import { clientField } from '../error-fields';
import { decodeChatRequest } from './decode';
import { canonicalOrigins, chatMessageFields, inChatFields } from './error-fields';
import { anthropicRefusal } from '../../../test/anthropic-refusals';
import { bedrockRefusal } from '../../../test/bedrock-refusals';

const system = { role: 'system', content: 'Be terse.' };
const developer = { role: 'developer', content: 'Metric units.' };
const user = { role: 'user', content: 'Hi' };
const assistant = { role: 'assistant', content: 'Hello' };
const tool = { role: 'tool', tool_call_id: 'call_1', content: '-5C' };
const picture = { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'http://example.com/a.png' } }] };
const call = (id: string, city: string) => ({ id, type: 'function', function: { name: 'get_weather', arguments: `{"city": "${city}"}` } });
// Its canonical parts are its text, then its call: canonical part 1 is tool_calls[0], not content[1].
const calling = { role: 'assistant', content: 'Let me look.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":' } }] };
// Canonical parts 1, 2 and 3 are tool_calls[0], [1] and [2].
const threeCalls = { role: 'assistant', content: 'Let me look.', tool_calls: [call('call_1', 'Oslo'), call('call_2', 'Graz'), call('call_3', 'Lima')] };
// An empty text or refusal is no canonical part: canonical part 1 is tool_calls[0].
const sparseText = {
  role: 'assistant',
  content: [{ type: 'text', text: '' }, { type: 'text', text: 'Let me look.' }, { type: 'refusal', refusal: '' }],
  tool_calls: [call('call_1', 'Oslo'), call('call_2', 'Graz')],
};
// Reasoning is not decoded (an output field): canonical part 0 is tool_calls[0], with a text or without.
// A refusal that says something is a text part, as a text is: canonical part 1 is tool_calls[0].
const refused = { role: 'assistant', content: [{ type: 'refusal', refusal: 'I cannot say.' }], tool_calls: [call('call_1', 'Oslo'), call('call_2', 'Graz')] };
const reasoningCalls = { role: 'assistant', reasoning_content: 'Two cities, two calls.', content: null, tool_calls: [call('call_1', 'Oslo'), call('call_2', 'Graz')] };
const reasoningText = { role: 'assistant', reasoning_content: 'Two cities, two calls.', content: 'Looking.', tool_calls: [call('call_1', 'Oslo'), call('call_2', 'Graz')] };
const results = [
  { role: 'tool', tool_call_id: 'call_1', content: '-5C' },
  { role: 'tool', tool_call_id: 'call_2', content: '12C' },
];

describe('chatMessageFields', () => {
  it.each([
    // User and assistant messages only: the canonical messages are the client's.
    ['no system message', [picture, assistant, picture], 'messages[2].content[0]', 'messages[2].content[0]'],
    // System and developer messages join the system prompt: the canonical index skips them.
    ['a system message first', [system, picture], 'messages[0].content[1]', 'messages[1].content[1]'],
    ['system messages in between', [system, user, developer, assistant, system, picture], 'messages[2].content[1].image_url.url', 'messages[5].content[1].image_url.url'],
    // A string is one canonical part: the client's field is the string, which has no index.
    ['a string content', [system, user], 'messages[0].content[0]', 'messages[1].content'],
    ['a string content, no system message', [user], 'messages[0].content[0]', 'messages[0].content'],
    // An assistant message's parts are its non-empty texts, then its tool calls: a call's part index, less the texts, is its index in tool_calls.
    ['an assistant call', [user, calling, user], 'messages[1].content[1].arguments', 'messages[1].tool_calls[0].function.arguments'],
    ['an assistant call after a system message', [system, user, calling], 'messages[1].content[1].arguments', 'messages[2].tool_calls[0].function.arguments'],
    ['the first of three calls after a text', [user, threeCalls], 'messages[1].content[1].arguments', 'messages[1].tool_calls[0].function.arguments'],
    ['the second of three calls after a text', [user, threeCalls], 'messages[1].content[2].arguments', 'messages[1].tool_calls[1].function.arguments'],
    ['the third of three calls after a text', [user, threeCalls], 'messages[1].content[3].arguments', 'messages[1].tool_calls[2].function.arguments'],
    ['a call after empty texts and refusals', [user, sparseText], 'messages[1].content[2].arguments', 'messages[1].tool_calls[1].function.arguments'],
    ['a call after a refusal', [user, refused], 'messages[1].content[2].arguments', 'messages[1].tool_calls[1].function.arguments'],
    ['the first call after reasoning', [user, reasoningCalls], 'messages[1].content[0].arguments', 'messages[1].tool_calls[0].function.arguments'],
    ['the second call after reasoning', [user, reasoningCalls], 'messages[1].content[1].arguments', 'messages[1].tool_calls[1].function.arguments'],
    ['the second call after reasoning and a text', [system, user, reasoningText], 'messages[1].content[2].arguments', 'messages[2].tool_calls[1].function.arguments'],
    ['a call, not its arguments', [user, threeCalls], 'messages[1].content[2]', 'messages[1].tool_calls[1]'],
    ['a call, another of its fields', [user, threeCalls], 'messages[1].content[3].name', 'messages[1].tool_calls[2]'],
    // Calls after tool results that merged into one message: the assistant message after them is still one client message.
    ['a call after merged results', [system, user, sparseText, ...results, user, threeCalls], 'messages[3].content[2].arguments', 'messages[6].tool_calls[1].function.arguments'],
    ['a call before merged results', [system, user, sparseText, ...results, user, threeCalls], 'messages[1].content[1].arguments', 'messages[2].tool_calls[0].function.arguments'],
    ['a call after results that merged with a system message in between', [user, threeCalls, results[0], system, user, sparseText], 'messages[3].content[1].arguments', 'messages[5].tool_calls[0].function.arguments'],
    // Where no call maps back, the message holds it.
    ['an assistant text part', [user, { role: 'assistant', content: [{ type: 'text', text: '' }, { type: 'text', text: 'Hello' }] }], 'messages[1].content[0]', 'messages[1]'],
    ["an assistant message's content, no part", [user, threeCalls], 'messages[1].content', 'messages[1]'],
    ['a part index past the calls', [user, threeCalls], 'messages[1].content[4].arguments', 'messages[1]'],
    ['system messages in between, an earlier message', [system, user, developer, assistant], 'messages[1]', 'messages[3]'],
    ['a system message, the messages', [system, user], 'messages', 'messages'],
    // Tool messages merge with each other and the user message after them: part n is the nth tool message's result, then the user message's parts follow.
    ['a tool message merged with a user message, its result', [user, assistant, tool, user], 'messages[2].content[0].tool_call_id', 'messages[2].tool_call_id'],
    ['a tool message merged with a user message, the user text', [user, assistant, tool, user], 'messages[2].content[1]', 'messages[3].content'],
    ['the second of merged results', [system, user, sparseText, ...results, user, threeCalls], 'messages[2].content[1].tool_call_id', 'messages[4].tool_call_id'],
    ['the first of merged results', [system, user, sparseText, ...results, user, threeCalls], 'messages[2].content[0].tool_call_id', 'messages[3].tool_call_id'],
    ["a merged result's content", [system, user, sparseText, ...results, user, threeCalls], 'messages[2].content[1].content', 'messages[4].content'],
    ["a merged result's content part", [user, calling, { role: 'tool', tool_call_id: 'call_1', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }, tool, user], 'messages[2].content[0].content[1]', 'messages[2].content[1]'],
    ['a merged result, another of its fields', [system, user, sparseText, ...results, user, threeCalls], 'messages[2].content[1].name', 'messages[4]'],
    ['a user part after merged results', [system, user, sparseText, ...results, picture, threeCalls], 'messages[2].content[3].image_url.url', 'messages[5].content[1].image_url.url'],
    ['a user string after merged results', [system, user, sparseText, ...results, user, threeCalls], 'messages[2].content[2]', 'messages[5].content'],
    ['merged results with a system message in between', [calling, tool, system, picture], 'messages[1].content[1]', 'messages[3].content[0]'],
    ['merged results with no user message after them', [user, calling, ...results, assistant], 'messages[2].content[1].tool_call_id', 'messages[3].tool_call_id'],
    // A tool message is one result whatever its content (empty, or several texts); a user message's empty text and its file are parts too.
    ['a result after an empty one and an empty array', [user, calling, { ...tool, content: '' }, { ...tool, content: [] }, tool, user], 'messages[2].content[2].tool_call_id', 'messages[4].tool_call_id'],
    ['a user file after empty results and an empty text', [user, calling, { ...tool, content: '' }, { ...tool, content: [] }, { role: 'user', content: [{ type: 'text', text: '' }, { type: 'file', file: { file_data: 'data:application/pdf;base64,AA==' } }] }], 'messages[2].content[3]', 'messages[4].content[1]'],
    ["the third text of a result's content", [user, calling, tool, { ...tool, content: [{ type: 'text', text: 'a' }, { type: 'text', text: '' }, { type: 'text', text: 'c' }] }, user], 'messages[2].content[1].content[2].text', 'messages[3].content[2].text'],
    // What is not one part of a merged message is the messages: no one client message holds it.
    ['merged results, the message', [system, user, sparseText, ...results, user, threeCalls], 'messages[2]', 'messages'],
    ['merged results, their content', [system, user, sparseText, ...results, user, threeCalls], 'messages[2].content', 'messages'],
    ['merged results, a part past them', [system, user, sparseText, ...results, user, threeCalls], 'messages[2].content[3]', 'messages'],
    // A tool message that merged with nothing is one client message; the messages around it are named as without it.
    ['a lone tool message', [user, assistant, tool], 'messages[2].content[0].tool_call_id', 'messages[2].tool_call_id'],
    ['a lone tool message, another field', [user, assistant, tool], 'messages[2].content[0].name', 'messages[2]'],
    ['a tool message, an earlier message', [user, assistant, tool], 'messages[0].content[0]', 'messages[0].content'],
    // Other fields are named alike.
    ['a system message, another field', [system, user], 'tools[0].function.parameters', 'tools[0].function.parameters'],
    ['a system message, a longer name', [system, user], 'messages[0]x', 'messages[0]x'],
  ])('names the client field with %s', (_, messages, canonical, client) => {
    expect(clientField(chatMessageFields({ messages }), canonical)).toBe(client);
  });

  it.each([
    ['tool calls after texts', [user, threeCalls, user, sparseText]],
    ['tool calls after reasoning', [system, user, reasoningCalls, user, reasoningText]],
    ['tool calls around merged results', [system, user, sparseText, ...results, developer, user, threeCalls, results[0]]],
  ])("names, for %s, the client's call whose arguments each canonical call part holds", (_, messages) => {
    // Arrange
    const body = { model: 'gpt-4o', messages };
    const table = chatMessageFields(body);

    // Act: every canonical call's arguments, named as the client's field and read from the body there.
    const calls = decodeChatRequest(body).messages.flatMap((m, i) => m.parts.flatMap((p, j) => (p.type === 'tool_call' ? [{ canonical: p.arguments, named: clientField(table, `messages[${i}].content[${j}].arguments`) }] : [])));

    // Assess
    expect(calls.length).toBeGreaterThan(0);
    for (const { canonical, named } of calls) expect(at(body, named)).toBe(canonical);
  });

  it('maps every canonical index at once, each to its own client index', () => {
    // Canonical 0, 1, 2 are client 1, 3, 4.
    const table = chatMessageFields({ messages: [system, user, developer, picture, user] });

    expect(['messages[0]', 'messages[1].content[0]', 'messages[2]', 'messages[10]'].map((p) => clientField(table, p))).toEqual(['messages[1]', 'messages[3].content[0]', 'messages[4]', 'messages[10]']);
  });
});

describe('canonicalOrigins', () => {
  it.each([
    ['no tool messages', [user, assistant, user], [[0], [1], [2]]],
    ['system messages left out', [system, user, developer, assistant], [[1], [3]]],
    ['tool messages and the user message after them as one', [user, calling, ...results, user, assistant], [[0], [1], [2, 3, 4], [5]]],
    ['a system message not ending the results', [calling, tool, system, user], [[0], [1, 3]]],
    ['an assistant message ending the results', [calling, tool, assistant, user], [[0], [1], [2], [3]]],
    ['a lone tool message', [user, calling, tool], [[0], [1], [2]]],
  ])('gives, for %s, the client messages of each canonical message', (_, messages, origins) => {
    expect(canonicalOrigins(messages)).toEqual(origins);
  });
});

describe('inChatFields', () => {
  it('renames the message in the param and where the message quotes it', () => {
    // Act
    const err = inChatFields(
      new GatewayError('invalid_request', 'Document URLs (messages[0].content[1]) are not supported by provider type bedrock: send the document as base64 data.', { param: 'messages[0].content[1]' }),
      { messages: [system, picture] },
    );

    // Assess
    expect(err).toMatchObject({ param: 'messages[1].content[1]', message: 'Document URLs (messages[1].content[1]) are not supported by provider type bedrock: send the document as base64 data.' });
  });
});

describe('inChatFields, on the Bedrock translator\'s refusals', () => {
  it.each([
    // Canonical message 1, part 2: the second call after a text, in client message 2.
    ["a call's arguments after a system message", [system, user, { ...threeCalls, tool_calls: [call('call_1', 'Oslo'), { ...call('call_2', 'Graz'), function: { name: 'get_weather', arguments: '["Graz"]' } }] }], 'messages[2].tool_calls[1].function.arguments'],
    // Canonical message 2, part 2: the user's picture after two merged results, client message 5's content[1].
    ['an image URL after merged results', [system, user, threeCalls, ...results, picture], 'messages[5].content[1]'],
  ])("names the client's field, in the param and the message, for %s", (_, messages, param) => {
    // Arrange
    const body = { model: 'anthropic.claude-3-5-sonnet-20240620-v1:0', messages, tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }] };

    // Act
    const err = inChatFields(bedrockRefusal(decodeChatRequest(body)), body);

    // Assess
    expect(err.param).toBe(param);
    expect(err.message).toContain(param);
  });
});

describe("inChatFields, on the Anthropic translator's refusals", () => {
  const ftpPicture = { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'ftp://files.example.com/cat.png' } }] };
  it.each([
    // Canonical message 0, part 1: client message 1 after the system message.
    ['after a system message', [system, ftpPicture], 'messages[1].content[1]'],
    // Canonical message 2, part 2: the user's picture after two merged results, client message 5's content[1].
    ['after merged results', [system, user, threeCalls, ...results, ftpPicture], 'messages[5].content[1]'],
  ])("names the client's image part, in the param and the message, for an image URL %s", (_, messages, param) => {
    // Arrange
    const body = { model: 'claude-sonnet-4-5', messages, tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }] };

    // Act
    const err = inChatFields(anthropicRefusal(decodeChatRequest(body)), body);

    // Assess
    expect(err).toMatchObject({ param, message: `Image URLs (${param}) must be http(s) or base64 data URLs for provider type anthropic.` });
  });
});

/** The value at a field path (`messages[1].tool_calls[0].function.arguments`) of `value`. */
function at(value: unknown, path: string): unknown {
  return path.split(/[.[\]]+/).filter(Boolean).reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], value);
}
