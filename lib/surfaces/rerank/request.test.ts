import { GatewayError } from '../../http/errors';
import { parseRerankRequest, rerankTexts } from './request';

const body = (over: Record<string, unknown>) => ({ model: 'rerank-v3.5', query: 'capital of France', documents: ['Paris', 'Berlin'], ...over });

describe('parseRerankRequest', () => {
  it.each<{ name: string; input: Record<string, unknown> }>([
    { name: "Cohere v2's strings", input: body({}) },
    { name: "Cohere v1's and Jina's objects with a text", input: body({ documents: [{ text: 'Paris', title: 'France' }, 'Berlin'] }) },
    { name: 'an empty document', input: body({ documents: [''] }) },
    { name: "Jina's image documents and Cohere v1's records, for the servers that read them", input: body({ documents: [{ image: 'https://example.com/a.png' }, { title: 'x', body: 'y' }] }) },
    { name: 'top_n, return_documents and max_tokens_per_doc', input: body({ top_n: 1, return_documents: true, max_tokens_per_doc: 512 }) },
    { name: 'null optional fields', input: body({ top_n: null, return_documents: null, max_tokens_per_doc: null }) },
    { name: 'fields of one server only', input: body({ rank_fields: ['text'], priority: 3, truncation: true }) },
  ])('accepts $name', ({ input }) => {
    expect(parseRerankRequest(input)).toBe(input);
  });

  it.each<{ name: string; input: Record<string, unknown>; param: string }>([
    { name: 'a missing model', input: { query: 'q', documents: ['a'] }, param: 'model' },
    { name: 'an empty model', input: body({ model: '' }), param: 'model' },
    { name: 'a missing query', input: body({ query: undefined }), param: 'query' },
    { name: 'an empty query', input: body({ query: '' }), param: 'query' },
    { name: 'a query that is not a string', input: body({ query: ['q'] }), param: 'query' },
    { name: 'missing documents', input: body({ documents: undefined }), param: 'documents' },
    { name: 'a string as documents', input: body({ documents: 'Paris' }), param: 'documents' },
    { name: 'no documents', input: body({ documents: [] }), param: 'documents' },
    { name: 'a number among the documents', input: body({ documents: ['a', 3] }), param: 'documents[1]' },
    { name: 'an array among the documents', input: body({ documents: ['a', ['b']] }), param: 'documents[1]' },
    { name: 'an object whose text is not a string', input: body({ documents: [{ text: 1 }] }), param: 'documents[0].text' },
    { name: 'a zero top_n', input: body({ top_n: 0 }), param: 'top_n' },
    { name: 'a fractional top_n', input: body({ top_n: 1.5 }), param: 'top_n' },
    { name: 'return_documents as a string', input: body({ return_documents: 'yes' }), param: 'return_documents' },
    { name: 'a negative max_tokens_per_doc', input: body({ max_tokens_per_doc: -1 }), param: 'max_tokens_per_doc' },
  ])('refuses $name with a 400 naming $param', ({ input, param }) => {
    // Act
    let error: unknown;
    try {
      parseRerankRequest(input);
    } catch (err) {
      error = err;
    }

    // Assess
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status: 400, param, code: 'invalid_value' });
    expect((error as Error).message).toContain(`'${param}'`);
  });
});

describe('rerankTexts', () => {
  it('reads strings as they are and objects by their text, in order', () => {
    expect(rerankTexts(['a', { text: 'b', title: 't' }, ''], 'bedrock')).toEqual(['a', 'b', '']);
  });

  it('refuses a document without text with a 400 naming it and the provider type', () => {
    expect(() => rerankTexts(['a', { image: 'https://example.com/a.png' }], 'bedrock')).toThrow(
      expect.objectContaining({ status: 400, param: 'documents[1].text', code: 'unsupported_parameter', message: expect.stringContaining('provider type bedrock') }),
    );
  });
});
