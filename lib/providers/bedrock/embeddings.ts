/**
 * Embedding models on Bedrock's InvokeModel, each family with its own body: Amazon Titan Text
 * Embeddings (one text a call) and Cohere Embed (up to 96 texts a call). Pure: the bodies to send
 * and the vectors read back; signing and sending are the caller's.
 */
import { GatewayError } from '../../http/errors';
import { isNumberArray } from '../../http/json-checks';
import type { EmbeddingCall } from '../types';

export type BedrockEmbeddingFamily = 'titan-v2' | 'titan-v1' | 'cohere-v3' | 'cohere-v4';

interface FamilyRule {
  family: BedrockEmbeddingFamily;
  /** Matches base model ids, inference profiles (`us.cohere.…`) and ARNs alike. */
  pattern: RegExp;
  /** Texts per InvokeModel call. */
  perCall: number;
  /** The `dimensions` the model can give; a model with one size takes no `dimensions` field. */
  dimensions: readonly number[];
  body(texts: string[], dimensions: number | undefined): Record<string, unknown>;
}

/** Embeddings for search (`search_document`): what editors and RAG apps index with. Queries embedded the same way still match. */
const COHERE_INPUT_TYPE = 'search_document';

const FAMILIES: readonly FamilyRule[] = [
  {
    family: 'titan-v2',
    pattern: /(^|[.:/])amazon\.titan-embed-text-v2/,
    perCall: 1,
    dimensions: [256, 512, 1024],
    // OpenAI's vectors have unit length; Titan's do when asked (its default, said aloud).
    body: ([text], dimensions) => ({ inputText: text, ...(dimensions ? { dimensions } : {}), normalize: true }),
  },
  {
    family: 'titan-v1',
    pattern: /(^|[.:/])amazon\.titan-embed-text-v1/,
    perCall: 1,
    dimensions: [1536],
    body: ([text]) => ({ inputText: text }),
  },
  {
    family: 'cohere-v4',
    pattern: /(^|[.:/])cohere\.embed-v4/,
    perCall: 96,
    dimensions: [256, 512, 1024, 1536],
    body: (texts, dimensions) => ({ texts, input_type: COHERE_INPUT_TYPE, embedding_types: ['float'], ...(dimensions ? { output_dimension: dimensions } : {}) }),
  },
  {
    family: 'cohere-v3',
    pattern: /(^|[.:/])cohere\.embed-(english|multilingual)-v3/,
    perCall: 96,
    dimensions: [1024],
    body: (texts) => ({ texts, input_type: COHERE_INPUT_TYPE }),
  },
];

/** What a model's embeddings take: its family, by the model id as Bedrock's Claude-or-Converse choice goes by it. A 400 naming the model when no family fits. */
function ruleOf(modelId: string): FamilyRule {
  const rule = FAMILIES.find((f) => f.pattern.test(modelId));
  if (rule) return rule;
  throw new GatewayError(
    'invalid_request',
    `Bedrock model \`${modelId}\` is not an embedding model the gateway can translate to (Amazon Titan Text Embeddings V1 or V2, Cohere Embed v3 or v4).`,
    { param: 'model', code: 'unsupported_parameter' },
  );
}

/** The family of a Bedrock embedding model id, or a 400 naming the model. */
export function bedrockEmbeddingFamily(modelId: string): BedrockEmbeddingFamily {
  return ruleOf(modelId).family;
}

/**
 * The InvokeModel bodies that embed `texts` on a Bedrock model, in input order: one per text for
 * Titan, one per 96 texts for Cohere. `dimensions` the model cannot give is a 400 naming it; the
 * one size of a model with one is accepted and left unsaid.
 *
 * @example
 * bedrockEmbeddingBodies('amazon.titan-embed-text-v2:0', ['a', 'b'], 256);
 * // → [{ body: { inputText: 'a', dimensions: 256, normalize: true }, texts: 1 }, { body: { inputText: 'b', … }, texts: 1 }]
 */
export function bedrockEmbeddingBodies(modelId: string, texts: readonly string[], dimensions?: number | null): EmbeddingCall[] {
  const rule = ruleOf(modelId);
  if (dimensions != null && !rule.dimensions.includes(dimensions)) {
    throw new GatewayError('invalid_request', `Invalid value for 'dimensions': Bedrock model \`${modelId}\` gives ${rule.dimensions.join(', ')} dimensions, not ${dimensions}.`, {
      param: 'dimensions',
      code: 'invalid_value',
    });
  }
  const asked = rule.dimensions.length > 1 && dimensions != null ? dimensions : undefined;
  const calls: EmbeddingCall[] = [];
  for (let i = 0; i < texts.length; i += rule.perCall) {
    const slice = texts.slice(i, i + rule.perCall);
    calls.push({ body: rule.body(slice, asked), texts: slice.length });
  }
  return calls;
}

/** What one InvokeModel answer held: its vectors in order and, where the model counts them, the input's tokens. */
export interface BedrockEmbedded {
  vectors: number[][];
  tokens?: number;
}

const badAnswer = (modelId: string, why: string) =>
  new GatewayError('upstream_error', `Bedrock model \`${modelId}\` answered with an embedding body the gateway cannot read (${why}).`, { code: 'upstream_bad_response' });

/**
 * The vectors of one InvokeModel answer: Titan's `{embedding, inputTextTokenCount}`, Cohere's
 * `{embeddings: [[…]]}` (v3 without `embedding_types`) or `{embeddings: {float: [[…]]}}`.
 * Cohere counts no tokens. `expected` is how many texts the call sent.
 */
export function decodeBedrockEmbeddings(modelId: string, json: unknown, expected: number): BedrockEmbedded {
  const body = (typeof json === 'object' && json !== null ? json : {}) as { embedding?: unknown; inputTextTokenCount?: unknown; embeddings?: unknown };
  if (ruleOf(modelId).family.startsWith('titan')) {
    if (!isNumberArray(body.embedding)) throw badAnswer(modelId, 'no `embedding`');
    const tokens = typeof body.inputTextTokenCount === 'number' ? body.inputTextTokenCount : undefined;
    return { vectors: [body.embedding], ...(tokens !== undefined ? { tokens } : {}) };
  }
  const embeddings = Array.isArray(body.embeddings) ? body.embeddings : (body.embeddings as { float?: unknown } | undefined)?.float;
  if (!Array.isArray(embeddings) || !embeddings.every(isNumberArray)) throw badAnswer(modelId, 'no float `embeddings`');
  if (embeddings.length !== expected) throw badAnswer(modelId, `${embeddings.length} vectors for ${expected} texts`);
  return { vectors: embeddings };
}
