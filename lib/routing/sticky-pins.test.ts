import { ConversationPins } from './sticky-pins';

describe('ConversationPins', () => {
  it('pins a conversation served by another account than its own, per provider', () => {
    const pins = new ConversationPins();

    pins.served('s:one', 'openai', 'b', 'a');

    expect([pins.pinned('s:one', 'openai'), pins.pinned('s:one', 'anthropic'), pins.pinned('s:two', 'openai')]).toEqual(['b', undefined, undefined]);
  });

  it.each<[string, [account: string, home: string][], string | undefined]>([
    ['served by its own account: nothing to pin', [['a', 'a']], undefined],
    ['moved, then served by its own account again: unpinned', [['b', 'a'], ['a', 'a']], undefined],
    ['moved twice: pinned to the last', [['b', 'a'], ['c', 'a']], 'c'],
    ['moved, and served where it was moved: still pinned there', [['b', 'a'], ['b', 'a']], 'b'],
  ])('keeps the account that last served the conversation: %s', (_name, calls, expected) => {
    const pins = new ConversationPins();

    for (const [account, home] of calls) pins.served('s:one', 'openai', account, home);

    expect(pins.pinned('s:one', 'openai')).toBe(expected);
    expect(pins.size).toBe(expected === undefined ? 0 : 1);
  });

  it('holds at most its cap, forgetting the pin served least recently', () => {
    const pins = new ConversationPins(3);
    for (const key of ['s:1', 's:2', 's:3']) pins.served(key, 'p', 'b', 'a');
    pins.served('s:1', 'p', 'b', 'a'); // served again: the most recent now

    pins.served('s:4', 'p', 'b', 'a');

    expect(['s:1', 's:2', 's:3', 's:4'].map((key) => pins.pinned(key, 'p'))).toEqual(['b', undefined, 'b', 'b']);
    expect(pins.size).toBe(3);
  });

  it('tells apart keys and providers that would run together as text', () => {
    const pins = new ConversationPins();

    pins.served('s:a', 'bc', 'x', 'home');

    expect(pins.pinned('s:ab', 'c')).toBeUndefined();
  });
});
