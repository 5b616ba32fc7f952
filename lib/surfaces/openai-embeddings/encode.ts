import type { EmbeddingsRequest } from './request';

/** One vector per input, in input order, as every translated upstream's answer is read. */
export interface EmbeddingsAnswer {
  vectors: number[][];
  promptTokens: number;
}

/**
 * A vector as OpenAI sends it for `encoding_format: "base64"`: float32, little-endian, base64.
 * The official `openai` client asks for this by default and decodes it into a Float32Array.
 *
 * @example
 * float32Base64([1, -1]); // 'AACAPwAAgL8='
 */
export function float32Base64(vector: readonly number[]): string {
  const bytes = Buffer.allocUnsafe(vector.length * 4);
  // DataView names the byte order; a Float32Array would write the platform's.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < vector.length; i++) view.setFloat32(i * 4, vector[i]!, true);
  return bytes.toString('base64');
}

/**
 * The Embeddings API answer for vectors a translated upstream made: OpenAI's shape exactly,
 * with the model the client asked for and the vectors encoded as it asked (`float` by default).
 *
 * @example
 * encodeEmbeddings({ vectors: [[0.1, 0.2]], promptTokens: 3 }, { model: 'embed', input: 'hi' });
 * // → { object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }], model: 'embed', usage: { prompt_tokens: 3, total_tokens: 3 } }
 */
export function encodeEmbeddings(answer: EmbeddingsAnswer, request: Pick<EmbeddingsRequest, 'model' | 'encoding_format'>): Record<string, unknown> {
  const base64 = request.encoding_format === 'base64';
  return {
    object: 'list',
    data: answer.vectors.map((vector, index) => ({ object: 'embedding', index, embedding: base64 ? float32Base64(vector) : vector })),
    model: request.model,
    usage: { prompt_tokens: answer.promptTokens, total_tokens: answer.promptTokens },
  };
}
