/** What a rerank server's answer says it used, where it says so. */
export interface RerankReported {
  /** Input tokens: Jina's and vLLM's `usage.total_tokens` (or `prompt_tokens`), Cohere's `meta.tokens.input_tokens`. */
  tokens?: number;
  /** Cohere's `meta.billed_units.search_units`. */
  searchUnits?: number;
}

const count = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);
const field = (v: unknown, name: string): unknown => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[name] : undefined);

/**
 * Reads what a passed-through rerank answer reports of its use. Servers that take Cohere's
 * request answer their use in their own places: Jina and vLLM a `usage` object (a reranker writes
 * nothing, so its total is its input), Cohere `meta` (search units billed; tokens only on some
 * models). What none reports is left undefined, for the caller to estimate.
 *
 * @example
 * readRerankUsage({ results: [], usage: { total_tokens: 42 } }); // → { tokens: 42 }
 * readRerankUsage({ results: [], meta: { billed_units: { search_units: 1 } } }); // → { searchUnits: 1 }
 */
export function readRerankUsage(json: unknown): RerankReported {
  const usage = field(json, 'usage');
  const meta = field(json, 'meta');
  const tokens = count(field(usage, 'total_tokens')) ?? count(field(usage, 'prompt_tokens')) ?? count(field(field(meta, 'tokens'), 'input_tokens'));
  const searchUnits = count(field(field(meta, 'billed_units'), 'search_units'));
  return { ...(tokens !== undefined ? { tokens } : {}), ...(searchUnits !== undefined ? { searchUnits } : {}) };
}
