import { encodeRerank } from './encode';

const answer = {
  scores: [
    { index: 0, relevance_score: 0.12 },
    { index: 2, relevance_score: 0.98 },
    { index: 1, relevance_score: 0.4 },
  ],
  texts: ['Berlin', 'Madrid', 'Paris'],
  searchUnits: 1,
};

describe('encodeRerank', () => {
  it.each<{ name: string; request: { top_n?: number | null; return_documents?: boolean | null }; results: unknown[] }>([
    {
      name: 'every score, best first, without documents',
      request: {},
      results: [
        { index: 2, relevance_score: 0.98 },
        { index: 1, relevance_score: 0.4 },
        { index: 0, relevance_score: 0.12 },
      ],
    },
    { name: 'the top_n best', request: { top_n: 1 }, results: [{ index: 2, relevance_score: 0.98 }] },
    {
      name: 'a top_n past the documents as all of them',
      request: { top_n: 10, return_documents: false },
      results: [
        { index: 2, relevance_score: 0.98 },
        { index: 1, relevance_score: 0.4 },
        { index: 0, relevance_score: 0.12 },
      ],
    },
    {
      name: "each document's text when return_documents asks",
      request: { top_n: 2, return_documents: true },
      results: [
        { index: 2, relevance_score: 0.98, document: { text: 'Paris' } },
        { index: 1, relevance_score: 0.4, document: { text: 'Madrid' } },
      ],
    },
  ])('answers $name in Cohere v2 shape', ({ request, results }) => {
    // Act
    const body = encodeRerank(answer, request);

    // Assess
    expect(body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), results, meta: { api_version: { version: '2' }, billed_units: { search_units: 1 } } });
  });

  it('gives every answer its own id', () => {
    expect(encodeRerank(answer, {}).id).not.toBe(encodeRerank(answer, {}).id);
  });
});
