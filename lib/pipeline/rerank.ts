/**
 * `POST /v1/rerank` (and `/v2/rerank`): rerank requests in Cohere's shape, which Jina, vLLM,
 * Infinity, LiteLLM and Cohere's own v2 API serve. Passed through by `openAIOnlyCall` to
 * `openai-compatible` targets (`{baseUrl}/rerank`, Bearer key), the only OpenAI-dialect type with
 * servers that have it (OpenAI and Azure OpenAI have none); translated for `bedrock` targets
 * (Cohere Rerank 3.5 and Amazon Rerank 1.0 through the agent runtime's Rerank operation). Billed per search unit.
 */
import { GatewayError } from '../http/errors';
import { bedrockAgentRuntimeTarget, bedrockRerankBody, decodeBedrockRerank, signedBedrockPost, type BedrockRerankPage } from '../providers/bedrock';
import { errorFromBedrock } from '../providers/bedrock/errors';
import { encodeRerank, parseRerankRequest, readRerankUsage, rerankInputTokens, rerankTexts, searchUnits, type RerankRequest, type RerankScore } from '../surfaces/rerank';
import { NO_TOKENS, type TokenUsage } from '../usage/tokens';
import { worstCaseOfRerank } from './budget';
import type { RequestContext } from './context';
import { attemptOf, fanOut, type FanOutResult, type Translator } from './fan-out';
import type { AdmittedCall } from './model-call';
import type { OpenAIOnlyOperation } from './openai-only';
import { callTimeouts } from '../upstream/http';

/**
 * The most pages of one Rerank answer the gateway follows. Rerank answers at most 1 000 results
 * and AWS documents no page size; a bound keeps a server that hands out tokens forever from
 * holding the request.
 */
export const BEDROCK_RERANK_MAX_PAGES = 10;

/**
 * Rerank on Bedrock: the Agents for Amazon Bedrock runtime's Rerank operation (at most 1 000
 * documents, refused with a 400 before any credential lookup otherwise), signed as every Bedrock
 * call is, each page read as a one-call fan-out so a failed answer fails over as on every
 * translated operation. A paged answer is followed by its `nextToken` (at most
 * `BEDROCK_RERANK_MAX_PAGES` pages, until `numberOfResults` results are in). The answer is
 * Cohere's, with the documents' texts filled in when the client asked `return_documents`. Rerank
 * counts no tokens, so they are estimated.
 */
const bedrockRerank: Translator = async (call, attempt, deps, signal) => {
  const request = call.body as RerankRequest;
  const texts = rerankTexts(request.documents, 'bedrock');
  const { provider, account } = attempt;
  const { endpoint, region } = bedrockAgentRuntimeTarget(provider, account);
  const wanted = Math.min(request.top_n ?? texts.length, texts.length);
  const bodyOf = (nextToken?: string) => JSON.stringify(bedrockRerankBody(attempt.model, region, { ...request, texts }, nextToken));
  // Built (and so checked) before any credential lookup: a refusal costs nothing.
  const first = bodyOf();
  const credentials = await deps.providers.bedrockCredentials({ provider, account });
  const url = `${endpoint}/rerank`;
  const headers = { ...account.headers, 'content-type': 'application/json', accept: 'application/json' };
  const timeouts = callTimeouts(deps.config.timeouts, provider.timeouts, false);
  const scores: RerankScore[] = [];
  const seen = new Set<number>();
  const badAnswer = (why: string) => new GatewayError('upstream_error', `Bedrock model \`${attempt.model}\` answered with a rerank body the gateway cannot read (${why}).`, { code: 'upstream_bad_response' });
  let outcome: FanOutResult<BedrockRerankPage> | undefined;
  for (let page = 0, body = first; ; page++) {
    outcome = await fanOut(
      1,
      (_i, callSignal) => signedBedrockPost({ url, headers, body, region, credentials, timeouts, signal: callSignal }),
      (json) => decodeBedrockRerank(attempt.model, json, texts.length),
      deps,
      provider.id,
      signal,
    );
    if (!outcome.ok) break;
    const { scores: more, nextToken } = outcome.results[0]!;
    for (const score of more) {
      // A document scored twice (on one page or across pages) would be answered twice.
      if (seen.has(score.index)) throw badAnswer(`document ${score.index} scored twice`);
      seen.add(score.index);
      scores.push(score);
    }
    if (nextToken === undefined || scores.length >= wanted) break;
    if (page + 1 >= BEDROCK_RERANK_MAX_PAGES) {
      throw badAnswer(`still paging after ${BEDROCK_RERANK_MAX_PAGES} pages`);
    }
    body = bodyOf(nextToken);
  }
  return attemptOf(outcome, errorFromBedrock, () => {
    const units = searchUnits(texts.length);
    return {
      body: encodeRerank({ scores: scores.slice(0, wanted), texts, searchUnits: units }, request),
      usage: { ...NO_TOKENS, input: rerankInputTokens(request) },
      estimated: true,
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
