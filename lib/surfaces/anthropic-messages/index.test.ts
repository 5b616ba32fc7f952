import { GatewayError } from '../../http/errors';
import { anthropicMessagesSurface, anthropicModelList } from './index';

describe('anthropicModelList', () => {
  it.each([
    {
      name: 'lists names in Anthropic shape with first and last ids',
      input: ['claude-a', 'claude-b'],
      expected: {
        data: [
          { type: 'model', id: 'claude-a', display_name: 'claude-a', created_at: '2025-01-01T00:00:00Z' },
          { type: 'model', id: 'claude-b', display_name: 'claude-b', created_at: '2025-01-01T00:00:00Z' },
        ],
        has_more: false,
        first_id: 'claude-a',
        last_id: 'claude-b',
      },
    },
    { name: 'lists nothing with null ids', input: [], expected: { data: [], has_more: false, first_id: null, last_id: null } },
  ])('$name', ({ input, expected }) => {
    expect(anthropicModelList(input)).toEqual(expected);
  });
});

describe('anthropicMessagesSurface', () => {
  it('encodes errors in the Anthropic shape', () => {
    expect(anthropicMessagesSurface.encodeError(new GatewayError('rate_limit', 'Slow down.'))).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: 'Slow down.' } });
  });

  it('decodes strictly, refusing what only Anthropic could receive', () => {
    const body = { model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'q' }], tools: [{ type: 'web_search_20250305', name: 'web_search' }] };
    let thrown: unknown;
    try {
      anthropicMessagesSurface.decodeRequest(body);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ status: 400, code: 'untranslatable', param: 'tools[0].type' });
  });
});
