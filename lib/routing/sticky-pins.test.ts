import { ConversationPins } from './sticky-pins';

describe('ConversationPins', () => {
  it('pins a conversation served by another account than its own, per provider and model', () => {
    const pins = new ConversationPins();

    pins.served('s:one', 'openai', 'gpt-4o', 'b', 'a');

    expect([pins.pinned('s:one', 'openai', 'gpt-4o'), pins.pinned('s:one', 'anthropic', 'gpt-4o'), pins.pinned('s:one', 'openai', 'gpt-4o-mini'), pins.pinned('s:two', 'openai', 'gpt-4o')]).toEqual(['b', undefined, undefined, undefined]);
  });

  it("leaves a conversation's pin in one model alone when another model of it is served by its own account", () => {
    const pins = new ConversationPins();
    pins.served('s:one', 'anthropic', 'claude-sonnet-4-5', 'b', 'a');

    pins.served('s:one', 'anthropic', 'claude-haiku-4-5', 'a', 'a');

    expect(pins.pinned('s:one', 'anthropic', 'claude-sonnet-4-5')).toBe('b');
  });

  it.each<[string, [account: string, home: string][], string | undefined]>([
    ['served by its own account: nothing to pin', [['a', 'a']], undefined],
    ['moved, then served by its own account again: unpinned', [['b', 'a'], ['a', 'a']], undefined],
    ['moved twice: pinned to the last', [['b', 'a'], ['c', 'a']], 'c'],
    ['moved, and served where it was moved: still pinned there', [['b', 'a'], ['b', 'a']], 'b'],
  ])('keeps the account that last served the conversation: %s', (_name, calls, expected) => {
    const pins = new ConversationPins();

    for (const [account, home] of calls) pins.served('s:one', 'openai', 'm', account, home);

    expect(pins.pinned('s:one', 'openai', 'm')).toBe(expected);
    expect(pins.size).toBe(expected === undefined ? 0 : 1);
  });

  it('holds at most its cap, forgetting the pin served least recently', () => {
    const pins = new ConversationPins(3);
    for (const key of ['s:1', 's:2', 's:3']) pins.served(key, 'p', 'm', 'b', 'a');
    pins.served('s:1', 'p', 'm', 'b', 'a'); // served again: the most recent now

    pins.served('s:4', 'p', 'm', 'b', 'a');

    expect(['s:1', 's:2', 's:3', 's:4'].map((key) => pins.pinned(key, 'p', 'm'))).toEqual(['b', undefined, 'b', 'b']);
    expect(pins.size).toBe(3);
  });

  it('tells apart keys and providers that would run together as text', () => {
    const pins = new ConversationPins();

    pins.served('s:a', 'bc', 'm', 'x', 'home');

    expect(pins.pinned('s:ab', 'c', 'm')).toBeUndefined();
  });
});
