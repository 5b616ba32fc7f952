import type { Message } from '../lib/canonical/types';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/**
 * A canonical agent history for the translators' micro-benchmarks: `rounds` rounds of four
 * messages (the user's ask, with an image every third round; the assistant's text and tool call;
 * the call's result; the assistant's word on it), so 40 messages by default, the shape an agent
 * resends on every turn.
 *
 * @example
 * toolLoop().length // 40
 */
export function toolLoop(rounds = 10): Message[] {
  const messages: Message[] = [];
  for (let r = 0; r < rounds; r++) {
    const id = `toolu_${String(r).padStart(24, '0')}`;
    const image = r % 3 === 0 ? [{ type: 'image' as const, source: { kind: 'base64' as const, mediaType: 'image/png', data: PNG } }] : [];
    messages.push(
      { role: 'user', parts: [{ type: 'text', text: `Step ${r}: read src/file${r}.ts and fix the failing test.` }, ...image] },
      { role: 'assistant', parts: [{ type: 'text', text: `I'll read src/file${r}.ts first.` }, { type: 'tool_call', id, name: 'read_file', arguments: `{"path":"src/file${r}.ts"}` }] },
      { role: 'user', parts: [{ type: 'tool_result', toolCallId: id, content: `export const value${r} = ${r};\n` }] },
      { role: 'assistant', parts: [{ type: 'text', text: `value${r} is fine; the test expects ${r + 1}.` }] },
    );
  }
  return messages;
}
