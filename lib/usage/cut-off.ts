import type { StreamEvent } from '../canonical/types';
import { charTokens } from '../surfaces/anthropic-messages/count-tokens';
import { NO_TOKENS, type TokenUsage } from './tokens';

/**
 * What a canonical stream event carries of the answer, for cut-off charging: the characters it
 * relays (text, thinking, a tool's name and arguments), and whether it is a token (the first one
 * marks the time to first token). Undefined for events that carry none.
 *
 * @example
 * relayedOutput({ type: 'text_delta', text: 'Hi' }) // { chars: 2, token: true }
 * relayedOutput({ type: 'tool_call_delta', toolIndex: 0, arguments: '{"a"' }) // { chars: 4, token: false }
 */
export function relayedOutput(event: StreamEvent): { chars: number; token: boolean } | undefined {
  switch (event.type) {
    case 'text_delta':
    case 'thinking_delta':
      return { chars: event.text.length, token: true };
    case 'tool_call_start':
      return { chars: event.name.length, token: true };
    case 'tool_call_delta':
      return { chars: event.arguments.length, token: false };
    default:
      return undefined;
  }
}

/** What a stream cut off before its last usage count leaves on the books. */
export interface CutOffUsage {
  usage: TokenUsage;
  /** Some of it is the gateway's estimate, not the provider's count. */
  estimated: boolean;
}

/**
 * The usage of a stream that ended before the upstream's final count (the client left, the
 * upstream broke off, the deadline came): what the upstream reported so far, with its output
 * raised to what was relayed (characters to tokens, as count_tokens estimates), and its prompt
 * estimated when no count of it came, since the provider charges for the prompt it read and the
 * output it wrote up to the cut. Without these, a budget would be charged for no output at all
 * (Anthropic reports output at the end) or keep the call's whole worst case (OpenAI reports
 * nothing until the end).
 *
 * @example
 * cutOffUsage({ ...NO_TOKENS, input: 900, output: 1 }, 340, () => 0) // output 100, estimated
 */
export function cutOffUsage(reported: TokenUsage | undefined, outputChars: number, promptTokens: () => number): CutOffUsage {
  const usage = { ...(reported ?? NO_TOKENS) };
  let estimated = false;
  const relayed = charTokens(outputChars);
  if (relayed > usage.output) {
    usage.output = relayed;
    estimated = true;
  }
  if (usage.input === 0) {
    usage.input = promptTokens();
    estimated ||= usage.input > 0;
  }
  return { usage, estimated };
}
