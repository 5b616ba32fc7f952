/**
 * `POST /v1/rerank` (and `/v2/rerank`): rerank requests in Cohere's shape, which Jina, vLLM,
 * Infinity, LiteLLM and Cohere's own v2 API serve. Passed through by `openAIOnlyCall` to
 * `openai-compatible` targets (`{baseUrl}/rerank`, Bearer key), the only OpenAI-dialect type with
 * servers that have it (OpenAI and Azure OpenAI have none); translated for `bedrock` targets
 * (Cohere Rerank 3.5 and Amazon Rerank 1.0 on InvokeModel). Billed per search unit.
 */
import { bedrockModelUrl, bedrockRerankBody, bedrockTarget, decodeBedrockRerank, signedBedrockPost } from '../providers/bedrock';
import { errorFromBedrock } from '../providers/bedrock/errors';
import { encodeRerank, parseRerankRequest, readRerankUsage, rerankInputTokens, rerankTexts, searchUnits, type RerankRequest } from '../surfaces/rerank';
import { NO_TOKENS, type TokenUsage } from '../usage/tokens';
import { worstCaseOfRerank } from './budget';
import type { RequestContext } from './context';
import { attemptOf, fanOut, type Translator } from './fan-out';
import type { AdmittedCall } from './model-call';
import type { OpenAIOnlyOperation } from './openai-only';

/** Bedrock's count of an InvokeModel call's input tokens, where it sends one. */
const INPUT_TOKENS_HEADER = 'x-amzn-bedrock-input-token-count';

const tokenCount = (value: string | string[] | undefined): number | undefined => {
  const text = Array.isArray(value) ? value[0] : value;
  return text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : undefined;
};

/**
 * Rerank on Bedrock: one InvokeModel call (at most 1 000 documents, refused with a 400 before
 * any credential lookup otherwise), signed as every Bedrock call is, read as a one-call fan-out
 * so a failed answer fails over as on every translated operation. The answer is Cohere's, with
 * the documents' texts filled in when the client asked `return_documents`; tokens are Bedrock's
 * count where its header gives one, else estimated.
 */
const bedrockRerank: Translator = async (call, attempt, deps, signal) => {
  const request = call.body as RerankRequest;
  const texts = rerankTexts(request.documents, 'bedrock');
  const body = JSON.stringify(bedrockRerankBody(attempt.model, { ...request, texts }));
  const { provider, account } = attempt;
  const { endpoint, region } = bedrockTarget(provider, account);
  const credentials = await deps.providers.bedrockCredentials({ provider, account });
  const url = bedrockModelUrl(endpoint, attempt.model, 'invoke');
  const headers = { ...account.headers, 'content-type': 'application/json', accept: 'application/json' };
  const timeouts = { ...deps.config.timeouts, ...provider.timeouts };
  const outcome = await fanOut(
    1,
    (_i, callSignal) => signedBedrockPost({ url, headers, body, region, credentials, timeouts, signal: callSignal }),
    (json, _i, res) => ({ scores: decodeBedrockRerank(attempt.model, json, texts.length), tokens: tokenCount(res.headers[INPUT_TOKENS_HEADER]) }),
    deps,
    provider.id,
    signal,
  );
  return attemptOf(outcome, errorFromBedrock, ([answered]) => {
    const { scores, tokens } = answered!;
    const units = searchUnits(texts.length);
    return {
      body: encodeRerank({ scores, texts, searchUnits: units }, request),
      usage: { ...NO_TOKENS, input: tokens ?? rerankInputTokens(request) },
      estimated: tokens === undefined,
      billedUnits: units,
    };
  });
};

/**
 * A passed-through answer's use, onto the request's books: the tokens its server reports (else
 * the estimate, marked `estimated`) and the search units it was billed (Cohere's count, else
 * Cohere's rule: one per 100 documents).
 */
function meterRerank(call: AdmittedCall, ctx: RequestContext): (json: unknown) => TokenUsage {
  return function rerankUsage(json) {
    const request = call.body as RerankRequest;
    const reported = readRerankUsage(json);
    ctx.billedUnits = reported.searchUnits ?? searchUnits(request.documents.length);
    if (reported.tokens === undefined) ctx.usageEstimated = true;
    return { ...NO_TOKENS, input: reported.tokens ?? rerankInputTokens(request) };
  };
}

/** `POST /v1/rerank`, `/v2/rerank`: RAG apps and editors (Continue, Open WebUI, Dify, LangChain) rerank retrieved documents through it. Never a stream. */
export const RERANK: OpenAIOnlyOperation = {
  surface: 'rerank',
  path: 'rerank',
  title: 'Rerank requests',
  validate: (body) => void parseRerankRequest(body),
  worstCase: (call, targets) => worstCaseOfRerank(call, targets),
  passthrough: ['openai-compatible'],
  translate: { bedrock: bedrockRerank },
  meter: meterRerank,
};
