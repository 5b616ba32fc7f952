import { readRerankUsage } from './usage';

describe('readRerankUsage', () => {
  it.each<{ name: string; json: unknown; reported: ReturnType<typeof readRerankUsage> }>([
    { name: "Jina's usage", json: { model: 'jina-reranker-v2', usage: { total_tokens: 120, prompt_tokens: 120 }, results: [] }, reported: { tokens: 120 } },
    { name: "vLLM's usage", json: { id: 'rerank-1', usage: { total_tokens: 37 }, results: [] }, reported: { tokens: 37 } },
    { name: 'prompt tokens alone', json: { usage: { prompt_tokens: 9 } }, reported: { tokens: 9 } },
    { name: "Cohere's search units", json: { id: 'x', results: [], meta: { api_version: { version: '2' }, billed_units: { search_units: 2 } } }, reported: { searchUnits: 2 } },
    { name: "Cohere's tokens beside its units", json: { meta: { billed_units: { search_units: 1 }, tokens: { input_tokens: 55 } } }, reported: { tokens: 55, searchUnits: 1 } },
    { name: 'nothing reported', json: { results: [] }, reported: {} },
    { name: 'counts that are not counts', json: { usage: { total_tokens: '12' }, meta: { billed_units: { search_units: -1 } } }, reported: {} },
    { name: 'an answer that is not an object', json: [1, 2], reported: {} },
    { name: 'null', json: null, reported: {} },
  ])('reads $name', ({ json, reported }) => {
    expect(readRerankUsage(json)).toEqual(reported);
  });
});
