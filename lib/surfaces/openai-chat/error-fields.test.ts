import { GatewayError } from '../../http/errors';
import { clientField } from '../error-fields';
import { chatMessageFields, inChatFields } from './error-fields';

const system = { role: 'system', content: 'Be terse.' };
const developer = { role: 'developer', content: 'Metric units.' };
const user = { role: 'user', content: 'Hi' };
const assistant = { role: 'assistant', content: 'Hello' };
const tool = { role: 'tool', tool_call_id: 'call_1', content: '-5C' };
const picture = { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'http://example.com/a.png' } }] };
// Its canonical parts are its text, then its call: canonical part 1 is tool_calls[0], not content[1].
const calling = { role: 'assistant', content: 'Let me look.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":' } }] };

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
    // An assistant message's parts are its non-empty texts, then its tool calls: no part index maps back, the message holds it.
    ['an assistant call', [user, calling, user], 'messages[1].content[1].arguments', 'messages[1]'],
    ['an assistant call after a system message', [system, user, calling], 'messages[1].content[1].arguments', 'messages[2]'],
    ['an assistant text part', [user, { role: 'assistant', content: [{ type: 'text', text: '' }, { type: 'text', text: 'Hello' }] }], 'messages[1].content[0]', 'messages[1]'],
    ['system messages in between, an earlier message', [system, user, developer, assistant], 'messages[1]', 'messages[3]'],
    ['a system message, the messages', [system, user], 'messages', 'messages'],
    // Tool messages merge with each other and the user message after them: no index maps back.
    ['a tool message', [user, assistant, tool, user], 'messages[2].content[1].tool_call_id', 'messages'],
    ['a tool message, an earlier message', [user, assistant, tool], 'messages[0].content[0]', 'messages'],
    // Other fields are named alike.
    ['a system message, another field', [system, user], 'tools[0].function.parameters', 'tools[0].function.parameters'],
    ['a system message, a longer name', [system, user], 'messages[0]x', 'messages[0]x'],
  ])('with %s names %s', (_, messages, canonical, client) => {
    expect(clientField(chatMessageFields({ messages }), canonical)).toBe(client);
  });

  it('maps every canonical index at once, each to its own client index', () => {
    // Canonical 0, 1, 2 are client 1, 3, 4.
    const table = chatMessageFields({ messages: [system, user, developer, picture, user] });

    expect(['messages[0]', 'messages[1].content[0]', 'messages[2]', 'messages[10]'].map((p) => clientField(table, p))).toEqual(['messages[1]', 'messages[3].content[0]', 'messages[4]', 'messages[10]']);
  });
});

describe('inChatFields', () => {
  it('renames the message in the param and where the message quotes it', () => {
    // Act
    const err = inChatFields(
      new GatewayError('invalid_request', 'Document URLs are not supported by provider type bedrock (messages[0].content[1]).', { param: 'messages[0].content[1]' }),
      { messages: [system, picture] },
    );

    // Assess
    expect(err).toMatchObject({ param: 'messages[1].content[1]', message: 'Document URLs are not supported by provider type bedrock (messages[1].content[1]).' });
  });
});
