import { charTokens } from '../anthropic-messages/count-tokens';
import { documentChars, type RerankRequest } from './request';

/** Cohere bills a search unit per query of up to this many documents. */
export const DOCUMENTS_PER_SEARCH_UNIT = 100;

/**
 * The search units a rerank call is billed, as Cohere counts them and as Bedrock prices Rerank:
 * one per query of up to 100 documents. (Cohere also splits documents longer than its context
 * into chunks that count as documents; Bedrock's pricing guide says a query "can contain up to 100
 * document chunks" but defines no chunk size, so no chunking rule is guessed: documents count as
 * sent.)
 *
 * @example
 * searchUnits(250); // → 3
 */
export const searchUnits = (documents: number): number => Math.max(1, Math.ceil(documents / DOCUMENTS_PER_SEARCH_UNIT));

/**
 * The tokens a reranker reads for a request, estimated as count_tokens estimates text: a
 * cross-encoder reads the query beside every document, so each document counts with the query,
 * a document cut at `max_tokens_per_doc` when the client set one (an object without a `text` is
 * counted by its JSON).
 *
 * @example
 * rerankInputTokens({ model: 'm', query: 'abcd', documents: ['abcdefgh'] }); // → charTokens(4) + charTokens(8)
 */
export function rerankInputTokens(request: Pick<RerankRequest, 'query' | 'documents' | 'max_tokens_per_doc'>): number {
  const query = charTokens(request.query.length);
  const cap = request.max_tokens_per_doc ?? Infinity;
  let tokens = 0;
  for (const document of request.documents) tokens += query + Math.min(charTokens(documentChars(document)), cap);
  return tokens;
}
