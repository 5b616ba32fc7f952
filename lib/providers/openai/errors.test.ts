import { errorFromOpenAIUpstream } from './errors';

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
