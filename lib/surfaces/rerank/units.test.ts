import { charTokens } from '../anthropic-messages/count-tokens';
import { rerankInputTokens, searchUnits } from './units';

describe('searchUnits', () => {
  it.each([
    { documents: 1, units: 1 },
    { documents: 100, units: 1 },
    { documents: 101, units: 2 },
    { documents: 250, units: 3 },
    { documents: 1000, units: 10 },
  ])('bills $documents documents as $units search units', ({ documents, units }) => {
    expect(searchUnits(documents)).toBe(units);
  });
});

describe('rerankInputTokens', () => {
  const query = 'where is the capital of France';

  it('counts the query beside every document, as a cross-encoder reads them', () => {
    const documents = ['Paris is the capital of France.', { text: 'Berlin is the capital of Germany.' }];

    const tokens = rerankInputTokens({ query, documents });

    expect(tokens).toBe(2 * charTokens(query.length) + charTokens(documents[0]!.toString().length) + charTokens('Berlin is the capital of Germany.'.length));
  });

  it('counts an object without a text by its JSON', () => {
    const image = { image: 'https://example.com/a.png' };

    expect(rerankInputTokens({ query, documents: [image] })).toBe(charTokens(query.length) + charTokens(JSON.stringify(image).length));
  });

  it('cuts each document at max_tokens_per_doc', () => {
    const long = 'x'.repeat(4000);

    expect(rerankInputTokens({ query, documents: [long, 'short'], max_tokens_per_doc: 10 })).toBe(2 * charTokens(query.length) + 10 + charTokens(5));
  });
});
