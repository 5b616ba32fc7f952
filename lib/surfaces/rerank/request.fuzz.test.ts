import { fuzzer } from '../../../test/fuzz';
import { GatewayError } from '../../http/errors';
import { bedrockRerankBody, decodeBedrockRerank } from '../../providers/bedrock/rerank';
import { encodeRerank } from './encode';
import { parseRerankRequest, rerankTexts, type RerankRequest } from './request';
import { rerankInputTokens, searchUnits } from './units';

const MODELS = ['cohere.rerank-v3-5:0', 'amazon.rerank-v1:0'];

describe('rerank requests on arbitrary input (fuzz)', () => {
  it('checks, counts and translates for Bedrock, or refuses with a 400 naming a field, never failing otherwise', () => {
    // Prepare: a seeded generator, so a failure reproduces; mostly document-like shapes, so the translation is reached.
    const { random, pick, value, some } = fuzzer(23, {
      names: ['text', 'image', 'title', 'index', 'relevance_score', 'results'],
      scalars: [null, undefined, 0, -1, 1.5, 3, 2000, true, '', 'x', 'Paris is the capital of France.', ['text'], 'é\u0000\ud800'],
    });
    // Empty texts are rare: Bedrock refuses them, and the translation should be reached often.
    const document = () => (random() < 0.5 ? (random() < 0.05 ? '' : pick(['a', 'Paris', 'x'.repeat(50)])) : random() < 0.7 ? { text: value(3), title: value(3) } : value(2));
    const bodies = Array.from({ length: 3000 }, () => ({
      model: random() < 0.9 ? 'rerank' : value(1),
      query: random() < 0.85 ? 'capital of France' : value(1),
      documents: random() < 0.85 ? [...some(document), ...some(document)] : value(1),
      top_n: random() < 0.6 ? undefined : value(3),
      return_documents: random() < 0.6 ? undefined : value(3),
      max_tokens_per_doc: random() < 0.8 ? undefined : value(3),
      rank_fields: random() < 0.9 ? undefined : value(2),
    }));

    // Act
    const outcomes = bodies.map((body) => {
      try {
        const request = parseRerankRequest(body as Record<string, unknown>) as RerankRequest;
        const tokens = rerankInputTokens(request);
        if (!Number.isFinite(tokens) || tokens < request.documents.length) return new Error(`tokens ${tokens} for ${request.documents.length} documents`);
        const model = pick(MODELS);
        const texts = rerankTexts(request.documents, 'bedrock');
        const sent = bedrockRerankBody(model, 'us-west-2', { ...request, texts }) as { sources: unknown[]; rerankingConfiguration: { bedrockRerankingConfiguration: { numberOfResults: number } } };
        const wanted = sent.rerankingConfiguration.bedrockRerankingConfiguration.numberOfResults;
        if (sent.sources.length !== texts.length) return new Error(`${sent.sources.length} sources for ${texts.length} documents`);
        const results = texts.map((_, index) => ({ index, relevanceScore: random() })).slice(0, wanted);
        const answer = encodeRerank({ scores: decodeBedrockRerank(model, { results }, texts.length).scores, texts, searchUnits: searchUnits(texts.length) }, request);
        if (answer.results.length !== Math.min(request.top_n ?? texts.length, texts.length)) return new Error(`top_n ${String(request.top_n)}: ${answer.results.length} results`);
        return 'translated';
      } catch (err) {
        return err instanceof GatewayError && err.status === 400 && !!err.param ? 'refused' : err;
      }
    });

    // Assess
    expect(outcomes.filter((o) => o !== 'translated' && o !== 'refused')).toEqual([]);
    expect(outcomes.filter((o) => o === 'translated').length).toBeGreaterThan(100);
  });

  it("reads Bedrock's answers or refuses them as bad upstream answers, never failing otherwise", () => {
    const { value, some, random } = fuzzer(29, { names: ['index', 'relevanceScore', 'results', 'nextToken'], scalars: [null, 0, 1, 2, -1, 0.5, 1e309, 'x', '', true] });
    const answers = Array.from({ length: 2000 }, () => (random() < 0.7 ? { results: some(() => ({ index: value(3), relevanceScore: value(3) })), ...(random() < 0.3 ? { nextToken: value(1) } : {}) } : value(1)));

    const outcomes = answers.map((json) => {
      try {
        const { scores, nextToken } = decodeBedrockRerank('cohere.rerank-v3-5:0', json, 2);
        const fine = scores.every((s) => s.index >= 0 && s.index < 2 && Number.isFinite(s.relevance_score)) && (nextToken === undefined || (typeof nextToken === 'string' && nextToken !== ''));
        return fine ? 'read' : new Error(JSON.stringify({ scores, nextToken }));
      } catch (err) {
        return err instanceof GatewayError && err.code === 'upstream_bad_response' ? 'refused' : err;
      }
    });

    expect(outcomes.filter((o) => o !== 'read' && o !== 'refused')).toEqual([]);
    expect(outcomes.filter((o) => o === 'read').length).toBeGreaterThan(100);
  });
});
