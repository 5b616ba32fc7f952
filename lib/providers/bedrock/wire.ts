/**
 * The Converse API's JSON shapes, as far as the gateway writes and reads them
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html).
 * Blobs (`bytes`, `redactedContent`) are base64 text in JSON.
 */

export interface CachePoint {
  cachePoint: { type: 'default'; ttl?: '5m' | '1h' };
}

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';
export type DocumentFormat = 'pdf' | 'csv' | 'doc' | 'docx' | 'xls' | 'xlsx' | 'html' | 'txt' | 'md';

export interface ImageBlock {
  image: { format: ImageFormat; source: { bytes: string } | { s3Location: { uri: string } } };
}

export interface DocumentBlock {
  document: { format: DocumentFormat; name: string; source: { bytes: string } | { s3Location: { uri: string } } };
}

export type ToolResultContent = { text: string } | { json: unknown } | ImageBlock | DocumentBlock;

export type ContentBlock =
  | { text: string }
  | ImageBlock
  | DocumentBlock
  | { toolUse: { toolUseId: string; name: string; input: unknown } }
  | { toolResult: { toolUseId: string; content: ToolResultContent[]; status?: 'success' | 'error' } }
  | { reasoningContent: { reasoningText: { text: string; signature?: string } } | { redactedContent: string } }
  | CachePoint;

export interface ConverseMessage {
  role: 'user' | 'assistant';
  content: ContentBlock[];
}

export type ToolEntry = { toolSpec: { name: string; description?: string; inputSchema: { json: Record<string, unknown> }; strict?: boolean } } | CachePoint;

export type ToolChoiceBlock = { auto: Record<string, never> } | { any: Record<string, never> } | { tool: { name: string } };

/** The body of `POST /model/{modelId}/converse` and `/converse-stream`. */
export interface ConverseBody {
  messages: ConverseMessage[];
  system?: ({ text: string } | CachePoint)[];
  inferenceConfig?: { maxTokens?: number; temperature?: number; topP?: number; stopSequences?: string[] };
  toolConfig?: { tools: ToolEntry[]; toolChoice?: ToolChoiceBlock };
  additionalModelRequestFields?: Record<string, unknown>;
  additionalModelResponseFieldPaths?: string[];
  requestMetadata?: Record<string, string>;
  outputConfig?: { textFormat: { type: 'json_schema'; structure: { jsonSchema: { schema: string; name?: string; description?: string } } } };
}

/** Converse's `usage` (and the stream's `metadata.usage`). */
export interface ConverseUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}
