/**
 * Rerank on Bedrock through the Agents for Amazon Bedrock runtime's `Rerank` operation
 * (`POST {agent runtime}/rerank`), the one way AWS documents to call its reranker models directly:
 * Cohere Rerank 3.5 (`cohere.rerank-v3-5:0`) and Amazon Rerank 1.0 (`amazon.rerank-v1:0`), named
 * by their foundation-model ARN. One query, 1 to 1 000 inline text sources; the answer is
 * `{results: [{index, relevanceScore}], nextToken?}`, best first. Pure: the body to send and the
 * scores read back; signing, sending and paging are the caller's.
 */
import { GatewayError } from '../../http/errors';
import type { RerankScore } from '../../surfaces/rerank';

export type BedrockRerankFamily = 'cohere-rerank' | 'amazon-rerank';

/** The most sources one Rerank call takes (`sources`: 1 to 1 000 items). */
export const BEDROCK_RERANK_MAX_DOCUMENTS = 1000;

/** The longest query or document text Rerank takes, in characters (`RerankTextDocument.text`: 1 to 32 000). */
export const BEDROCK_RERANK_MAX_TEXT = 32_000;

interface FamilyRule {
  family: BedrockRerankFamily;
  /** Matches base model ids and ARNs alike. */
  pattern: RegExp;
  /** Whether the model takes Cohere's `max_tokens_per_doc` (sent in `additionalModelRequestFields`). */
  takesMaxTokensPerDoc: boolean;
}

const FAMILIES: readonly FamilyRule[] = [
  { family: 'cohere-rerank', pattern: /(^|[.:/])cohere\.rerank-/, takesMaxTokensPerDoc: true },
  { family: 'amazon-rerank', pattern: /(^|[.:/])amazon\.rerank-/, takesMaxTokensPerDoc: false },
];

function ruleOf(modelId: string): FamilyRule {
  const rule = FAMILIES.find((f) => f.pattern.test(modelId));
  if (rule) return rule;
  throw new GatewayError('invalid_request', `Bedrock model \`${modelId}\` is not a rerank model the gateway can translate to (Cohere Rerank 3.5, Amazon Rerank 1.0).`, {
    param: 'model',
    code: 'unsupported_parameter',
  });
}

/** Whether a Bedrock model id (or ARN) names a rerank model the gateway translates to. */
export const isBedrockRerankModel = (modelId: string): boolean => FAMILIES.some((f) => f.pattern.test(modelId));

/** The family of a Bedrock rerank model id, or a 400 naming the model. */
export function bedrockRerankFamily(modelId: string): BedrockRerankFamily {
  return ruleOf(modelId).family;
}

/** The AWS partition of a Region: China's and GovCloud's have their own. */
const partitionOf = (region: string): string => (region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws');

/**
 * The `modelArn` Rerank is given: an ARN as configured, a model id as its foundation-model ARN in
 * the account's Region (Rerank names models by ARN only).
 *
 * @example
 * bedrockRerankModelArn('amazon.rerank-v1:0', 'us-west-2'); // → 'arn:aws:bedrock:us-west-2::foundation-model/amazon.rerank-v1:0'
 */
export function bedrockRerankModelArn(modelId: string, region: string): string {
  return modelId.startsWith('arn:') ? modelId : `arn:${partitionOf(region)}:bedrock:${region}::foundation-model/${modelId}`;
}

const refused = (param: string, message: string) => new GatewayError('invalid_request', message, { param, code: 'unsupported_parameter' });

/** The request fields `bedrockRerankBody` reads. */
export interface BedrockRerankInput {
  query: string;
  texts: readonly string[];
  top_n?: number | null;
  max_tokens_per_doc?: number | null;
  rank_fields?: unknown;
  max_chunks_per_doc?: unknown;
}

/** A text Rerank takes (1 to 32 000 characters), or a 400 naming `param`. */
function checkText(modelId: string, param: string, text: string): void {
  if (text.length === 0) throw refused(param, `Invalid value for '${param}': Bedrock model \`${modelId}\` reranks non-empty texts only; leave empty documents out.`);
  if (text.length > BEDROCK_RERANK_MAX_TEXT) {
    throw refused(param, `Invalid value for '${param}': Bedrock model \`${modelId}\` takes at most ${BEDROCK_RERANK_MAX_TEXT} characters a text, not ${text.length}; split or shorten it.`);
  }
}

/**
 * The Rerank body that reranks `texts` against `query` on a Bedrock model. `numberOfResults` is
 * always sent (the number of documents when the client gave no `top_n`, or more than there are),
 * so both models answer every document the client asked for, as Cohere's API does by default.
 * Cohere's `max_tokens_per_doc` goes in `additionalModelRequestFields`, which Bedrock hands to
 * the model. What the model cannot take is a 400 naming the field, before any call: more than
 * 1 000 documents, an empty text or one over 32 000 characters, `max_tokens_per_doc` on Amazon's
 * model, Cohere v1's `rank_fields` (but `["text"]`) and `max_chunks_per_doc`. `return_documents`
 * is never sent: the gateway fills the documents in itself. `nextToken` asks for the next page.
 *
 * @example
 * bedrockRerankBody('amazon.rerank-v1:0', 'us-west-2', { query: 'capital of France', texts: ['Paris', 'Berlin'], top_n: 1 });
 * // → { queries: [{ type: 'TEXT', textQuery: { text: 'capital of France' } }],
 * //     sources: [{ type: 'INLINE', inlineDocumentSource: { type: 'TEXT', textDocument: { text: 'Paris' } } }, …],
 * //     rerankingConfiguration: { type: 'BEDROCK_RERANKING_MODEL', bedrockRerankingConfiguration: {
 * //       numberOfResults: 1, modelConfiguration: { modelArn: 'arn:aws:bedrock:us-west-2::foundation-model/amazon.rerank-v1:0' } } } }
 */
export function bedrockRerankBody(modelId: string, region: string, request: BedrockRerankInput, nextToken?: string): Record<string, unknown> {
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
  checkText(modelId, 'query', query);
  texts.forEach((text, i) => checkText(modelId, `documents[${i}]`, text));
  const modelConfiguration = {
    modelArn: bedrockRerankModelArn(modelId, region),
    ...(request.max_tokens_per_doc != null ? { additionalModelRequestFields: { max_tokens_per_doc: request.max_tokens_per_doc } } : {}),
  };
  return {
    queries: [{ type: 'TEXT', textQuery: { text: query } }],
    sources: texts.map((text) => ({ type: 'INLINE', inlineDocumentSource: { type: 'TEXT', textDocument: { text } } })),
    rerankingConfiguration: {
      type: 'BEDROCK_RERANKING_MODEL',
      bedrockRerankingConfiguration: { numberOfResults: Math.min(request.top_n ?? texts.length, texts.length), modelConfiguration },
    },
    ...(nextToken !== undefined ? { nextToken } : {}),
  };
}

const badAnswer = (modelId: string, why: string) =>
  new GatewayError('upstream_error', `Bedrock model \`${modelId}\` answered with a rerank body the gateway cannot read (${why}).`, { code: 'upstream_bad_response' });

/** One page of a Rerank answer: its scores, in the order they came, and the token of the next page, if any. */
export interface BedrockRerankPage {
  scores: RerankScore[];
  nextToken?: string;
}

/**
 * One Rerank answer, `{results: [{index, relevanceScore, document?}], nextToken?}`, each index
 * checked against the `documents` the call sent (an index past them would answer the client with
 * a document it never sent). The echoed `document` is ignored: the gateway has the texts.
 *
 * @example
 * decodeBedrockRerank('amazon.rerank-v1:0', { results: [{ index: 1, relevanceScore: 0.9 }] }, 2);
 * // → { scores: [{ index: 1, relevance_score: 0.9 }] }
 */
export function decodeBedrockRerank(modelId: string, json: unknown, documents: number): BedrockRerankPage {
  const answer = (typeof json === 'object' && json !== null ? json : {}) as { results?: unknown; nextToken?: unknown };
  if (!Array.isArray(answer.results)) throw badAnswer(modelId, 'no `results`');
  const scores = answer.results.map((r: unknown, i): RerankScore => {
    const { index, relevanceScore: score } = (typeof r === 'object' && r !== null ? r : {}) as { index?: unknown; relevanceScore?: unknown };
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= documents) throw badAnswer(modelId, `results[${i}].index is not one of the ${documents} documents`);
    if (typeof score !== 'number' || !Number.isFinite(score)) throw badAnswer(modelId, `results[${i}].relevanceScore is not a number`);
    return { index, relevance_score: score };
  });
  const { nextToken } = answer;
  if (nextToken === undefined || nextToken === null) return { scores };
  if (typeof nextToken !== 'string' || nextToken === '') throw badAnswer(modelId, '`nextToken` is not a token');
  return { scores, nextToken };
}
