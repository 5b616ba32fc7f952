/**
 * The embedding models of the fake Bedrock (`bedrock.ts`) on InvokeModel, as Bedrock documents
 * them: Amazon Titan Text Embeddings V1 and V2 (`{inputText, dimensions?, normalize?}` →
 * `{embedding, inputTextTokenCount}`, one text a call) and Cohere Embed v3 and v4
 * (`{texts ≤ 96, input_type, …}` → `{id, embeddings, response_type, texts}`, no token count).
 * Vectors are deterministic: a text's vector depends on the model id and the text alone.
 */
import { randomUUID } from 'node:crypto';
import { embeddingTokens, embeddingVector } from './openai-wire';

type Family = 'titan-v1' | 'titan-v2' | 'cohere-v3' | 'cohere-v4';

const FAMILIES: { pattern: RegExp; family: Family }[] = [
  { pattern: /amazon\.titan-embed-text-v2/, family: 'titan-v2' },
  { pattern: /amazon\.titan-embed-text-v1/, family: 'titan-v1' },
  { pattern: /cohere\.embed-(english|multilingual)-v3/, family: 'cohere-v3' },
  { pattern: /cohere\.embed-v4/, family: 'cohere-v4' },
];

const familyOf = (modelId: string) => FAMILIES.find((f) => f.pattern.test(modelId))?.family;

/** Whether InvokeModel on this model id embeds rather than chats. */
export const isEmbeddingModel = (modelId: string): boolean => familyOf(modelId) !== undefined;

/** Each model's vector size when none is asked for. */
const DEFAULT_DIMENSIONS: Record<Family, number> = { 'titan-v1': 1536, 'titan-v2': 1024, 'cohere-v3': 1024, 'cohere-v4': 1536 };

/** Cohere's limit of texts per call. */
export const COHERE_MAX_TEXTS = 96;

const malformed = (detail: string) => `Malformed input request: ${detail}, please reformat your input and try again.`;

/** An embedding body's first problem, worded as Bedrock's ValidationException words it, or undefined. */
export function invalidEmbeddingBody(modelId: string, body: unknown): string | undefined {
  const family = familyOf(modelId)!;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'Malformed input request, please reformat your input and try again.';
  const b = body as Record<string, unknown>;
  if (family.startsWith('titan')) {
    const allowed = family === 'titan-v2' ? ['inputText', 'dimensions', 'normalize', 'embeddingTypes'] : ['inputText'];
    const extra = Object.keys(b).find((k) => !allowed.includes(k));
    if (extra) return malformed(`#: extraneous key [${extra}] is not permitted`);
    if (typeof b.inputText !== 'string') return malformed('#: required key [inputText] not found');
    if (b.inputText === '') return malformed('#/inputText: expected minLength: 1, actual: 0');
    if (b.dimensions !== undefined && ![256, 512, 1024].includes(b.dimensions as number)) return malformed(`#/dimensions: ${String(b.dimensions)} is not a valid enum value`);
    return undefined;
  }
  if (!Array.isArray(b.texts)) return malformed('#: required key [texts] not found');
  if (b.texts.length > COHERE_MAX_TEXTS) return malformed(`#/texts: expected maximum item count: ${COHERE_MAX_TEXTS}, found: ${b.texts.length}`);
  if (typeof b.input_type !== 'string') return malformed('#: required key [input_type] not found');
  if (!['search_document', 'search_query', 'classification', 'clustering'].includes(b.input_type)) return malformed(`#/input_type: ${b.input_type} is not a valid enum value`);
  if (family === 'cohere-v4' && b.output_dimension !== undefined && ![256, 512, 1024, 1536].includes(b.output_dimension as number)) {
    return malformed(`#/output_dimension: ${String(b.output_dimension)} is not a valid enum value`);
  }
  if (family === 'cohere-v3' && 'output_dimension' in b) return malformed('#: extraneous key [output_dimension] is not permitted');
  return undefined;
}

/** The vector the fake gives `text` on `modelId`; Titan V2 normalizes unless told not to, as Bedrock does. */
export function bedrockEmbedding(modelId: string, text: string, dimensions?: number, normalize = true): number[] {
  const family = familyOf(modelId)!;
  const vector = embeddingVector(`${modelId}|${text}`, dimensions ?? DEFAULT_DIMENSIONS[family]);
  if (family !== 'titan-v2' || !normalize) return vector;
  const norm = Math.hypot(...vector);
  return vector.map((v) => Math.fround(v / norm));
}

/** Titan's token count of a text (the fake's: a quarter of its characters, at least one). */
export const titanTokens = (text: string): number => embeddingTokens([text]);

/** The whole InvokeModel answer for a valid embedding body. */
export function embeddingAnswer(modelId: string, body: Record<string, unknown>): { status: number; headers: Record<string, string>; body: string } {
  const family = familyOf(modelId)!;
  const headers: Record<string, string> = { 'x-amzn-requestid': randomUUID(), 'content-type': 'application/json' };
  if (family.startsWith('titan')) {
    const text = body.inputText as string;
    const embedding = bedrockEmbedding(modelId, text, body.dimensions as number | undefined, body.normalize !== false);
    const tokens = titanTokens(text);
    const answer = family === 'titan-v2' ? { embedding, embeddingsByType: { float: embedding }, inputTextTokenCount: tokens } : { embedding, inputTextTokenCount: tokens };
    return { status: 200, headers: { ...headers, 'x-amzn-bedrock-input-token-count': String(tokens), 'x-amzn-bedrock-invocation-latency': '42' }, body: JSON.stringify(answer) };
  }
  const texts = body.texts as string[];
  const vectors = texts.map((t) => bedrockEmbedding(modelId, t, body.output_dimension as number | undefined));
  // With `embedding_types` (always, for v4) the vectors come keyed by type; without, as plain float lists.
  const byType = Array.isArray(body.embedding_types);
  const answer = { id: randomUUID(), texts, embeddings: byType ? { float: vectors } : vectors, response_type: byType ? 'embeddings_by_type' : 'embeddings_floats' };
  return { status: 200, headers, body: JSON.stringify(answer) };
}
