/**
 * The canonical form: one representation between every surface (what clients speak) and every
 * provider (what upstreams speak), so translation is N + M functions, not N × M.
 *
 * Conventions, pinned here once:
 * - Tool results are parts of a `user` message (Anthropic's model); an OpenAI encoder splits
 *   them into `tool` messages, an OpenAI decoder folds `tool` messages back in.
 * - Tool-call arguments are JSON *text* (as OpenAI streams them); `""` means `{}`.
 * - Token usage follows `TokenUsage`: `input` counts every prompt token, cache reads and writes
 *   included (so Anthropic's `input_tokens + cache_read + cache_creation`).
 * - `cacheControl` is kept where a client put it; encoders for providers without prompt caching drop it.
 */
import type { TokenUsage } from '../usage/tokens';
import type { SignatureFamily } from './signatures';

export type { TokenUsage };
export type { SignatureFamily };

export interface CacheControl {
  type: 'ephemeral';
  ttl?: string;
}

export interface TextPart {
  type: 'text';
  text: string;
  cacheControl?: CacheControl;
  /**
   * An answer's words that the upstream marked as its refusal (OpenAI's `refusal`), for a surface
   * that has a refusal part of its own (Responses); every other surface sends them as text.
   */
  refusal?: true;
}

export type ImageSource = { kind: 'base64'; mediaType: string; data: string } | { kind: 'url'; url: string };

export interface ImagePart {
  type: 'image';
  source: ImageSource;
  /** OpenAI's `detail` (low | high | auto). */
  detail?: string;
  cacheControl?: CacheControl;
}

/** A PDF or plain-text document (Anthropic `document`, OpenAI `file`, Gemini inlineData, Bedrock document). */
export interface DocumentPart {
  type: 'document';
  source: { kind: 'base64'; mediaType: string; data: string } | { kind: 'url'; url: string } | { kind: 'text'; text: string };
  title?: string;
  cacheControl?: CacheControl;
}

export interface ToolCallPart {
  type: 'tool_call';
  id: string;
  name: string;
  /** JSON text of the arguments. */
  arguments: string;
  cacheControl?: CacheControl;
  /** Opaque provider data that must round-trip with the call (Gemini's thoughtSignature). */
  signature?: string;
  /** Who made `signature` (see `signatures.ts`); undefined when a client sent one unmarked from before the mark. */
  signedBy?: SignatureFamily;
}

export interface ToolResultPart {
  type: 'tool_result';
  toolCallId: string;
  /** The tool's name where the source knows it (Gemini needs it; OpenAI and Anthropic do not send it). */
  name?: string;
  content: string | (TextPart | ImagePart)[];
  isError?: boolean;
  cacheControl?: CacheControl;
}

export interface ThinkingPart {
  type: 'thinking';
  text: string;
  /** The provider's signature (Anthropic's, Bedrock's, Gemini's), which must come back unchanged in later turns, to that family only. */
  signature?: string;
  /** Who made `signature` (see `signatures.ts`); undefined when a client sent one unmarked from before the mark. */
  signedBy?: SignatureFamily;
}

/** Claude's encrypted thinking (Anthropic, Bedrock): only the Claude family makes or reads it. */
export interface RedactedThinkingPart {
  type: 'redacted_thinking';
  data: string;
}

export type UserPart = TextPart | ImagePart | DocumentPart | ToolResultPart;
export type AssistantPart = TextPart | ToolCallPart | ThinkingPart | RedactedThinkingPart;
export type Part = UserPart | AssistantPart;

export type Message = { role: 'user'; parts: UserPart[] } | { role: 'assistant'; parts: AssistantPart[] };

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments (an object schema). */
  parameters: Record<string, unknown>;
  /** OpenAI's strict function calling. */
  strict?: boolean;
  cacheControl?: CacheControl;
}

export type ToolChoice = { type: 'auto' } | { type: 'none' } | { type: 'required' } | { type: 'tool'; name: string };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict?: boolean; description?: string };

export interface ReasoningOptions {
  /** OpenAI's reasoning_effort. */
  effort?: 'minimal' | 'low' | 'medium' | 'high';
  /** Anthropic's thinking budget (and Gemini's thinkingBudget). */
  budgetTokens?: number;
}

export interface ChatRequest {
  /** The upstream model id (the router sets it; surfaces put the client's model name here). */
  model: string;
  /** System and developer prompts, in order. */
  system: TextPart[];
  messages: Message[];
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  /** false = at most one tool call per turn. */
  parallelToolCalls?: boolean;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stop?: string[];
  responseFormat?: ResponseFormat;
  reasoning?: ReasoningOptions;
  seed?: number;
  /** An end-user id for the provider's abuse monitoring (OpenAI `user`, Anthropic `metadata.user_id`). */
  user?: string;
  stream: boolean;
  /**
   * The values the model's request parameter policy (`lib/params/`) chose rather than the client:
   * `reasoning`, `temperature` and `topP` it filled in where the client sent none, `maxTokens` it
   * set or lowered. Where a target cannot take two values together (Claude's thinking with a
   * temperature), a translator gives way on the policy's, since the client did not ask for the clash.
   */
  setByPolicy?: PolicyChoices;
}

/** Which of a request's values the model's parameter policy chose (see `ChatRequest.setByPolicy`). */
export interface PolicyChoices {
  reasoning?: boolean;
  temperature?: boolean;
  topP?: boolean;
  maxTokens?: boolean;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'error';

/** A whole (non-streamed) answer. */
export interface ChatResponse {
  id: string;
  model: string;
  parts: AssistantPart[];
  finishReason: FinishReason;
  /** The stop sequence that ended the answer, when one did. */
  stopSequence?: string;
  usage: TokenUsage;
}

/**
 * A streamed answer, as events. Rules every decoder keeps and every encoder may rely on:
 * - `start` comes first, once.
 * - Parts stream one after another: a text run, a thinking run or a tool call; a tool call is
 *   `tool_call_start`, any number of `tool_call_delta`, `tool_call_end`. `toolIndex` counts tool
 *   calls only (0, 1, …).
 * - `usage` may come several times; each one is the running total so far (take the last).
 * - `finish` comes once, after all content; `usage` may still follow it (OpenAI's usage chunk,
 *   Bedrock's metadata), so encoders that need usage with the finish wait for the end of the events.
 * - `error` ends the stream.
 */
export type StreamEvent =
  | { type: 'start'; id: string; model: string }
  /** `refusal`: as on `TextPart`. */
  | { type: 'text_delta'; text: string; refusal?: true }
  | { type: 'thinking_delta'; text: string }
  | { type: 'thinking_signature'; signature: string; signedBy?: SignatureFamily }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'tool_call_start'; toolIndex: number; id: string; name: string; signature?: string; signedBy?: SignatureFamily }
  | { type: 'tool_call_delta'; toolIndex: number; arguments: string }
  | { type: 'tool_call_end'; toolIndex: number }
  | { type: 'usage'; usage: TokenUsage }
  | { type: 'finish'; reason: FinishReason; stopSequence?: string }
  | { type: 'error'; error: import('../http/errors').GatewayError };
