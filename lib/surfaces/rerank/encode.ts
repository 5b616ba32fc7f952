import { randomUUID } from 'node:crypto';

/** One scored document as a reranker answers it: its index in the request, and its score. */
export interface RerankScore {
  index: number;
  relevance_score: number;
}

/** What the gateway knows of a translated rerank call's answer. */
export interface RerankAnswer {
  scores: readonly RerankScore[];
  /** The request's document texts, for `return_documents`. */
  texts: readonly string[];
  searchUnits: number;
}

/** A rerank answer in Cohere's shape (v2, which Jina, vLLM and LiteLLM answer in too); a type, not an interface, so it is a JSON record as answers are. */
export type RerankResponse = {
  id: string;
  results: { index: number; relevance_score: number; document?: { text: string } }[];
  meta: { api_version: { version: string }; billed_units: { search_units: number } };
};

/**
 * The client's answer to a rerank call served by translation: the scores best first, cut to
 * `top_n`, each with its document's text when `return_documents` asked for it (Cohere v1's and
 * Jina's field; upstreams that take no such field never see it), a fresh `id`, and the search
 * units billed.
 *
 * @example
 * encodeRerank({ scores: [{ index: 1, relevance_score: 0.9 }, { index: 0, relevance_score: 0.1 }], texts: ['a', 'b'], searchUnits: 1 }, { top_n: 1, return_documents: true });
 * // → { id: '…', results: [{ index: 1, relevance_score: 0.9, document: { text: 'b' } }], meta: { api_version: { version: '2' }, billed_units: { search_units: 1 } } }
 */
export function encodeRerank(answer: RerankAnswer, request: { top_n?: number | null; return_documents?: boolean | null }): RerankResponse {
  const best = [...answer.scores].sort((a, b) => b.relevance_score - a.relevance_score).slice(0, request.top_n ?? undefined);
  return {
    id: randomUUID(),
    results: best.map(({ index, relevance_score }) => ({ index, relevance_score, ...(request.return_documents ? { document: { text: answer.texts[index]! } } : {}) })),
    meta: { api_version: { version: '2' }, billed_units: { search_units: answer.searchUnits } },
  };
}
