/** OpenAI's Embeddings API as clients send it: the request check and the input's token estimate. */
export { parseEmbeddingsRequest, type EmbeddingsInput, type EmbeddingsRequest } from './request';
export { embeddingsInputTokens } from './tokens';
