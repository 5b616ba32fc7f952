import type { Message } from '../../canonical/types';
import { prefillLacksThinking, trimmedPrefillWhitespace, withTrimmedPrefill } from './prefill';

const user = (text: string): Message => ({ role: 'user', parts: [{ type: 'text', text }] });
const assistant = (...parts: Extract<Message, { role: 'assistant' }>['parts']): Message => ({ role: 'assistant', parts });

describe('withTrimmedPrefill', () => {
  it.each<{ name: string; messages: Message[]; expected: Message[] }>([
    { name: 'leaves off a prefill’s trailing line ends and spaces', messages: [user('Go on'), assistant({ type: 'text', text: 'def f():\n    \n' })], expected: [user('Go on'), assistant({ type: 'text', text: 'def f():' })] },
    { name: 'keeps the whitespace a prefill starts with', messages: [user('Go on'), assistant({ type: 'text', text: '\n  x ' })], expected: [user('Go on'), assistant({ type: 'text', text: '\n  x' })] },
    {
      name: 'trims only the final text part, keeping its cache mark',
      messages: [user('Go on'), assistant({ type: 'text', text: 'a ' }, { type: 'text', text: 'b\n', cacheControl: { type: 'ephemeral' } })],
      expected: [user('Go on'), assistant({ type: 'text', text: 'a ' }, { type: 'text', text: 'b', cacheControl: { type: 'ephemeral' } })],
    },
    { name: 'leaves a conversation that ends with the user as it is', messages: [assistant({ type: 'text', text: 'hi\n' }), user('more ')], expected: [assistant({ type: 'text', text: 'hi\n' }), user('more ')] },
    {
      name: 'leaves a final assistant tool call as it is',
      messages: [user('Go on'), assistant({ type: 'text', text: 'Calling\n' }, { type: 'tool_call', id: 'c1', name: 'f', arguments: '{}' })],
      expected: [user('Go on'), assistant({ type: 'text', text: 'Calling\n' }, { type: 'tool_call', id: 'c1', name: 'f', arguments: '{}' })],
    },
    { name: 'leaves no messages as they are', messages: [], expected: [] },
    {
      name: 'drops a final text part left empty and trims the one before it, as the translators drop blank text',
      messages: [user('Go on'), assistant({ type: 'text', text: 'def f(): ' }, { type: 'text', text: '\n' })],
      expected: [user('Go on'), assistant({ type: 'text', text: 'def f():' })],
    },
    { name: 'drops a prefill of only whitespace, so the conversation ends with the user', messages: [user('Go on'), assistant({ type: 'text', text: '\n  ' })], expected: [user('Go on')] },
    {
      name: 'trims the assistant message before a blank one, which the translators merge into one turn',
      messages: [user('Go on'), assistant({ type: 'text', text: 'a\n' }), assistant({ type: 'text', text: ' ' })],
      expected: [user('Go on'), assistant({ type: 'text', text: 'a' })],
    },
    {
      name: 'stops at a tool call before blank text',
      messages: [user('Go on'), assistant({ type: 'tool_call', id: 'c1', name: 'f', arguments: '{}' }, { type: 'text', text: '\n' })],
      expected: [user('Go on'), assistant({ type: 'tool_call', id: 'c1', name: 'f', arguments: '{}' })],
    },
  ])('$name', ({ messages, expected }) => {
    // Act
    const trimmed = withTrimmedPrefill(messages);

    // Assess
    expect(trimmed).toEqual(expected);
  });

  it('returns the very messages when there is nothing to trim, and never changes the given ones', () => {
    const clean = [user('Go on'), assistant({ type: 'text', text: 'def f():' })];
    const dirty = [user('Go on'), assistant({ type: 'text', text: 'def f():\n' })];

    expect(withTrimmedPrefill(clean)).toBe(clean);
    withTrimmedPrefill(dirty);
    expect(dirty[1]).toEqual(assistant({ type: 'text', text: 'def f():\n' }));
  });
});

describe('trimmedPrefillWhitespace', () => {
  it.each<{ name: string; messages: Message[]; expected: string }>([
    { name: 'a prefill’s trailing line ends and spaces', messages: [user('Go on'), assistant({ type: 'text', text: 'def f():\n    \n' })], expected: '\n    \n' },
    { name: 'a prefill without trailing whitespace', messages: [user('Go on'), assistant({ type: 'text', text: 'def f():' })], expected: '' },
    { name: 'a conversation that ends with the user', messages: [assistant({ type: 'text', text: 'hi\n' }), user('more ')], expected: '' },
    { name: 'a final assistant tool call', messages: [user('Go on'), assistant({ type: 'text', text: 'Calling\n' }, { type: 'tool_call', id: 'c1', name: 'f', arguments: '{}' })], expected: '' },
    { name: 'no messages', messages: [], expected: '' },
    { name: 'a final text part left empty and the one before it', messages: [user('Go on'), assistant({ type: 'text', text: 'def f(): ' }, { type: 'text', text: '\n' })], expected: ' \n' },
    { name: 'a prefill of only whitespace', messages: [user('Go on'), assistant({ type: 'text', text: '\n  ' })], expected: '\n  ' },
    { name: 'two assistant messages, the last blank', messages: [user('Go on'), assistant({ type: 'text', text: 'a\n' }), assistant({ type: 'text', text: ' ' })], expected: '\n ' },
  ])('is what withTrimmedPrefill leaves off: $name', ({ messages, expected }) => {
    // Act
    const whitespace = trimmedPrefillWhitespace(messages);

    // Assess
    expect(whitespace).toBe(expected);
  });
});

describe('prefillLacksThinking', () => {
  it.each<{ name: string; messages: { role: string; content: { type: string }[] }[]; expected: boolean }>([
    { name: 'a prefill of text', messages: [{ role: 'user', content: [{ type: 'text' }] }, { role: 'assistant', content: [{ type: 'text' }] }], expected: true },
    { name: 'a prefill that starts with thinking', messages: [{ role: 'user', content: [{ type: 'text' }] }, { role: 'assistant', content: [{ type: 'thinking' }, { type: 'text' }] }], expected: false },
    { name: 'a prefill that starts with redacted thinking', messages: [{ role: 'user', content: [{ type: 'text' }] }, { role: 'assistant', content: [{ type: 'redacted_thinking' }] }], expected: false },
    { name: 'a conversation that ends with the user', messages: [{ role: 'assistant', content: [{ type: 'text' }] }, { role: 'user', content: [{ type: 'text' }] }], expected: false },
    { name: 'no messages', messages: [], expected: false },
  ])('$name: $expected', ({ messages, expected }) => {
    expect(prefillLacksThinking(messages)).toBe(expected);
  });
});
