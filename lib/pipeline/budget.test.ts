import { parseConfig } from '../config/load';
import { Catalog } from '../routing/catalog';
import { charTokens } from '../surfaces/anthropic-messages';
import { decodeResponsesRequest } from '../surfaces/openai-responses';
import { worstCaseCost } from '../usage/cost';
import { worstCaseOfCall } from './budget';
import type { AdmittedCall } from './model-call';

const OUTPUT_PRICE = 8;
const config = parseConfig({
  providers: [{ id: 'p', type: 'openai', accounts: [{ id: 'a', apiKey: { env: 'X' } }] }],
  models: [{ name: 'gpt-4.1', targets: [{ provider: 'p', model: 'gpt-4.1', price: { input: 2, output: OUTPUT_PRICE } }] }],
  limits: { defaultMaxOutputTokens: 4096 },
});

function call(body: Record<string, unknown>): AdmittedCall {
  const raw = Buffer.from(JSON.stringify(body));
  return { caller: {} as AdmittedCall['caller'], body, raw, model: 'gpt-4.1', entry: new Catalog(config).find('gpt-4.1')! };
}

const worstDecoded = (body: Record<string, unknown>) => worstCaseOfCall(call(body), decodeResponsesRequest(body), config);

describe('worstCaseOfCall on a Responses API body', () => {
  it("holds the output allowance the request's max_output_tokens names", () => {
    // Act
    const small = worstDecoded({ model: 'gpt-4.1', input: 'Hi', max_output_tokens: 100 });
    const large = worstDecoded({ model: 'gpt-4.1', input: 'Hi', max_output_tokens: 10_000 });

    // Assess
    expect(large - small).toBe((10_000 - 100) * OUTPUT_PRICE);
  });

  it('reads max_output_tokens from a body the translation refuses too (it may still pass through)', () => {
    // previous_response_id cannot be translated, so there is no canonical form: the prompt is sized by its bytes.
    const small = worstCaseOfCall(call({ model: 'gpt-4.1', input: 'Hi', previous_response_id: 'resp_1', max_output_tokens: 100 }), undefined, config);
    const large = worstCaseOfCall(call({ model: 'gpt-4.1', input: 'Hi', previous_response_id: 'resp_1', max_output_tokens: 10_000 }), undefined, config);

    // Three more bytes of body weigh at most a token of prompt.
    expect(Math.abs(large - small - (10_000 - 100) * OUTPUT_PRICE)).toBeLessThanOrEqual(2);
  });

  it("holds the config's default allowance when the request names none", () => {
    expect(worstDecoded({ model: 'gpt-4.1', input: 'Hi' })).toBe(worstDecoded({ model: 'gpt-4.1', input: 'Hi', max_output_tokens: 4096 }));
  });

  it('holds the thinking budget on top of the default when the request asks for reasoning but names no limit', () => {
    // Translated for Claude, such a call goes up with max_tokens = budget + default (thinking counts inside max_tokens).
    expect(worstDecoded({ model: 'gpt-4.1', input: 'Hi', reasoning: { effort: 'high' } })).toBe(worstDecoded({ model: 'gpt-4.1', input: 'Hi', max_output_tokens: 4096 + 16_384 }));
    expect(worstDecoded({ model: 'gpt-4.1', input: 'Hi', reasoning: { effort: 'low' } })).toBe(worstDecoded({ model: 'gpt-4.1', input: 'Hi', max_output_tokens: 4096 + 1024 }));
  });

  it('holds only the named limit when the request names one beside its reasoning (thinking counts inside it)', () => {
    expect(worstDecoded({ model: 'gpt-4.1', input: 'Hi', reasoning: { effort: 'high' }, max_output_tokens: 20_000 })).toBe(worstDecoded({ model: 'gpt-4.1', input: 'Hi', max_output_tokens: 20_000 }));
  });
});

const geminiConfig = parseConfig({
  providers: [{ id: 'g', type: 'gemini', accounts: [{ id: 'a', apiKey: { env: 'X' } }] }],
  models: [{ name: 'm', price: { input: 1, output: 4 }, targets: [{ provider: 'g', model: 'gemini-2.5-flash' }] }],
});
const geminiEntry = new Catalog(geminiConfig).find('m')!;
const geminiCall = (body: Record<string, unknown>): AdmittedCall => {
  const raw = Buffer.from(JSON.stringify(body));
  return { caller: {} as AdmittedCall['caller'], body, raw, model: 'm', entry: geminiEntry };
};

describe('worstCaseOfCall for a Gemini body that does not translate', () => {
  it.each([
    { name: 'holds generationConfig.maxOutputTokens', generationConfig: { maxOutputTokens: 1000 }, output: 1000 },
    { name: 'holds it for every candidate', generationConfig: { maxOutputTokens: 1000, candidateCount: 3 }, output: 3000 },
    { name: 'holds the default allowance without one', generationConfig: {}, output: geminiConfig.limits.defaultMaxOutputTokens },
  ])('$name', ({ generationConfig, output }) => {
    // Prepare: a built-in tool, so there is no canonical form to read the limit from.
    const admitted = geminiCall({ contents: [{ parts: [{ text: 'hi' }] }], tools: [{ googleSearch: {} }], generationConfig });

    // Act
    const most = worstCaseOfCall(admitted, undefined, geminiConfig);

    // Assess
    expect(most).toBe(worstCaseCost(charTokens(admitted.raw.length), output, [{ input: 1, output: 4 }]));
  });
});

describe('worstCaseOfCall for a Gemini body in snake_case, which Gemini takes too', () => {
  it.each([
    { name: 'holds generation_config.max_output_tokens for every candidate_count', body: { generation_config: { max_output_tokens: 1000, candidate_count: 3 } }, output: 3000 },
    { name: 'holds generationConfig.max_output_tokens', body: { generationConfig: { max_output_tokens: 1000 } }, output: 1000 },
  ])('$name', ({ body, output }) => {
    // Prepare
    const admitted = geminiCall({ contents: [{ parts: [{ text: 'hi' }] }], ...body });

    // Act
    const most = worstCaseOfCall(admitted, undefined, geminiConfig);

    // Assess
    expect(most).toBe(worstCaseCost(charTokens(admitted.raw.length), output, [{ input: 1, output: 4 }]));
  });
});

describe('worstCaseOfCall for a legacy completions body', () => {
  it.each([
    { name: 'one string prompt', prompt: 'def add(a, b):', prompts: 1 },
    { name: 'a batch of string prompts: each gets its own completions', prompt: ['a', 'b', 'c'], prompts: 3 },
    { name: 'a batch of token arrays', prompt: [[1, 2], [3], [4, 5]], prompts: 3 },
    { name: 'one token array', prompt: [1, 2, 3], prompts: 1 },
  ])('holds max_tokens × n for each prompt: $name', ({ prompt, prompts }) => {
    const body = { model: 'gpt-4.1', prompt, max_tokens: 100, n: 2 };

    const worst = worstCaseOfCall(call(body), undefined, config);

    expect(worst).toBe(worstCaseCost(charTokens(Buffer.byteLength(JSON.stringify(body))), 100 * 2 * prompts, [{ input: 2, output: OUTPUT_PRICE }]));
  });
});
