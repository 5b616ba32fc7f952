/**
 * Vertex AI's text embeddings (`publishers/google/models/{model}:predict`) for OpenAI's
 * Embeddings API, pure: the bodies and the vectors and token counts read back.
 */
import { GatewayError } from '../../http/errors';
import { isNumberArray } from '../../http/json-checks';
import { unitLength } from '../gemini/embeddings';
import type { EmbeddingCall } from '../types';

/** Vertex's limit of texts in one `predict` call of the text-embedding models… */
export const VERTEX_EMBED_BATCH = 250;
/**
 * …and of their tokens (20 000). Texts are counted by the gateway's estimate, which can be low for
 * dense text, so a batch stops well short of it.
 */
const BATCH_TOKEN_BUDGET = 12_000;
/** ~4 ASCII characters a token in these models' vocabulary (English); only to size batches. */
const ASCII_CHARS_PER_TOKEN = 4;

/**
 * A text's tokens as far as sizing a batch needs: a quarter token for each ASCII character, a
 * whole one for any other (CJK text is about a token a character, four times what
 * `length / 4` says: 250 Japanese texts made one call of ~37 000 tokens, which Vertex refuses).
 */
function estimatedTokens(text: string): number {
  let ascii = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 0x80) ascii++;
  return Math.ceil(ascii / ASCII_CHARS_PER_TOKEN) + (text.length - ascii);
}

/** gemini-embedding-001 (and its successors) take one text per call. */
const oneTextPerCall = (model: string) => /^gemini-embedding/.test(model);

/**
 * The `predict` bodies that embed `texts`, in input order: up to 250 texts a call, fewer when they
 * are long, one for the Gemini embedding models. `dimensions` becomes `outputDimensionality`.
 * `autoTruncate: false`: a text over the model's limit is refused, as OpenAI refuses it, rather
 * than embedded cut short without a word.
 *
 * @example
 * vertexEmbeddingBodies('text-embedding-005', ['a', 'b'], 256);
 * // → [{ body: { instances: [{ content: 'a' }, { content: 'b' }], parameters: { autoTruncate: false, outputDimensionality: 256 } }, texts: 2 }]
 */
export function vertexEmbeddingBodies(model: string, texts: readonly string[], dimensions?: number | null): EmbeddingCall[] {
  const parameters = { autoTruncate: false, ...(dimensions != null ? { outputDimensionality: dimensions } : {}) };
  const calls: EmbeddingCall[] = [];
  let batch: string[] = [];
  let tokens = 0;
  const flush = () => {
    if (batch.length === 0) return;
    calls.push({ body: { instances: batch.map((content) => ({ content })), parameters }, texts: batch.length });
    batch = [];
    tokens = 0;
  };
  const most = oneTextPerCall(model) ? 1 : VERTEX_EMBED_BATCH;
  for (const text of texts) {
    const estimate = estimatedTokens(text);
    if (batch.length >= most || (batch.length > 0 && tokens + estimate > BATCH_TOKEN_BUDGET)) flush();
    batch.push(text);
    tokens += estimate;
  }
  flush();
  return calls;
}

interface Prediction {
  embeddings?: { values?: unknown; statistics?: { token_count?: unknown } };
}

/**
 * One `predict` answer (`{predictions: [{embeddings: {values, statistics: {token_count}}}]}`): the
 * vectors in order, scaled to unit length as OpenAI's are (Vertex normalises full-size vectors,
 * not always those cut to `outputDimensionality`), and the tokens Vertex counted, when it counted
 * every text's. `expected` is how many texts were sent.
 */
export function decodeVertexEmbeddings(model: string, json: unknown, expected: number): { vectors: number[][]; tokens: number | undefined } {
  const predictions = (typeof json === 'object' && json !== null ? (json as { predictions?: unknown }).predictions : undefined) as Prediction[] | undefined;
  const list = Array.isArray(predictions) ? predictions : [];
  const vectors = list.map((p) => p?.embeddings?.values);
  if (vectors.length !== expected || !vectors.every(isNumberArray)) {
    throw new GatewayError('upstream_error', `Vertex AI model \`${model}\` answered with ${vectors.length} embeddings for ${expected} texts, or with some the gateway cannot read.`, {
      code: 'upstream_bad_response',
    });
  }
  const counts = list.map((p) => p.embeddings?.statistics?.token_count);
  const tokens = counts.every((c): c is number => typeof c === 'number') ? counts.reduce((a, b) => a + b, 0) : undefined;
  return { vectors: vectors.map(unitLength), tokens };
}
