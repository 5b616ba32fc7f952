/**
 * Rerank as the fakes serve it: the scores (deterministic, from the words a document shares with
 * the query), the answers of the servers that take Cohere's request (Jina's and vLLM's with
 * `usage` and documents, Cohere v2's with `meta.billed_units`), and Bedrock's two rerank models on
 * InvokeModel with the checks Bedrock makes of their bodies.
 */
import { randomUUID } from 'node:crypto';

/** Which server's answer the fake OpenAI-compatible upstream gives to `POST /v1/rerank`. */
export type RerankDialect = 'jina' | 'cohere';

const words = (text: string) => new Set(text.toLowerCase().match(/[a-z0-9]+/g) ?? []);

/**
 * A document's score against a query: the share of the query's words it holds, nudged down by
 * its length so that no two different documents tie. Between 0 and 1, as rerankers score.
 */
export function rerankScore(query: string, document: string): number {
  const asked = words(query);
  const held = words(document);
  let shared = 0;
  for (const w of asked) if (held.has(w)) shared++;
  const score = (asked.size === 0 ? 0 : shared / asked.size) * 0.9 + 0.1 / (1 + document.length);
  return Math.round(score * 1e6) / 1e6;
}

/** Every document's score, best first (ties by index), cut to `topN`. */
export function rankDocuments(query: string, documents: readonly string[], topN?: number): { index: number; relevance_score: number }[] {
  const ranked = documents.map((d, index) => ({ index, relevance_score: rerankScore(query, d) })).sort((a, b) => b.relevance_score - a.relevance_score || a.index - b.index);
  return ranked.slice(0, topN ?? ranked.length);
}

/** The fake's token count of a rerank: the query and each document, a quarter of their characters, at least one each. */
export const rerankTokens = (query: string, documents: readonly string[]): number => documents.reduce((sum, d) => sum + Math.max(1, Math.ceil((query.length + d.length) / 4)), 0);

const textOf = (d: unknown): string => (typeof d === 'string' ? d : String((d as { text?: unknown }).text ?? ''));

/** The first problem of a rerank body as an OpenAI-compatible server words it (vLLM's `{error}`), or undefined. */
export function invalidRerankBody(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'The request body must be a JSON object.';
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || b.model === '') return "Field required: 'model'.";
  if (typeof b.query !== 'string') return "Field required: 'query'.";
  if (!Array.isArray(b.documents) || b.documents.length === 0) return "'documents' must be a non-empty list.";
  if (b.top_n !== undefined && b.top_n !== null && !(Number.isInteger(b.top_n) && (b.top_n as number) > 0)) return "'top_n' must be a positive integer.";
  return undefined;
}

/** The whole answer of an OpenAI-compatible rerank server to a valid body, in its dialect. */
export function rerankAnswer(dialect: RerankDialect, body: Record<string, unknown>): Record<string, unknown> {
  const texts = (body.documents as unknown[]).map(textOf);
  const ranked = rankDocuments(body.query as string, texts, (body.top_n as number | null | undefined) ?? undefined);
  if (dialect === 'cohere') {
    return { id: randomUUID(), results: ranked, meta: { api_version: { version: '2' }, billed_units: { search_units: Math.ceil(texts.length / 100) } } };
  }
  // Jina returns each document unless told not to.
  const withDocuments = body.return_documents !== false;
  const tokens = rerankTokens(body.query as string, texts);
  return {
    model: body.model,
    usage: { total_tokens: tokens, prompt_tokens: tokens },
    results: ranked.map((r) => ({ index: r.index, ...(withDocuments ? { document: { text: texts[r.index] } } : {}), relevance_score: r.relevance_score })),
  };
}

type BedrockRerankFamily = 'cohere' | 'amazon';

const familyOf = (modelId: string): BedrockRerankFamily | undefined => (/cohere\.rerank-/.test(modelId) ? 'cohere' : /amazon\.rerank-/.test(modelId) ? 'amazon' : undefined);

/** Whether InvokeModel on this model id reranks. */
export const isRerankModel = (modelId: string): boolean => familyOf(modelId) !== undefined;

/** Bedrock's limit of documents per rerank call. */
export const BEDROCK_MAX_DOCUMENTS = 1000;

const malformed = (detail: string) => `Malformed input request: ${detail}, please reformat your input and try again.`;

/** A rerank body's first problem, worded as Bedrock's ValidationException words it, or undefined. */
export function invalidBedrockRerankBody(modelId: string, body: unknown): string | undefined {
  const family = familyOf(modelId)!;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'Malformed input request, please reformat your input and try again.';
  const b = body as Record<string, unknown>;
  const allowed = family === 'cohere' ? ['query', 'documents', 'top_n', 'max_tokens_per_doc', 'api_version'] : ['query', 'documents', 'top_n'];
  const extra = Object.keys(b).find((k) => !allowed.includes(k));
  if (extra) return malformed(`#: extraneous key [${extra}] is not permitted`);
  if (typeof b.query !== 'string') return malformed('#: required key [query] not found');
  if (!Array.isArray(b.documents)) return malformed('#: required key [documents] not found');
  if (b.documents.length === 0) return malformed('#/documents: expected minimum item count: 1, found: 0');
  if (b.documents.length > BEDROCK_MAX_DOCUMENTS) return malformed(`#/documents: expected maximum item count: ${BEDROCK_MAX_DOCUMENTS}, found: ${b.documents.length}`);
  if (!b.documents.every((d) => typeof d === 'string')) return malformed('#/documents: expected type: String');
  if (b.top_n !== undefined && !(Number.isInteger(b.top_n) && (b.top_n as number) >= 1 && (b.top_n as number) <= b.documents.length)) return malformed(`#/top_n: ${String(b.top_n)} is not in [1, ${b.documents.length}]`);
  if (family === 'cohere') {
    if (b.api_version === undefined) return malformed('#: required key [api_version] not found');
    if (!Number.isInteger(b.api_version) || (b.api_version as number) < 2) return malformed(`#/api_version: ${String(b.api_version)} is not a valid value`);
  }
  return undefined;
}

/** The whole InvokeModel answer for a valid rerank body: every document's score, best first, cut to `top_n`. */
export function bedrockRerankAnswer(modelId: string, body: Record<string, unknown>): { status: number; headers: Record<string, string>; body: string } {
  const results = rankDocuments(body.query as string, body.documents as string[], body.top_n as number | undefined);
  const answer = familyOf(modelId) === 'cohere' ? { id: randomUUID(), results } : { results };
  return { status: 200, headers: { 'x-amzn-requestid': randomUUID(), 'content-type': 'application/json' }, body: JSON.stringify(answer) };
}
