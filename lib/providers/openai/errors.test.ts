import { errorFromOpenAIEvent, errorFromOpenAIUpstream } from './errors';

describe('errorFromOpenAIUpstream', () => {
  const body = (message: string, code?: string, param?: string) => JSON.stringify({ error: { message, type: 'x', param: param ?? null, code: code ?? null } });

  it.each([
    [400, body("Invalid 'temperature'", 'invalid_value', 'temperature'), {}, { status: 400, kind: 'invalid_request', code: 'invalid_value', param: 'temperature' }],
    [404, body('The model `x` does not exist', 'model_not_found'), {}, { status: 502, kind: 'upstream_error', code: 'upstream_failed_precondition' }],
    [404, JSON.stringify({ error: { code: 'DeploymentNotFound', message: 'The API deployment for this resource does not exist.' } }), {}, { status: 502, kind: 'upstream_error', code: 'upstream_failed_precondition' }],
    [404, body('Unknown route', 'not_found'), {}, { status: 404, kind: 'not_found', code: 'not_found' }],
    [429, body('Rate limit reached', 'rate_limit_exceeded'), { 'retry-after': '3' }, { status: 429, kind: 'rate_limit', headers: { 'retry-after': '3' } }],
    [401, body('Incorrect API key provided', 'invalid_api_key'), {}, { status: 502, kind: 'upstream_error', code: 'upstream_auth_failed' }],
    [403, body('Country not supported'), {}, { status: 502, code: 'upstream_auth_failed' }],
    [500, body('The server had an error'), {}, { status: 500, kind: 'upstream_error' }],
    [503, body('The engine is currently overloaded'), {}, { status: 503, kind: 'overloaded' }],
    [529, '{"error":"overloaded"}', {}, { status: 503, kind: 'overloaded', message: 'overloaded' }],
    [502, '<html>Bad gateway</html>', {}, { status: 502, message: 'The upstream provider "p" answered 502.' }],
  ])('maps an upstream %i', (status, text, headers, expected) => {
    expect(errorFromOpenAIUpstream(status, headers, text, 'p')).toMatchObject(expected);
  });

  it.each(['model_not_found', 'DeploymentNotFound'])('keeps the words of a 404 %s (which name the config\'s model or Azure deployment) for the log only', (code) => {
    // Act
    const error = errorFromOpenAIUpstream(404, {}, body('The model `contoso-gpt4o-prod` does not exist or you do not have access to it.', code), 'azure-eu');

    // Assess
    expect(error.message).toBe(`The upstream provider "azure-eu" has no such model for this account (404 ${code}).`);
    expect(error.detail).toBe('The model `contoso-gpt4o-prod` does not exist or you do not have access to it.');
  });

  it('keeps the upstream message', () => {
    expect(errorFromOpenAIUpstream(400, {}, body('bad thing'), 'p').message).toBe('bad thing');
  });
});

describe('the operator\'s organisation in OpenAI\'s words', () => {
  const said = 'Rate limit reached for gpt-4o in organization org-uOtiSEwvUnroadaOnJJquBEC on tokens per min (TPM): Limit 30000, Used 29937, Requested 385. Please try again in 644ms.';

  it('is kept from the client and given to the log, before the stream', () => {
    // Act
    const error = errorFromOpenAIUpstream(429, {}, JSON.stringify({ error: { message: said, type: 'tokens', code: 'rate_limit_exceeded' } }), 'oai');

    // Assess
    expect(error.message).toBe(said.replace('org-uOtiSEwvUnroadaOnJJquBEC', 'the provider account'));
    expect(error.detail).toBe(said);
  });

  it.each([
    ['a fine-tuned model whose name holds `org-`', 'Rate limit reached for ft:gpt-4o-mini-2024-07-18:acme-org-research::9xYzAbCd in organization org-uOtiSEwvUnroadaOnJJquBEC on tokens per min (TPM).', 'Rate limit reached for ft:gpt-4o-mini-2024-07-18:acme-org-research::9xYzAbCd in organization the provider account on tokens per min (TPM).'],
    ['a deployment named with `org-`', 'The model `team-org-assistant` does not support streaming.', 'The model `team-org-assistant` does not support streaming.'],
  ])('replaces only the organisation id, never the words around it: %s', (_case, words, shown) => {
    // Act
    const error = errorFromOpenAIUpstream(429, {}, JSON.stringify({ error: { message: words, type: 'tokens', code: 'rate_limit_exceeded' } }), 'oai');

    // Assess
    expect(error.message).toBe(shown);
  });

  it.each([
    [{ message: said, type: 'tokens', code: 'rate_limit_exceeded' }, { status: 429, kind: 'rate_limit', code: 'rate_limit_exceeded' }],
    [{ message: 'Incorrect API key provided', code: 'invalid_api_key' }, { status: 502, code: 'upstream_auth_failed' }],
    [{ message: 'bad', code: 400 }, { status: 400, kind: 'invalid_request' }],
    [{ message: 'The server had an error' }, { status: 500, kind: 'upstream_error' }],
    [{ message: 'filtered', code: 'content_filter', status: 400 }, { status: 400, code: 'content_filter' }],
  ])('reads an in-band error %j as the HTTP path reads the same words', (error, expected) => {
    expect(errorFromOpenAIEvent(error, 'oai')).toMatchObject(expected);
  });
});
