/**
 * Gemini's `batchEmbedContents` for OpenAI's Embeddings API, pure: the bodies (up to 100 texts
 * each, Google's limit per call) and the vectors read back. Google's answer carries no token count.
 */
import { GatewayError } from '../../http/errors';
import { isNumberArray } from '../../http/json-checks';
import type { EmbeddingCall } from '../types';

/** Google's limit of requests in one `batchEmbedContents` call. */
export const GEMINI_EMBED_BATCH = 100;

/** The resource name each request of a batch must repeat: the URL's model. */
const resourceName = (model: string) => (model.includes('/') ? model : `models/${model}`);

/**
 * The `batchEmbedContents` bodies that embed `texts`, in input order. `dimensions` becomes
 * `outputDimensionality` (which sizes a model takes is Google's to check). No `taskType`: OpenAI's
 * request does not say whether a text is a query or a document, and the model's default serves both.
 *
 * @example
 * geminiEmbeddingBodies('gemini-embedding-001', ['a'], 768);
 * // → [{ body: { requests: [{ model: 'models/gemini-embedding-001', content: { parts: [{ text: 'a' }] }, outputDimensionality: 768 }] }, texts: 1 }]
 */
export function geminiEmbeddingBodies(model: string, texts: readonly string[], dimensions?: number | null): EmbeddingCall[] {
  const name = resourceName(model);
  const calls: EmbeddingCall[] = [];
  for (let i = 0; i < texts.length; i += GEMINI_EMBED_BATCH) {
    const requests = texts.slice(i, i + GEMINI_EMBED_BATCH).map((text) => ({ model: name, content: { parts: [{ text }] }, ...(dimensions != null ? { outputDimensionality: dimensions } : {}) }));
    calls.push({ body: { requests }, texts: requests.length });
  }
  return calls;
}

/**
 * The vectors of one `batchEmbedContents` answer (`{embeddings: [{values}]}`), in order, scaled to
 * unit length as OpenAI's are: Google normalizes only a model's full-size vectors, not those cut
 * to `outputDimensionality`. `expected` is how many texts it sent.
 */
export function decodeGeminiEmbeddings(model: string, json: unknown, expected: number): number[][] {
  const embeddings = (typeof json === 'object' && json !== null ? (json as { embeddings?: unknown }).embeddings : undefined) as { values?: unknown }[] | undefined;
  const vectors = Array.isArray(embeddings) ? embeddings.map((e) => e?.values) : [];
  if (vectors.length !== expected || !vectors.every(isNumberArray)) {
    throw new GatewayError('upstream_error', `Gemini model \`${model}\` answered with ${vectors.length} embeddings for ${expected} texts, or with some the gateway cannot read.`, {
      code: 'upstream_bad_response',
    });
  }
  return vectors.map(unitLength);
}

/** `vector` scaled to length 1 (a zero vector as it is). */
export function unitLength(vector: number[]): number[] {
  let sum = 0;
  for (const v of vector) sum += v * v;
  const norm = Math.sqrt(sum);
  return norm === 0 ? vector : vector.map((v) => v / norm);
}
