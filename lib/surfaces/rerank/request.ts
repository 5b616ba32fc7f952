import { GatewayError } from '../../http/errors';
import { isBoolean, isName, isObject, isPositiveInt, nullishOr } from '../../http/json-checks';

/** A document to rerank: text (Cohere v2, vLLM, Jina), or an object with its `text` (Cohere v1, Jina); other fields of an object pass through. */
export type RerankDocument = string | { text: string; [field: string]: unknown };

/** The fields of a rerank request (Cohere's shape, as Jina, vLLM, Infinity and LiteLLM serve it) the gateway relies on; every other field passes through. */
export interface RerankRequest {
  model: string;
  query: string;
  documents: RerankDocument[];
  top_n?: number | null;
  return_documents?: boolean | null;
  max_tokens_per_doc?: number | null;
  [field: string]: unknown;
}

const invalid = (param: string, why: string) => new GatewayError('invalid_request', `Invalid value for '${param}': ${why}`, { param, code: 'invalid_value' });

/**
 * Checks a rerank body, leniently (the fields the servers that take Cohere's shape agree on,
 * nothing more, so one server's extra fields such as `rank_fields` are not refused); a 400
 * naming the first bad field otherwise.
 *
 * @example
 * parseRerankRequest({ model: 'rerank-v3.5', query: 'capital of France', documents: ['Paris is…', { text: 'Berlin is…' }], top_n: 1 });
 */
export function parseRerankRequest(body: Record<string, unknown>): RerankRequest {
  if (!isName(body.model)) throw invalid('model', 'expected a non-empty string.');
  if (!isName(body.query)) throw invalid('query', 'expected a non-empty string.');
  checkDocuments(body.documents);
  if (!nullishOr(body.top_n, isPositiveInt)) throw invalid('top_n', 'expected a positive integer.');
  if (!nullishOr(body.return_documents, isBoolean)) throw invalid('return_documents', 'expected true or false.');
  if (!nullishOr(body.max_tokens_per_doc, isPositiveInt)) throw invalid('max_tokens_per_doc', 'expected a positive integer.');
  return body as RerankRequest;
}

function checkDocuments(documents: unknown): void {
  if (documents === undefined || documents === null) throw invalid('documents', 'an array of strings is required.');
  if (!Array.isArray(documents)) throw invalid('documents', 'expected an array of strings (or of objects with a `text`).');
  if (documents.length === 0) throw invalid('documents', 'expected a non-empty array.');
  documents.forEach((d: unknown, i) => {
    if (typeof d === 'string') return;
    // Empty strings are scored (they are a document too); an object must say where its text is.
    if (!isObject(d)) throw invalid(`documents[${i}]`, 'expected a string or an object with a `text`.');
    if (typeof d.text !== 'string') throw invalid(`documents[${i}].text`, 'expected a string.');
  });
}

/** The text of each document, in order. */
export const rerankTexts = (documents: readonly RerankDocument[]): string[] => documents.map((d) => (typeof d === 'string' ? d : d.text));
