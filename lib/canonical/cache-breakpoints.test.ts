import { hasCacheControl, withCacheBreakpoints } from './cache-breakpoints';
import type { ChatRequest, Message } from './types';

const CC = { type: 'ephemeral' } as const;
const user = (text: string): Message => ({ role: 'user', parts: [{ type: 'text', text }] });
const assistant = (text: string): Message => ({ role: 'assistant', parts: [{ type: 'text', text }] });
const request = (over: Partial<ChatRequest>): ChatRequest => ({ model: 'm', system: [], messages: [], stream: false, ...over });

/** Where the breakpoints are, as short labels: `tools[i]`, `system[i]`, `messages[i][j]`. */
function marks(req: ChatRequest): string[] {
  const out: string[] = [];
  req.tools?.forEach((t, i) => t.cacheControl && out.push(`tools[${i}]`));
  req.system.forEach((p, i) => p.cacheControl && out.push(`system[${i}]`));
  req.messages.forEach((m, i) => m.parts.forEach((p, j) => 'cacheControl' in p && p.cacheControl && out.push(`messages[${i}][${j}]`)));
  return out;
}

const tool = (name: string) => ({ name, parameters: { type: 'object' } });

describe('withCacheBreakpoints', () => {
  it.each<{ name: string; req: ChatRequest; expected: string[] }>([
    {
      name: 'an agent loop: tools, system, the last message and the user turn before it (four, Anthropic’s limit)',
      req: request({
        tools: [tool('read'), tool('write')],
        system: [{ type: 'text', text: 'You are a coding agent.' }, { type: 'text', text: 'Be brief.' }],
        messages: [
          user('fix the bug'),
          { role: 'assistant', parts: [{ type: 'tool_call', id: 'c1', name: 'read', arguments: '{}' }] },
          { role: 'user', parts: [{ type: 'tool_result', toolCallId: 'c1', content: 'file text' }] },
          { role: 'assistant', parts: [{ type: 'tool_call', id: 'c2', name: 'write', arguments: '{}' }] },
          { role: 'user', parts: [{ type: 'tool_result', toolCallId: 'c2', content: 'ok' }, { type: 'text', text: 'go on' }] },
        ],
      }),
      expected: ['tools[1]', 'system[1]', 'messages[2][0]', 'messages[4][1]'],
    },
    { name: 'a first turn: system and the one message', req: request({ system: [{ type: 'text', text: 'Hi' }], messages: [user('hello')] }), expected: ['system[0]', 'messages[0][0]'] },
    { name: 'no system, no tools: the messages alone', req: request({ messages: [user('a'), assistant('b'), user('c')] }), expected: ['messages[0][0]', 'messages[2][0]'] },
    { name: 'a prefilled assistant turn last: it and the user turn before it', req: request({ messages: [user('a'), assistant('{"')] }), expected: ['messages[0][0]', 'messages[1][0]'] },
    {
      name: 'skips blank text (dropped on the way) and thinking (which refuses marks) for the part before it',
      req: request({
        system: [{ type: 'text', text: 'Rules' }, { type: 'text', text: '  ' }],
        messages: [user('a'), { role: 'assistant', parts: [{ type: 'text', text: 'answer' }, { type: 'thinking', text: 'hmm', signature: 's' }] }],
      }),
      expected: ['system[0]', 'messages[0][0]', 'messages[1][0]'],
    },
    { name: 'nothing to mark in an empty request', req: request({}), expected: [] },
  ])('$name', ({ req, expected }) => {
    expect(marks(withCacheBreakpoints(req))).toEqual(expected);
  });

  it('keeps a client’s own breakpoints, and only them', () => {
    const req = request({ system: [{ type: 'text', text: 'sys', cacheControl: { type: 'ephemeral', ttl: '1h' } }], messages: [user('a'), user('b')] });

    expect(withCacheBreakpoints(req)).toBe(req);
  });

  it('changes nothing in the request it was given (translations of it are reused across failover)', () => {
    const req = request({ tools: [tool('t')], system: [{ type: 'text', text: 's' }], messages: [user('a'), assistant('b'), user('c')] });
    const before = JSON.stringify(req);

    const marked = withCacheBreakpoints(req);

    expect(JSON.stringify(req)).toBe(before);
    expect(marked.messages[1]).toBe(req.messages[1]);
    expect(marked.messages[2]?.parts[0]).toEqual({ type: 'text', text: 'c', cacheControl: CC });
  });
});

describe('hasCacheControl', () => {
  it.each<{ name: string; req: ChatRequest; expected: boolean }>([
    { name: 'none anywhere', req: request({ messages: [user('a')] }), expected: false },
    { name: 'on a tool', req: request({ tools: [{ ...tool('t'), cacheControl: CC }] }), expected: true },
    { name: 'on a message part', req: request({ messages: [{ role: 'user', parts: [{ type: 'text', text: 'a', cacheControl: CC }] }] }), expected: true },
  ])('$name: $expected', ({ req, expected }) => {
    expect(hasCacheControl(req)).toBe(expected);
  });
});
