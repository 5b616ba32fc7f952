/**
 * The shapes the provider matrix talks in: what a fake upstream "means to say" (`Meant`), what it
 * received read back from its native wire format (`Received`), and the rig each provider module
 * builds around its fake (`ProviderRig`).
 */
import type { GatewayConfigInput } from '../../../lib/config/schema';

export type Mode = 'stream' | 'non-stream';

/** Token counts as the canonical rule counts them: `prompt` is every prompt token, cache reads and writes included. */
export interface MeantUsage {
  prompt: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

/** A tool as the matrix declares it, with the schema Gemini must receive for it (its OpenAPI subset: upper-case types, no additionalProperties). */
export interface MatrixTool {
  name: string;
  description: string;
  parameters: unknown;
  geminiParameters: unknown;
}

/** A question and the tools the client offers with it. */
export interface ToolQuestion {
  question: string;
  tools: MatrixTool[];
  /** A text the client sends after the results, in the same turn where its dialect allows (as Claude Code adds a reminder to it). */
  note?: string;
}

export interface MeantCall {
  name: string;
  args: Record<string, unknown>;
}

/** What the upstream model says in one answer, independent of any wire format; tool calls come in the order given, after `text` when there is one. */
export type Meant =
  /** `cut`: the answer stopped at the token limit (max_tokens) rather than where the model ended it. */
  | { kind: 'text'; text: string; cut?: boolean; usage: MeantUsage }
  | { kind: 'tool_calls'; text?: string; calls: MeantCall[]; usage: MeantUsage };

export interface ReceivedTool {
  name: string;
  description: string | undefined;
  /** The parameters schema exactly as the provider received it. */
  schema: unknown;
}

export interface ReceivedToolCall {
  /** Undefined where the provider's history has no call ids (Gemini). */
  id: string | undefined;
  name: string;
  args: unknown;
}

export interface ReceivedToolResult {
  /** What ties the result to its call: the call id, or the tool's name (Gemini). */
  link: string;
  /** The result, JSON-parsed when it is JSON text. */
  content: unknown;
}

export interface ReceivedImage {
  mediaType: string;
  /** Base64 of the image bytes. */
  data: string;
}

/** One upstream request read back from the provider's native format into comparable facts. */
export interface Received {
  model: string;
  stream: boolean;
  userTexts: string[];
  /** The text of the assistant turns of the history, one entry per turn that has text. */
  assistantTexts: string[];
  images: ReceivedImage[];
  tools: ReceivedTool[];
  /** Tool calls in the assistant turns of the history. */
  toolCalls: ReceivedToolCall[];
  toolResults: ReceivedToolResult[];
}

type ProviderInput = GatewayConfigInput['providers'][number];

/** One provider fake, ready to be scripted and read, with the gateway config that points at it. */
export interface ProviderRig {
  /** The provider id in the gateway config (also what usage records name). */
  providerId: string;
  /** The model name clients send. */
  model: string;
  /** The model id the upstream is asked for. */
  upstreamModel: string;
  /** The provider's config entry; several rigs may share one (they then name the same provider). */
  provider: ProviderInput;
  /** Environment values the credentials references in `provider` resolve to. */
  env: Record<string, string>;
  /** Whether the provider reports cache writes (Anthropic, Bedrock) besides cache reads. */
  reportsCacheWrites: boolean;
  /** The id the upstream sends on the wire for the answer's `index`th tool call; undefined when it sends none (Gemini). */
  toolCallId(index: number): string | undefined;
  /** How a tool result names its call in this provider's history. */
  resultLink: 'id' | 'name';
  /** A tool's parameters schema as this provider must receive it. */
  expectedToolSchema(tool: MatrixTool): unknown;
  /** Decides the upstream's next answers. */
  script(meant: Meant): void;
  /** Forgets recorded requests. */
  reset(): void;
  /** How many requests reached the fake since the last reset. */
  count(): number;
  /** The last request, read back from the native format. */
  last(): Received;
  close(): Promise<void>;
}

/** A client's parsed answer, in a shape both surfaces share so cases read alike. */
export interface Answer {
  text: string;
  toolCalls: { id: string; name: string; args: unknown }[];
  /** finish_reason (OpenAI), stop_reason (Anthropic), finishReason (Gemini), or status and incomplete_details.reason (Responses). */
  finish: string | null;
  /** The token counts as the client reported them, under the surface's own names. */
  usage: Record<string, number>;
  /** Stream rules the received events broke (see stream-rules.ts); always empty for non-streams. */
  streamViolations: string[];
}

/** The official client of one surface, pointed at the gateway with one key. */
export interface SurfaceClient {
  say(model: string, mode: Mode): Promise<Answer>;
  /** Asks a question with tools; `sendResult` sends the calls and their results (`toolResultFor`) back, in the client's format. */
  askWithTools(model: string, mode: Mode, ask: ToolQuestion): Promise<{ answer: Answer; sendResult(mode: Mode): Promise<Answer> }>;
  showImage(model: string, mode: Mode): Promise<Answer>;
}

export interface SurfaceSpec {
  label: string;
  /** The finish the client reports: after text, after tool calls, and after an answer cut by the token limit. */
  finish: { text: string; toolCall: string; cut: string };
  /** What this surface's client reports for the meant usage. */
  usage(meant: MeantUsage): Answer['usage'];
  /** The tool schema a provider must receive from this surface, when not `rig.expectedToolSchema` (a body passed through keeps the client's own). */
  toolSchemaFor?(rig: ProviderRig, tool: MatrixTool): unknown;
  /** Whether calls reach this client without ids from `rig` (passed through from an upstream that has none), its answer naming each by its tool. */
  callsWithoutIds?(rig: ProviderRig): boolean;
  connect(gatewayUrl: string, key: string): SurfaceClient;
}
