import type { ProviderConfig } from '../config/schema';
import { bedrockEmbeddingBodies, bedrockModelUrl, bedrockTarget, decodeBedrockEmbeddings, signedBedrockPost } from '../providers/bedrock';
import { errorFromBedrock } from '../providers/bedrock/errors';
import { decodeGeminiEmbeddings, errorFromGeminiUpstream, geminiBaseUrl, geminiEmbeddingBodies, geminiMethodUrl } from '../providers/gemini';
import { bearer, decodeVertexEmbeddings, errorFromVertex, vertexEmbeddingBodies, vertexModelUrl, vertexTarget } from '../providers/vertex';
import { embeddingsInputTokens, embeddingsTexts, encodeEmbeddings, type EmbeddingsRequest } from '../surfaces/openai-embeddings';
import { callTimeouts, jsonPost } from '../upstream/http';
import { NO_TOKENS } from '../usage/tokens';
import { attemptOf, fanOut, type Translated, type Translator } from './fan-out';
import { apiKeyFor, type AdmittedCall } from './model-call';

/** The vectors of every call, in input order, and the tokens the upstream counted (undefined when it counted none). */
function answerOf(call: AdmittedCall, texts: string[], vectors: number[][], counted: number | undefined): Translated {
  const request = call.body as EmbeddingsRequest;
  const tokens = counted ?? embeddingsInputTokens(texts);
  return {
    body: encodeEmbeddings({ vectors, promptTokens: tokens }, { model: call.model, encoding_format: request.encoding_format ?? null }),
    usage: { ...NO_TOKENS, input: tokens },
    estimated: counted === undefined,
  };
}

/** The answer of several calls' vectors, in order, with their tokens summed when every call counted its own. */
function answerOfCalls(call: AdmittedCall, texts: string[], results: readonly { vectors: number[][]; tokens?: number | undefined }[]): Translated {
  const counts = results.map((r) => r.tokens);
  const counted = counts.every((t): t is number => t !== undefined) ? counts.reduce((a, b) => a + b, 0) : undefined;
  return answerOf(call, texts, results.flatMap((r) => r.vectors), counted);
}

/**
 * Embeddings on Bedrock: one InvokeModel per Titan text or per 96 Cohere texts, signed as every
 * Bedrock call is. Titan counts its input's tokens (summed over the calls); Cohere does not, so
 * its tokens are estimated.
 */
const bedrockEmbeddings: Translator = async (call, attempt, deps, signal) => {
  const request = call.body as EmbeddingsRequest;
  const texts = embeddingsTexts(request.input, 'bedrock');
  // Refused (400) before any credential lookup: an unknown family, dimensions the model cannot give.
  const calls = bedrockEmbeddingBodies(attempt.model, texts, request.dimensions);
  const { provider, account } = attempt;
  const { endpoint, region } = bedrockTarget(provider, account);
  const credentials = await deps.providers.bedrockCredentials({ provider, account });
  const url = bedrockModelUrl(endpoint, attempt.model, 'invoke');
  const headers = { ...account.headers, 'content-type': 'application/json', accept: 'application/json' };
  const timeouts = callTimeouts(deps.config.timeouts, provider.timeouts, false);
  const outcome = await fanOut(
    calls.length,
    (i, callSignal) => signedBedrockPost({ url, headers, body: JSON.stringify(calls[i]!.body), region, credentials, timeouts, signal: callSignal }),
    (json, i) => decodeBedrockEmbeddings(attempt.model, json, calls[i]!.texts),
    deps,
    provider.id,
    signal,
  );
  return attemptOf(outcome, errorFromBedrock, (results) => answerOfCalls(call, texts, results));
};

/** Embeddings on Gemini: `batchEmbedContents`, 100 texts a call. Google counts no tokens: they are estimated. */
const geminiEmbeddings: Translator = async (call, attempt, deps, signal) => {
  const request = call.body as EmbeddingsRequest;
  const texts = embeddingsTexts(request.input, 'gemini');
  const calls = geminiEmbeddingBodies(attempt.model, texts, request.dimensions);
  const { provider, account } = attempt;
  const apiKey = await apiKeyFor(attempt, deps);
  const url = geminiMethodUrl(geminiBaseUrl(provider, account), attempt.model, 'batchEmbedContents');
  const options = {
    stream: false,
    accountHeaders: account.headers,
    ...(apiKey ? { auth: { 'x-goog-api-key': apiKey } } : {}),
    timeouts: callTimeouts(deps.config.timeouts, provider.timeouts, false),
  };
  const outcome = await fanOut(
    calls.length,
    async (i, callSignal) => jsonPost(url, JSON.stringify(calls[i]!.body), { ...options, signal: callSignal }),
    (json, i) => decodeGeminiEmbeddings(attempt.model, json, calls[i]!.texts),
    deps,
    provider.id,
    signal,
  );
  return attemptOf(outcome, errorFromGeminiUpstream, (results) => answerOf(call, texts, results.flat(), undefined));
};

/**
 * Embeddings on Vertex AI: `predict` of Google's text-embedding models (250 texts a call, one for
 * gemini-embedding), with the account's access token. Vertex counts each text's tokens.
 */
const vertexEmbeddings: Translator = async (call, attempt, deps, signal) => {
  const request = call.body as EmbeddingsRequest;
  const texts = embeddingsTexts(request.input, 'vertex');
  const calls = vertexEmbeddingBodies(attempt.model, texts, request.dimensions);
  const { provider, account } = attempt;
  const token = await apiKeyFor(attempt, deps, signal);
  const url = vertexModelUrl(vertexTarget(provider, account), 'google', attempt.model, 'predict');
  const options = { stream: false, accountHeaders: account.headers, auth: bearer(token), timeouts: callTimeouts(deps.config.timeouts, provider.timeouts, false) };
  const outcome = await fanOut(
    calls.length,
    async (i, callSignal) => jsonPost(url, JSON.stringify(calls[i]!.body), { ...options, signal: callSignal }),
    (json, i) => decodeVertexEmbeddings(attempt.model, json, calls[i]!.texts),
    deps,
    provider.id,
    signal,
  );
  return attemptOf(outcome, errorFromVertex, (results) => answerOfCalls(call, texts, results));
};

/** The provider types that serve `POST /v1/embeddings` by translation. */
export const EMBEDDINGS_TRANSLATORS: Partial<Record<ProviderConfig['type'], Translator>> = {
  bedrock: bedrockEmbeddings,
  gemini: geminiEmbeddings,
  vertex: vertexEmbeddings,
};
