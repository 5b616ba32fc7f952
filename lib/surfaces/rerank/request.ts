import { GatewayError } from '../../http/errors';
import { isBoolean, isName, isObject, isPositiveInt, nullishOr } from '../../http/json-checks';

/**
 * A document to rerank: text (Cohere v2, vLLM, Jina), or an object (Cohere v1's and Jina's
 * `{text}`, Jina's `{image}`, Cohere v1's fields for `rank_fields`), passed on as it came.
 */
export type RerankDocument = string | { text?: unknown; [field: string]: unknown };

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
    // Empty strings are scored (they are a document too); objects are the servers' to read, but a `text` must be text.
    if (!isObject(d)) throw invalid(`documents[${i}]`, 'expected a string or an object.');
    if (d.text !== undefined && typeof d.text !== 'string') throw invalid(`documents[${i}].text`, 'expected a string.');
  });
}

/**
 * The text of each document, in order, for upstreams that rerank text alone (a 400 naming the
 * first document without one: an image or a structured record has no counterpart there).
 *
 * @example
 * rerankTexts(['a', { text: 'b', title: 't' }], 'bedrock'); // → ['a', 'b']
 */
export function rerankTexts(documents: readonly RerankDocument[], providerType: string): string[] {
  return documents.map((d, i) => {
    if (typeof d === 'string') return d;
    if (typeof d.text === 'string') return d.text;
    throw new GatewayError('invalid_request', `Invalid value for 'documents[${i}].text': a text is required, provider type ${providerType} reranks text alone; send each document as a string or as \`{ "text": … }\`.`, {
      param: `documents[${i}].text`,
      code: 'unsupported_parameter',
    });
  });
}

/** A document's size in characters as an estimate reads it: its text, else the whole object as JSON. */
export const documentChars = (d: RerankDocument): number => (typeof d === 'string' ? d.length : typeof d.text === 'string' ? d.text.length : JSON.stringify(d).length);
