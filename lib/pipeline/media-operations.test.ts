import { parseConfig } from '../config/load';
import { Catalog } from '../routing/catalog';
import { IMAGES_EDITS, IMAGES_GENERATIONS, imagesAsked } from './media-operations';
import type { AdmittedCall } from './model-call';

describe('imagesAsked', () => {
  it.each([
    { case: 'no n', body: {}, expected: 1 },
    { case: 'n in JSON', body: { n: 3 }, expected: 3 },
    { case: 'n as an upload text field', body: { n: '4' }, expected: 4 },
    { case: 'n of zero', body: { n: 0 }, expected: 1 },
    { case: 'a negative n', body: { n: -2 }, expected: 1 },
    { case: 'a fractional n', body: { n: 1.5 }, expected: 1 },
    { case: 'a text n that is no whole number', body: { n: '2x' }, expected: 1 },
    { case: 'n of another type', body: { n: [2] }, expected: 1 },
  ])('is $expected for $case', ({ body, expected }) => {
    expect(imagesAsked(body)).toBe(expected);
  });
});

describe("an image call's worst case", () => {
  const OUTPUT_PRICE = 40;
  const MAX_OUTPUT = 6240;
  const config = parseConfig({
    providers: [{ id: 'p', type: 'openai', accounts: [{ id: 'a', apiKey: { env: 'X' } }] }],
    models: [{ name: 'gpt-image-1', maxOutputTokens: MAX_OUTPUT, price: { input: 5, output: OUTPUT_PRICE }, targets: [{ provider: 'p', model: 'gpt-image-1' }] }],
  });
  const entry = new Catalog(config).find('gpt-image-1')!;
  // The same bytes whatever n is, so that only n can change the hold.
  const call = (body: Record<string, unknown>): AdmittedCall => ({ caller: {} as AdmittedCall['caller'], body, raw: Buffer.alloc(200), model: 'gpt-image-1', entry });

  it.each([
    { operation: IMAGES_GENERATIONS, name: 'JSON', n: 3 },
    { operation: IMAGES_EDITS, name: 'an upload', n: '3' },
  ])("holds the output allowance for each image $name asks for, as each image's tokens are charged", ({ operation, n }) => {
    // Act
    const one = operation.worstCase(call({ model: 'gpt-image-1', prompt: 'a cat' }), entry.targets, config);
    const three = operation.worstCase(call({ model: 'gpt-image-1', prompt: 'a cat', n }), entry.targets, config);

    // Assess
    expect(three - one).toBe(2 * MAX_OUTPUT * OUTPUT_PRICE);
  });
});
