/** OpenAI's Embeddings API as clients send it: the request check, the input's token estimate, its texts, and the answer of translated upstreams. */
export { parseEmbeddingsRequest, type EmbeddingsInput, type EmbeddingsRequest } from './request';
export { embeddingsInputTokens } from './tokens';
export { embeddingsTexts } from './texts';
export { encodeEmbeddings, float32Base64, type EmbeddingsAnswer } from './encode';
