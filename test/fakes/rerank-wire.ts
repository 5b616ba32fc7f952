/**
 * Rerank as the fakes serve it: the scores (deterministic, from the words a document shares with
 * the query), the answers of the servers that take Cohere's request (Jina's and vLLM's with
 * `usage` and documents, Cohere v2's with `meta.billed_units`), and Bedrock's Rerank operation (the
 * Agents for Amazon Bedrock runtime's `POST /rerank`) with the checks its API reference states.
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

const familyOf = (modelId: string): BedrockRerankFamily | undefined => (/^cohere\.rerank-/.test(modelId) ? 'cohere' : /^amazon\.rerank-/.test(modelId) ? 'amazon' : undefined);

/** Whether Bedrock's Rerank operation takes this foundation model. */
export const isRerankModel = (modelId: string): boolean => familyOf(modelId) !== undefined;

/** Rerank's limits: 1 to 1 000 sources, texts of 1 to 32 000 characters, tokens of 1 to 2 048. */
export const BEDROCK_MAX_DOCUMENTS = 1000;
export const BEDROCK_MAX_TEXT = 32_000;

/** The foundation model id a Rerank `modelArn` names, when it names one in `region`. */
export function rerankModelOf(body: unknown, region: string): string | undefined {
  const arn = (body as { rerankingConfiguration?: { bedrockRerankingConfiguration?: { modelConfiguration?: { modelArn?: unknown } } } } | undefined)?.rerankingConfiguration?.bedrockRerankingConfiguration?.modelConfiguration?.modelArn;
  const m = typeof arn === 'string' ? /^arn:aws(-[a-z-]+)?:bedrock:([a-z0-9-]{1,20})::foundation-model\/(.+)$/.exec(arn) : null;
  return m && m[2] === region ? m[3] : undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** AWS's wording of its request checks (Coral's "n validation errors detected"), for the first failed one. */
const violation = (value: unknown, field: string, constraint: string) => `1 validation error detected: Value '${JSON.stringify(value)}' at '${field}' failed to satisfy constraint: ${constraint}`;

/** Extra keys a Rerank structure does not have: AWS refuses them as a SerializationException would, here a ValidationException. */
function extraKey(obj: Record<string, unknown>, allowed: readonly string[], where: string): string | undefined {
  const extra = Object.keys(obj).find((k) => !allowed.includes(k));
  return extra ? `Unknown field '${extra}' in ${where}` : undefined;
}

function invalidText(doc: unknown, field: string): string | undefined {
  if (!isObject(doc)) return violation(doc, field, 'Member must not be null');
  const bad = extraKey(doc, ['text'], field);
  if (bad) return bad;
  if (typeof doc.text !== 'string') return violation(doc.text, `${field}.text`, 'Member must not be null');
  if (doc.text.length < 1 || doc.text.length > BEDROCK_MAX_TEXT) return violation(doc.text.length, `${field}.text`, `Member must have length between 1 and ${BEDROCK_MAX_TEXT}`);
  return undefined;
}

/**
 * A Rerank body's first problem, checked as the API reference states it (required fields, enums,
 * one query, 1 to 1 000 INLINE TEXT sources, texts of 1 to 32 000 characters, numberOfResults 1 to
 * 1 000, a foundation-model ARN of a rerank model in the fake's Region, nextToken of 1 to 2 048
 * characters), or undefined. The model's own fields (`additionalModelRequestFields`) are checked
 * as the model would: Cohere's takes `max_tokens_per_doc`, Amazon's nothing.
 */
export function invalidAgentRerankBody(body: unknown, region: string): string | undefined {
  if (!isObject(body)) return 'Request body must be a JSON object';
  const top = extraKey(body, ['queries', 'sources', 'rerankingConfiguration', 'nextToken'], 'RerankRequest');
  if (top) return top;
  const { queries, sources, rerankingConfiguration: config, nextToken } = body;
  if (!Array.isArray(queries)) return violation(queries, 'queries', 'Member must not be null');
  if (queries.length !== 1) return violation(queries.length, 'queries', 'Member must have length less than or equal to 1');
  const query = queries[0] as unknown;
  if (!isObject(query) || query.type !== 'TEXT') return violation(isObject(query) ? query.type : query, 'queries.1.member.type', 'Member must satisfy enum value set: [TEXT]');
  const queryText = invalidText(query.textQuery, 'queries.1.member.textQuery');
  if (queryText) return queryText;
  if (!Array.isArray(sources)) return violation(sources, 'sources', 'Member must not be null');
  if (sources.length < 1 || sources.length > BEDROCK_MAX_DOCUMENTS) return violation(sources.length, 'sources', `Member must have length between 1 and ${BEDROCK_MAX_DOCUMENTS}`);
  for (const [i, source] of sources.entries()) {
    const field = `sources.${i + 1}.member`;
    if (!isObject(source) || source.type !== 'INLINE') return violation(isObject(source) ? source.type : source, `${field}.type`, 'Member must satisfy enum value set: [INLINE]');
    const inline = source.inlineDocumentSource;
    // JSON documents exist too; the gateway sends text alone, so the fake takes text alone.
    if (!isObject(inline) || inline.type !== 'TEXT') return violation(isObject(inline) ? inline.type : inline, `${field}.inlineDocumentSource.type`, 'Member must satisfy enum value set: [TEXT]');
    const text = invalidText(inline.textDocument, `${field}.inlineDocumentSource.textDocument`);
    if (text) return text;
  }
  if (!isObject(config) || config.type !== 'BEDROCK_RERANKING_MODEL') return violation(isObject(config) ? config.type : config, 'rerankingConfiguration.type', 'Member must satisfy enum value set: [BEDROCK_RERANKING_MODEL]');
  const bedrock = config.bedrockRerankingConfiguration;
  if (!isObject(bedrock)) return violation(bedrock, 'rerankingConfiguration.bedrockRerankingConfiguration', 'Member must not be null');
  const n = bedrock.numberOfResults;
  if (n !== undefined && !(Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 1000)) return violation(n, 'rerankingConfiguration.bedrockRerankingConfiguration.numberOfResults', 'Member must have value between 1 and 1000');
  const model = bedrock.modelConfiguration;
  if (!isObject(model) || typeof model.modelArn !== 'string') return violation(undefined, 'rerankingConfiguration.bedrockRerankingConfiguration.modelConfiguration.modelArn', 'Member must not be null');
  const modelId = rerankModelOf(body, region);
  if (!modelId || !isRerankModel(modelId)) return `The provided model identifier is invalid or not a reranking model: ${model.modelArn}`;
  const extra = model.additionalModelRequestFields;
  if (extra !== undefined) {
    if (!isObject(extra)) return violation(extra, 'rerankingConfiguration.bedrockRerankingConfiguration.modelConfiguration.additionalModelRequestFields', 'Member must be a map');
    const allowed = familyOf(modelId) === 'cohere' ? ['max_tokens_per_doc'] : [];
    const unknown = Object.keys(extra).find((k) => !allowed.includes(k));
    if (unknown) return `Malformed input request: #: extraneous key [${unknown}] is not permitted, please reformat your input and try again.`;
    if (extra.max_tokens_per_doc !== undefined && !(Number.isInteger(extra.max_tokens_per_doc) && (extra.max_tokens_per_doc as number) >= 1)) return `Malformed input request: #/max_tokens_per_doc: ${String(extra.max_tokens_per_doc)} is not a positive integer, please reformat your input and try again.`;
  }
  if (nextToken !== undefined && !(typeof nextToken === 'string' && nextToken.length >= 1 && nextToken.length <= 2048 && /^\S*$/.test(nextToken))) return violation(nextToken, 'nextToken', 'Member must have length between 1 and 2048');
  if (nextToken !== undefined && pageOffset(nextToken as string) === undefined) return 'The provided nextToken is invalid.';
  return undefined;
}

/** The fake's page tokens: opaque to the client, the offset of the next result inside. */
export const pageToken = (offset: number): string => Buffer.from(JSON.stringify({ offset })).toString('base64url');
function pageOffset(token: string): number | undefined {
  try {
    const { offset } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset?: unknown };
    return Number.isInteger(offset) && (offset as number) >= 0 ? (offset as number) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The Rerank answer to a valid body: the scores of its `numberOfResults` best sources (every
 * source by default), best first, as `{index, relevanceScore}`; `pageSize` cuts it into pages
 * that `nextToken` continues, as a paged AWS answer does.
 */
export function agentRerankAnswer(body: Record<string, unknown>, pageSize?: number): { status: number; headers: Record<string, string>; body: string } {
  const request = body as {
    queries: [{ textQuery: { text: string } }];
    sources: { inlineDocumentSource: { textDocument: { text: string } } }[];
    rerankingConfiguration: { bedrockRerankingConfiguration: { numberOfResults?: number } };
    nextToken?: string;
  };
  const texts = request.sources.map((s) => s.inlineDocumentSource.textDocument.text);
  const ranked = rankDocuments(request.queries[0].textQuery.text, texts, request.rerankingConfiguration.bedrockRerankingConfiguration.numberOfResults);
  const offset = request.nextToken === undefined ? 0 : pageOffset(request.nextToken)!;
  const end = pageSize === undefined ? ranked.length : Math.min(offset + pageSize, ranked.length);
  const results = ranked.slice(offset, end).map((r) => ({ index: r.index, relevanceScore: r.relevance_score }));
  const answer = { results, ...(end < ranked.length ? { nextToken: pageToken(end) } : {}) };
  return { status: 200, headers: { 'x-amzn-requestid': randomUUID(), 'content-type': 'application/json' }, body: JSON.stringify(answer) };
}
