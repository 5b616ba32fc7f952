/** Rerank requests in Cohere's shape (`POST /v1/rerank`, `/v2/rerank`): the request check, the token and search-unit counts, and the answer of translated upstreams. */
export { documentChars, parseRerankRequest, rerankTexts, type RerankDocument, type RerankRequest } from './request';
export { DOCUMENTS_PER_SEARCH_UNIT, rerankInputTokens, searchUnits } from './units';
export { encodeRerank, type RerankAnswer, type RerankResponse, type RerankScore } from './encode';
export { readRerankUsage, type RerankReported } from './usage';
