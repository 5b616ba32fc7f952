/**
 * The request checks of the fake Bedrock (`bedrock.ts`): the mistakes a gateway makes when it
 * translates into Converse or rewrites an Anthropic body, answered with Bedrock's own messages.
 */
import type { RecordedRequest } from './http';
import { isClaudeSignature } from './signatures';

type Block = Record<string, unknown>;
type ConverseMessage = { role?: unknown; content?: unknown };

/** Beta flags Claude on Bedrock accepts; any other gets "invalid beta flag". */
const KNOWN_BETAS = new Set([
  'computer-use-2024-10-22',
  'computer-use-2025-01-24',
  'token-efficient-tools-2025-02-19',
  'interleaved-thinking-2025-05-14',
  'output-128k-2025-02-19',
  'dev-full-thinking-2025-05-14',
  'context-1m-2025-08-07',
  'context-management-2025-06-27',
  'effort-2025-11-24',
  'tool-search-tool-2025-10-19',
  'tool-examples-2025-10-29',
]);

const isBlank = (v: unknown): boolean => typeof v === 'string' && v.trim() === '';

/** A Converse body's first problem as Bedrock words it, or undefined. */
export function validateConverse(record: RecordedRequest): string | undefined {
  const body = record.body as { messages?: unknown; system?: unknown; toolConfig?: { tools?: unknown[] } } | undefined;
  if (typeof body !== 'object' || body === null) return 'Malformed input request, please reformat your input and try again.';
  const messages = Array.isArray(body.messages) ? (body.messages as ConverseMessage[]) : [];
  if (messages.length === 0 || messages[0]?.role !== 'user') return 'A conversation must start with a user message. Try again with a conversation that starts with a user message.';
  let toolBlocks = false;
  const claude = /anthropic\.|claude/i.test(decodeURIComponent(record.path));
  for (const [i, message] of messages.entries()) {
    if (i > 0 && messages[i - 1]?.role === message.role) {
      return 'A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.';
    }
    if (!Array.isArray(message.content) || message.content.length === 0) {
      return `The content field in the Message object at messages.${i} is empty. Add a ContentBlock object to the content field and try again.`;
    }
    for (const [j, block] of (message.content as Block[]).entries()) {
      if ('text' in block && isBlank(block.text)) return `The text field in the ContentBlock object at messages.${i}.content.${j} is blank. Add text to the text field, and try again.`;
      // Claude on Bedrock verifies thinking signatures as Anthropic does: one Claude did not make is refused.
      const signature = (block.reasoningContent as { reasoningText?: { signature?: unknown } } | undefined)?.reasoningText?.signature;
      if (claude && typeof signature === 'string' && !isClaudeSignature(signature)) return `The model returned the following errors: messages.${i}.content.${j}: Invalid \`signature\` in \`thinking\` block`;
      const reasoningText = (block.reasoningContent as { reasoningText?: unknown } | undefined)?.reasoningText;
      if (claude && reasoningText !== undefined && signature === undefined) return `The model returned the following errors: messages.${i}.content.${j}.thinking.signature: Field required`;
      const use = block.toolUse as { toolUseId?: unknown; input?: unknown } | undefined;
      const result = block.toolResult as { toolUseId?: unknown; content?: unknown } | undefined;
      if (use || result) toolBlocks = true;
      const id = use?.toolUseId ?? result?.toolUseId;
      if ((use || result) && (typeof id !== 'string' || !/^[a-zA-Z0-9_-]+$/.test(id))) {
        return `1 validation error detected: Value '${String(id)}' at 'messages.${i + 1}.member.content.${j + 1}.member.${use ? 'toolUse' : 'toolResult'}.toolUseId' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+`;
      }
      if (use && (typeof use.input !== 'object' || use.input === null || Array.isArray(use.input))) return `The toolUse input at messages.${i}.content.${j} must be a JSON object.`;
      if (result && !Array.isArray(result.content)) return `The toolResult content at messages.${i}.content.${j} must be a list.`;
      for (const [k, inner] of ((result?.content as Block[] | undefined) ?? []).entries()) {
        if ('text' in inner && isBlank(inner.text)) return `The text field in the ToolResultContentBlock object at messages.${i}.content.${j}.content.${k} is blank. Add text to the text field, and try again.`;
      }
    }
  }
  for (const [k, block] of (Array.isArray(body.system) ? (body.system as Block[]) : []).entries()) {
    if ('text' in block && isBlank(block.text)) return `The text field in the SystemContentBlock object at system.${k} is blank. Add text to the text field, and try again.`;
  }
  const tools = body.toolConfig?.tools;
  if (body.toolConfig && (!Array.isArray(tools) || tools.length === 0)) {
    return `1 validation error detected: Value '[]' at 'toolConfig.tools' failed to satisfy constraint: Member must have length greater than or equal to 1`;
  }
  if (toolBlocks && !body.toolConfig) return 'The toolConfig field must be defined when using toolUse and toolResult content blocks.';
  const unpaired = conversePairingProblem(messages);
  if (unpaired) return unpaired;
  if (claude) {
    const choiceProblem = additionalToolChoiceProblem(body as { toolConfig?: { toolChoice?: Record<string, unknown> }; additionalModelRequestFields?: { tool_choice?: { type?: unknown } } });
    if (choiceProblem) return choiceProblem;
  }
  // GPT-OSS and Qwen take no stop sequences through Converse (Bedrock's own words, as reported in
  // crewAIInc/crewAI#3317 and langgenius/dify-official-plugins#1767).
  const stops = (body as { inferenceConfig?: { stopSequences?: unknown } }).inferenceConfig?.stopSequences;
  if (stops !== undefined && /(^|[./])(openai|qwen)\./i.test(decodeURIComponent(record.path))) return "This model doesn't support the stopSequences field. Remove stopSequences and try again.";
  if (claude) {
    const prefill = conversePrefillProblem(messages);
    if (prefill) return prefill;
  }
  const thinking = (body as { additionalModelRequestFields?: { thinking?: { type?: unknown } } }).additionalModelRequestFields?.thinking;
  // "Tool use with thinking only supports tool_choice: {type: 'auto'} (the default) or {type: 'none'}"
  // (https://docs.claude.com/en/docs/build-with-claude/extended-thinking); Bedrock passes Claude's 400 on.
  const forced = (body as { toolConfig?: { toolChoice?: Record<string, unknown> } }).toolConfig?.toolChoice;
  if (claude && thinking?.type === 'enabled' && forced && ('any' in forced || 'tool' in forced)) return 'The model returned the following errors: Thinking may not be enabled when tool_choice forces tool use.';
  if (claude && thinking?.type === 'enabled') return converseThinkingFirst(messages);
  return undefined;
}

/**
 * Claude's prefill rules, as Bedrock passes them on: a final assistant message may not end in
 * whitespace (https://docs.claude.com/en/docs/build-with-claude/prompt-engineering/prefill-claudes-response)
 * and, with thinking on, must start with its reasoning ("You cannot pre-fill responses when thinking
 * is enabled", https://docs.claude.com/en/docs/build-with-claude/extended-thinking).
 */
function conversePrefillProblem(messages: ConverseMessage[]): string | undefined {
  const last = messages.at(-1);
  if (last?.role !== 'assistant' || !Array.isArray(last.content)) return undefined;
  const texts = (last.content as Block[]).filter((b) => 'text' in b);
  if (/\s$/.test(String(texts.at(-1)?.text ?? ''))) return 'The model returned the following errors: messages: final assistant content cannot end with trailing whitespace';
  return undefined;
}

/**
 * Claude's own `tool_choice` among the additional fields (how `disable_parallel_tool_use` reaches
 * it): Bedrock merges it into the choice it writes from `toolConfig.toolChoice` and refuses a second
 * type beside that; without a toolConfig.toolChoice Claude needs the type.
 */
function additionalToolChoiceProblem(body: { toolConfig?: { toolChoice?: Record<string, unknown> }; additionalModelRequestFields?: { tool_choice?: { type?: unknown } } }): string | undefined {
  const extra = body.additionalModelRequestFields?.tool_choice;
  if (!extra) return undefined;
  const converse = body.toolConfig?.toolChoice;
  if (converse && extra.type !== undefined) {
    return `The additional field tool_choice/type conflicts with the existing field toolConfig.toolChoice.${Object.keys(converse)[0] ?? ''}. Remove tool_choice/type and try again.`;
  }
  if (!converse && extra.type === undefined) return 'The model returned the following errors: tool_choice.type: Field required';
  return undefined;
}

/** Bedrock's pairing rule: a turn's toolUse ids are answered by toolResult blocks in the next message (when there is one), and by no more. */
function conversePairingProblem(messages: ConverseMessage[]): string | undefined {
  const blocks = (m: ConverseMessage | undefined) => (Array.isArray(m?.content) ? (m.content as Block[]) : []);
  const idsOf = (m: ConverseMessage | undefined, key: 'toolUse' | 'toolResult') => blocks(m).flatMap((b) => (b[key] ? [(b[key] as { toolUseId?: unknown }).toolUseId] : []));
  for (const [i, m] of messages.entries()) {
    const results = idsOf(m, 'toolResult');
    const asked = m.role === 'user' ? idsOf(messages[i - 1], 'toolUse') : [];
    if (results.length > asked.length) return `The number of toolResult blocks at messages.${i}.content exceeds the number of toolUse blocks of previous turn.`;
    const next = messages[i + 1];
    if (m.role !== 'assistant' || !next) continue;
    const answered = new Set(idsOf(next, 'toolResult'));
    const missing = idsOf(m, 'toolUse').filter((id) => !answered.has(id));
    if (missing.length > 0) return `Expected toolResult blocks at messages.${i + 1}.content for the following Ids: ${missing.map(String).join(', ')}`;
  }
  return undefined;
}

/** Claude's rule, as Bedrock passes it on: with thinking on, a tool loop's assistant turn starts with its reasoning. */
function converseThinkingFirst(messages: ConverseMessage[]): string | undefined {
  const at = messages.length - 2;
  const blocks = (m: ConverseMessage | undefined) => (Array.isArray(m?.content) ? (m.content as Block[]) : []);
  const final = messages.at(-1);
  if (final?.role === 'assistant' && !('reasoningContent' in (blocks(final)[0] ?? {}))) {
    return `The model returned the following errors: messages.${messages.length - 1}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`text\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block. To avoid this requirement, disable \`thinking\`.`;
  }
  const [turn, last] = [messages[at], messages[at + 1]];
  if (turn?.role !== 'assistant' || !blocks(turn).some((b) => 'toolUse' in b) || !blocks(last).some((b) => 'toolResult' in b)) return undefined;
  if ('reasoningContent' in (blocks(turn)[0] ?? {})) return undefined;
  return `The model returned the following errors: messages.${at}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`tool_use\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks). To avoid this requirement, disable \`thinking\`.`;
}

/** An InvokeModel body for Claude: the Anthropic Messages body with Bedrock's rules. */
export function validateInvoke(record: RecordedRequest): string | undefined {
  const body = record.body as Record<string, unknown> | undefined;
  if (typeof body !== 'object' || body === null) return 'Malformed input request, please reformat your input and try again.';
  for (const key of ['model', 'stream']) if (key in body) return `Malformed input request: #: extraneous key [${key}] is not permitted, please reformat your input and try again.`;
  if (body.anthropic_version !== 'bedrock-2023-05-31') {
    return body.anthropic_version === undefined ? 'Malformed input request: #: required key [anthropic_version] not found, please reformat your input and try again.' : 'Invalid API version';
  }
  if (typeof body.max_tokens !== 'number') return 'Malformed input request: #: required key [max_tokens] not found, please reformat your input and try again.';
  const betas = body.anthropic_beta;
  if (betas !== undefined && (!Array.isArray(betas) || betas.some((b) => typeof b !== 'string' || !KNOWN_BETAS.has(b)))) return 'invalid beta flag';
  for (const [i, message] of (Array.isArray(body.messages) ? (body.messages as ConverseMessage[]) : []).entries()) {
    for (const [j, block] of (Array.isArray(message.content) ? (message.content as Block[]) : []).entries()) {
      if (block.type === 'thinking' && !isClaudeSignature(String(block.signature ?? ''))) return `messages.${i}.content.${j}: Invalid \`signature\` in \`thinking\` block`;
    }
  }
  return undefined;
}
