/**
 * Rerank models on Bedrock's InvokeModel: Cohere Rerank 3.5 (`cohere.rerank-v3-5:0`) and Amazon
 * Rerank 1.0 (`amazon.rerank-v1:0`). Both take `{query, documents, top_n}` (Cohere's also
 * `api_version: 2` and `max_tokens_per_doc`) and answer `{results: [{index, relevance_score}]}`,
 * best first. Pure: the body to send and the scores read back; signing and sending are the caller's.
 */
import { GatewayError } from '../../http/errors';
import type { RerankScore } from '../../surfaces/rerank';

export type BedrockRerankFamily = 'cohere-rerank' | 'amazon-rerank';

/** The most documents one call takes (Bedrock's rerank limit: more is a ValidationException). */
export const BEDROCK_RERANK_MAX_DOCUMENTS = 1000;

interface FamilyRule {
  family: BedrockRerankFamily;
  /** Matches base model ids, inference profiles and ARNs alike. */
  pattern: RegExp;
  /** The request fields of Cohere's shape the model takes besides the query and documents. */
  takesMaxTokensPerDoc: boolean;
  /** Fields every body of the family carries. */
  fixed: Record<string, unknown>;
}

const FAMILIES: readonly FamilyRule[] = [
  // Cohere's model on Bedrock speaks Cohere's v2 rerank, named by `api_version` (required).
  { family: 'cohere-rerank', pattern: /(^|[.:/])cohere\.rerank-/, takesMaxTokensPerDoc: true, fixed: { api_version: 2 } },
  { family: 'amazon-rerank', pattern: /(^|[.:/])amazon\.rerank-/, takesMaxTokensPerDoc: false, fixed: {} },
];

function ruleOf(modelId: string): FamilyRule {
  const rule = FAMILIES.find((f) => f.pattern.test(modelId));
  if (rule) return rule;
  throw new GatewayError('invalid_request', `Bedrock model \`${modelId}\` is not a rerank model the gateway can translate to (Cohere Rerank 3.5, Amazon Rerank 1.0).`, {
    param: 'model',
    code: 'unsupported_parameter',
  });
}

/** The family of a Bedrock rerank model id, or a 400 naming the model. */
export function bedrockRerankFamily(modelId: string): BedrockRerankFamily {
  return ruleOf(modelId).family;
}

const refused = (param: string, message: string) => new GatewayError('invalid_request', message, { param, code: 'unsupported_parameter' });

/**
 * The InvokeModel body that reranks `texts` against `query` on a Bedrock model. `top_n` is always
 * sent (the number of documents when the client gave none, or more than there are), so both
 * families answer every document the client asked for, as Cohere's API does by default. What the
 * model cannot take is a 400 naming the field, before any call: more than 1 000 documents,
 * `max_tokens_per_doc` on Amazon's model, Cohere v1's `rank_fields` (but `["text"]`) and
 * `max_chunks_per_doc`. `return_documents` is never sent: the gateway fills the
 * documents in itself.
 *
 * @example
 * bedrockRerankBody('cohere.rerank-v3-5:0', { query: 'capital of France', texts: ['Paris', 'Berlin'], top_n: 1 });
 * // → { query: 'capital of France', documents: ['Paris', 'Berlin'], top_n: 1, api_version: 2 }
 */
export function bedrockRerankBody(
  modelId: string,
  request: { query: string; texts: readonly string[]; top_n?: number | null; max_tokens_per_doc?: number | null; rank_fields?: unknown; max_chunks_per_doc?: unknown },
): Record<string, unknown> {
  const rule = ruleOf(modelId);
  const { query, texts } = request;
  // Cohere v1's fields: the gateway sends each document's text alone, and chunks nothing.
  if (request.rank_fields != null && !(Array.isArray(request.rank_fields) && request.rank_fields.length === 1 && request.rank_fields[0] === 'text')) {
    throw refused('rank_fields', `'rank_fields' other than ["text"] is not supported by Bedrock model \`${modelId}\` (it ranks each document's text); send the text to rank as each document's \`text\`.`);
  }
  if (request.max_chunks_per_doc != null) throw refused('max_chunks_per_doc', `'max_chunks_per_doc' is not supported by Bedrock model \`${modelId}\`; leave it out.`);
  if (texts.length > BEDROCK_RERANK_MAX_DOCUMENTS) {
    throw refused('documents', `Bedrock model \`${modelId}\` reranks at most ${BEDROCK_RERANK_MAX_DOCUMENTS} documents a call, not ${texts.length}; send fewer.`);
  }
  if (request.max_tokens_per_doc != null && !rule.takesMaxTokensPerDoc) {
    throw refused('max_tokens_per_doc', `'max_tokens_per_doc' is not supported by Bedrock model \`${modelId}\` (only Cohere's rerank takes it); leave it out.`);
  }
  const topN = Math.min(request.top_n ?? texts.length, texts.length);
  return {
    query,
    documents: texts,
    top_n: topN,
    ...(request.max_tokens_per_doc != null ? { max_tokens_per_doc: request.max_tokens_per_doc } : {}),
    ...rule.fixed,
  };
}

const badAnswer = (modelId: string, why: string) =>
  new GatewayError('upstream_error', `Bedrock model \`${modelId}\` answered with a rerank body the gateway cannot read (${why}).`, { code: 'upstream_bad_response' });

/**
 * The scores of one InvokeModel answer, `{results: [{index, relevance_score}]}`, each index
 * checked against the `documents` the call sent (an index past them would answer the client
 * with a document it never sent).
 */
export function decodeBedrockRerank(modelId: string, json: unknown, documents: number): RerankScore[] {
  const results = (typeof json === 'object' && json !== null ? (json as { results?: unknown }).results : undefined) as unknown;
  if (!Array.isArray(results)) throw badAnswer(modelId, 'no `results`');
  return results.map((r: unknown, i) => {
    const { index, relevance_score: score } = (typeof r === 'object' && r !== null ? r : {}) as { index?: unknown; relevance_score?: unknown };
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= documents) throw badAnswer(modelId, `results[${i}].index is not one of the ${documents} documents`);
    if (typeof score !== 'number' || !Number.isFinite(score)) throw badAnswer(modelId, `results[${i}].relevance_score is not a number`);
    return { index, relevance_score: score };
  });
}
