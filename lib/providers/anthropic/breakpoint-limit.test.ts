import type { CacheControl, ChatRequest, Message } from '../../canonical/types';
import { withinBreakpointLimit } from './breakpoint-limit';

const MARK: CacheControl = { type: 'ephemeral' };
const turn = (text: string, marked: boolean): Message => ({ role: 'user', parts: [{ type: 'text', text, ...(marked ? { cacheControl: MARK } : {}) }] });
const base = (over: Partial<ChatRequest>): ChatRequest => ({ model: 'claude-sonnet-4-6', system: [], messages: [turn('Hi', false)], stream: true, ...over });
const tool = (name: string, marked: boolean) => ({ name, parameters: { type: 'object' }, ...(marked ? { cacheControl: MARK } : {}) });

/** Where a request carries marks, in prompt order. */
function marks(req: ChatRequest): string[] {
  const out: string[] = [];
  req.tools?.forEach((t, i) => t.cacheControl && out.push(`tools[${i}]`));
  req.system.forEach((p, i) => p.cacheControl && out.push(`system[${i}]`));
  req.messages.forEach((m, i) => m.parts.forEach((p, j) => 'cacheControl' in p && p.cacheControl && out.push(`messages[${i}][${j}]`)));
  return out;
}

describe('withinBreakpointLimit', () => {
  it.each<{ name: string; input: Partial<ChatRequest>; kept: string[] }>([
    {
      name: 'leaves four marks as they are (Anthropic’s limit)',
      input: { system: [{ type: 'text', text: 'S', cacheControl: MARK }], messages: [turn('a', true), turn('b', true), turn('c', true)] },
      kept: ['system[0]', 'messages[0][0]', 'messages[1][0]', 'messages[2][0]'],
    },
    {
      name: 'leaves off the earliest turns’ marks first, keeping the system prompt’s',
      input: { system: [{ type: 'text', text: 'S', cacheControl: MARK }], messages: ['a', 'b', 'c', 'd', 'e'].map((t) => turn(t, true)) },
      kept: ['system[0]', 'messages[2][0]', 'messages[3][0]', 'messages[4][0]'],
    },
    {
      name: 'counts marks within one message one by one, earliest first',
      input: { messages: [{ role: 'user', parts: ['a', 'b', 'c', 'd', 'e', 'f'].map((text) => ({ type: 'text' as const, text, cacheControl: MARK })) }] },
      kept: ['messages[0][2]', 'messages[0][3]', 'messages[0][4]', 'messages[0][5]'],
    },
    {
      name: 'keeps the last turn’s mark over the tools’ earlier ones, which the last tool’s covers (each tool marked)',
      input: {
        tools: [tool('a', true), tool('b', true), tool('c', true)],
        system: [{ type: 'text', text: 'S1', cacheControl: MARK }, { type: 'text', text: 'S2', cacheControl: MARK }],
        messages: [turn('a', true)],
      },
      kept: ['tools[2]', 'system[0]', 'system[1]', 'messages[0][0]'],
    },
    {
      name: 'then the system prompt’s earlier marks, keeping the last of each part of the prompt',
      input: {
        tools: [tool('a', true), tool('b', true)],
        system: ['S1', 'S2', 'S3'].map((text) => ({ type: 'text' as const, text, cacheControl: MARK })),
        messages: [turn('a', true), turn('b', true)],
      },
      kept: ['tools[1]', 'system[1]', 'system[2]', 'messages[1][0]'],
    },
    {
      name: 'drops tool marks, earliest first, when the tools alone are over the limit',
      input: { tools: ['a', 'b', 'c', 'd', 'e'].map((n) => tool(n, true)) },
      kept: ['tools[1]', 'tools[2]', 'tools[3]', 'tools[4]'],
    },
  ])('$name', ({ input, kept }) => {
    expect(marks(withinBreakpointLimit(base(input)))).toEqual(kept);
  });

  it('gives back the very request when it is within the limit', () => {
    const req = base({ system: [{ type: 'text', text: 'S', cacheControl: MARK }] });

    expect(withinBreakpointLimit(req)).toBe(req);
  });

  it('keeps every part but the marks, and leaves the client’s request as it was', () => {
    const req = base({ messages: ['a', 'b', 'c', 'd', 'e'].map((t) => turn(t, true)) });
    const before = structuredClone(req);

    const out = withinBreakpointLimit(req);

    expect(out.messages.map((m) => m.parts.map((p) => ('text' in p ? p.text : '')))).toEqual([['a'], ['b'], ['c'], ['d'], ['e']]);
    expect(out.messages[0]).toEqual({ role: 'user', parts: [{ type: 'text', text: 'a' }] });
    expect(req).toEqual(before);
  });
});
