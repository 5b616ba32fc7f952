import type { Message } from '../../canonical/types';
import { clientField } from '../error-fields';
import { decodeChatRequest } from './decode';
import { chatMessageFields } from './error-fields';

/**
 * `chatMessageFields` against the decoder itself, over random histories: it mirrors how
 * decode.ts drops and merges messages and parts, so a change to one that the other misses shows
 * here as a name that points at another field of the body (a wrong index is worse than none).
 */

/** mulberry32: seeded, so a failure replays with the seed the test prints. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A valid Chat Completions history: every role the decoder keeps or leaves out, texts empty and not, images and files, refusals, calls and results (a string, empty or not, or an array of none to several texts). Each text, call and result is unique to where it stands. */
function history(random: () => number): Record<string, unknown>[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const count = (most: number) => Math.floor(random() * (most + 1));
  return Array.from({ length: 1 + count(9) }, (_, i): Record<string, unknown> => {
    const text = (n: number) => pick(['', `text ${i}.${n}`]);
    switch (pick(['system', 'developer', 'user', 'user', 'assistant', 'assistant', 'tool', 'tool'] as const)) {
      case 'system':
      case 'developer':
        return { role: pick(['system', 'developer']), content: `Rule ${i}.` };
      case 'user':
        return {
          role: 'user',
          content: pick([
            () => text(0),
            () =>
              Array.from({ length: count(3) }, (_, n) =>
                pick([
                  { type: 'text', text: text(n) },
                  { type: 'text', text: text(n) },
                  { type: 'image_url', image_url: { url: `https://example.com/${i}.${n}.png` } },
                  { type: 'file', file: { file_data: `data:application/pdf;base64,${i}${n}AA==` } },
                ]),
              ),
          ])(),
        };
      case 'assistant': {
        const content = pick([
          () => null,
          () => text(0),
          () =>
            Array.from({ length: count(3) }, (_, n) =>
              pick([{ type: 'text', text: text(n) }, { type: 'text', text: text(n), cache_control: { type: 'ephemeral' } }, { type: 'refusal', refusal: text(n) }]),
            ),
        ])();
        const calls = Array.from({ length: count(3) }, (_, n) => ({ id: `call_${i}_${n}`, type: 'function', function: { name: 'get_weather', arguments: `{"at": "${i}.${n}"}` } }));
        return { role: 'assistant', content, ...(calls.length || random() < 0.5 ? { tool_calls: calls } : {}) };
      }
      case 'tool':
        return {
          role: 'tool',
          tool_call_id: `call_for_${i}`,
          content: pick([
            () => pick(['', `result ${i}`]),
            () => Array.from({ length: count(3) }, (_, n) => ({ type: 'text', text: pick(['', `result ${i}.${n}`]), ...(random() < 0.3 ? { cache_control: { type: 'ephemeral' } } : {}) })),
          ])(),
        };
    }
  });
}

/** The value at a field path (`messages[1].tool_calls[0].function.arguments`) of `value`. */
function at(value: unknown, path: string): unknown {
  return path
    .split(/[.[\]]+/)
    .filter(Boolean)
    .reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], value);
}

/** What is wrong with the client field `named` for canonical message `k`'s part `j` of `message`, if anything. */
function misnamed(body: Record<string, unknown>, message: Message, k: number, j: number, name: (canonical: string) => string): string | undefined {
  const part = message.parts[j]!;
  const path = `messages[${k}].content[${j}]`;
  const named = name(path);
  // Read loosely: a wrong name may point at anything, or at nothing.
  const field = at(body, named) as { id?: unknown; text?: unknown; image_url?: { url?: unknown }; file?: { file_data?: unknown } } | string | undefined;
  const holder = (at(body, named.replace(/^(messages\[\d+\]).*$/, '$1')) ?? {}) as { role?: unknown; content?: unknown; tool_call_id?: unknown };
  switch (part.type) {
    case 'tool_call': {
      const args = name(`${path}.arguments`);
      if (at(body, args) !== part.arguments) return `${path}.arguments is named ${args}, which holds ${JSON.stringify(at(body, args))}`;
      return typeof field === 'object' && field?.id === part.id ? undefined : `${path} is named ${named}`;
    }
    case 'tool_result': {
      const id = name(`${path}.tool_call_id`);
      if (at(body, id) !== part.toolCallId) return `${path}.tool_call_id is named ${id}, which holds ${JSON.stringify(at(body, id))}`;
      const content = name(`${path}.content`);
      const written = typeof part.content === 'string' ? part.content : part.content.map((p) => (p.type === 'text' ? p.text : p.type));
      const read = at(body, content);
      const held = typeof read === 'string' ? read : Array.isArray(read) ? (read as { text?: unknown }[]).map((p) => p.text) : read;
      if (JSON.stringify(held) !== JSON.stringify(written)) return `${path}.content is named ${content}, which holds ${JSON.stringify(read)}`;
      // Each text of a result's content array, one to one.
      for (const [m, p] of (typeof part.content === 'string' ? [] : part.content).entries()) {
        const text = name(`${path}.content[${m}]`);
        if ((at(body, text) as { text?: unknown } | undefined)?.text !== (p as { text?: unknown }).text) return `${path}.content[${m}] is named ${text}, which holds ${JSON.stringify(at(body, text))}`;
      }
      return holder.role === 'tool' && holder.tool_call_id === part.toolCallId ? undefined : `${path} is named ${named}`;
    }
    case 'image':
      return typeof field === 'object' && field?.image_url?.url === (part.source as { url?: unknown }).url ? undefined : `${path} is named ${named}`;
    case 'document': {
      const source = part.source as { mediaType?: unknown; data?: unknown };
      return typeof field === 'object' && field?.file?.file_data === `data:${String(source.mediaType)};base64,${String(source.data)}` ? undefined : `${path} is named ${named}`;
    }
    case 'text': {
      // An assistant text does not map to its part: the message that holds it is named.
      if (message.role === 'assistant') {
        const texts = typeof holder.content === 'string' ? [holder.content] : Array.isArray(holder.content) ? (holder.content as { text?: string; refusal?: string }[]).map((p) => p.text ?? p.refusal) : [];
        return holder.role === 'assistant' && texts.includes(part.text) ? undefined : `${path} is named ${named}`;
      }
      return holder.role === 'user' && (field === part.text || (typeof field === 'object' && field?.text === part.text)) ? undefined : `${path} is named ${named}`;
    }
    default:
      return `${path} is a ${part.type} part, which a Chat Completions body does not decode to`;
  }
}

describe('chatMessageFields, against the decoder (fuzz)', () => {
  const SEED = 20261128;
  const ROUNDS = 2000;

  it("names, for every part of every decoded message, merged or not, the client's field that holds it", () => {
    // Prepare
    const random = seeded(SEED);
    const bodies = Array.from({ length: ROUNDS }, () => ({ model: 'gpt-4o', messages: history(random) }));

    // Act
    const wrong = bodies.flatMap((body, round) => {
      const table = chatMessageFields(body);
      const name = (canonical: string) => clientField(table, canonical);
      const problems = decodeChatRequest(body).messages.flatMap((message, k) => message.parts.flatMap((_, j) => misnamed(body, message, k, j, name) ?? []));
      return problems.length ? [{ seed: SEED, round, problems, messages: body.messages }] : [];
    });

    // Assess
    expect(wrong.slice(0, 3)).toEqual([]);
  });

  it('meets every kind of part, every shape of a result, merged results and calls after them', () => {
    // Prepare
    const random = seeded(SEED);
    const decoded = Array.from({ length: ROUNDS }, () => decodeChatRequest({ model: 'gpt-4o', messages: history(random) }).messages);

    // Act
    const kinds = new Set(decoded.flatMap((messages) => messages.flatMap((m) => m.parts.map((p) => `${m.role} ${p.type}`))));
    const mergedThenCalled = decoded.filter((messages) => {
      const merged = messages.findIndex((m) => m.parts.filter((p) => p.type === 'tool_result').length > 1);
      return merged >= 0 && messages.slice(merged).some((m) => m.parts.some((p) => p.type === 'tool_call'));
    });
    // Results and the user message after them: parts of one canonical message from both kinds of client message.
    const resultsThenUser = decoded.filter((messages) => messages.some((m) => m.parts.some((p) => p.type === 'tool_result') && m.parts.some((p) => p.type !== 'tool_result')));
    // A result's content as the client wrote it: each shape one tool message may take.
    const results = decoded.flatMap((messages) => messages.flatMap((m) => m.parts.flatMap((p) => (p.type === 'tool_result' ? [p.content] : []))));
    const contents = new Set(results.map((c) => (typeof c === 'string' ? (c === '' ? 'empty string' : 'string') : c.length === 0 ? 'empty array' : c.length === 1 ? 'one text' : 'several texts')));

    // Assess
    expect([...kinds].sort()).toEqual(['assistant text', 'assistant tool_call', 'user document', 'user image', 'user text', 'user tool_result']);
    expect(mergedThenCalled.length).toBeGreaterThan(ROUNDS / 20);
    expect(resultsThenUser.length).toBeGreaterThan(ROUNDS / 20);
    expect([...contents].sort()).toEqual(['empty array', 'empty string', 'one text', 'several texts', 'string']);
  });
});
