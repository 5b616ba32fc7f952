import type { AssistantPart, Message, ToolResultPart, UserPart } from '../canonical/types';

/**
 * Builds a canonical history from a client's turns, in order, keeping the canonical form's rule
 * for tool results (lib/canonical/types.ts): results are parts of one user message, and a user
 * message right after them joins it, results first. Each result gets the tool's name from the
 * call it answers, since Gemini maps results by name. Shared by the OpenAI decoders (Chat
 * Completions' `tool` messages, the Responses API's `function_call_output` items).
 *
 * @example
 * const history = new HistoryBuilder();
 * history.assistant([{ type: 'tool_call', id: 'c1', name: 'f', arguments: '{}' }]);
 * history.toolResult({ type: 'tool_result', toolCallId: 'c1', content: 'ok' });
 * history.user([{ type: 'text', text: 'And?' }]);
 * history.messages; // assistant, then one user message: the result (named 'f'), then the text
 */
export class HistoryBuilder {
  readonly messages: Message[] = [];
  readonly #toolNames = new Map<string, string>();
  /** The user message that collects tool results (and a user message right after them). */
  #results: { role: 'user'; parts: UserPart[] } | undefined;

  user(parts: UserPart[]): void {
    if (this.#results) this.#results.parts.push(...parts);
    else this.messages.push({ role: 'user', parts });
    this.#results = undefined;
  }

  /**
   * Assistant parts: a message of their own, or with `continueTurn` added to the assistant
   * message that ends the history (the Responses API sends a turn as several items).
   */
  assistant(parts: AssistantPart[], options: { continueTurn?: boolean } = {}): void {
    this.#results = undefined;
    for (const p of parts) if (p.type === 'tool_call') this.#toolNames.set(p.id, p.name);
    const last = this.messages[this.messages.length - 1];
    if (options.continueTurn && last?.role === 'assistant') last.parts.push(...parts);
    else this.messages.push({ role: 'assistant', parts });
  }

  toolResult(part: ToolResultPart): void {
    const name = this.#toolNames.get(part.toolCallId);
    if (name !== undefined) part.name = name;
    if (this.#results) this.#results.parts.push(part);
    else this.messages.push((this.#results = { role: 'user', parts: [part] }));
  }
}
