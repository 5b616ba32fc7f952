import { parseConfig } from '../config/load';
import { Catalog } from '../routing/catalog';
import { charTokens } from '../surfaces/anthropic-messages';
import { worstCaseCost } from '../usage/cost';
import { worstCaseOfCall } from './budget';
import type { AdmittedCall } from './model-call';

const config = parseConfig({
  providers: [{ id: 'g', type: 'gemini', accounts: [{ id: 'a', apiKey: { env: 'X' } }] }],
  models: [{ name: 'm', price: { input: 1, output: 4 }, targets: [{ provider: 'g', model: 'gemini-2.5-flash' }] }],
});
const entry = new Catalog(config).find('m')!;
const call = (body: Record<string, unknown>): AdmittedCall => {
  const raw = Buffer.from(JSON.stringify(body));
  return { key: { id: 'k' } as AdmittedCall['key'], body, raw, model: 'm', entry };
};

describe('worstCaseOfCall for a Gemini body that does not translate', () => {
  it.each([
    { name: 'holds generationConfig.maxOutputTokens', generationConfig: { maxOutputTokens: 1000 }, output: 1000 },
    { name: 'holds it for every candidate', generationConfig: { maxOutputTokens: 1000, candidateCount: 3 }, output: 3000 },
    { name: 'holds the default allowance without one', generationConfig: {}, output: config.limits.defaultMaxOutputTokens },
  ])('$name', ({ generationConfig, output }) => {
    // Prepare: a built-in tool, so there is no canonical form to read the limit from.
    const admitted = call({ contents: [{ parts: [{ text: 'hi' }] }], tools: [{ googleSearch: {} }], generationConfig });

    // Act
    const most = worstCaseOfCall(admitted, undefined, config);

    // Assess
    expect(most).toBe(worstCaseCost(charTokens(admitted.raw.length), output, [{ input: 1, output: 4 }]));
  });
});
