import { errorFromGeminiStreamEvent, errorFromGeminiUpstream, retryAfterFromDetails } from './errors';

const google = (code: number, status: string, message: string, details: unknown[] = []) => JSON.stringify({ error: { code, message, status, ...(details.length ? { details } : {}) } }, null, 2);

const KEY_INVALID = google(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
  { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
  { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message: 'API key not valid. Please pass a valid API key.' },
]);
const QUOTA = google(429, 'RESOURCE_EXHAUSTED', 'You exceeded your current quota, please check your plan and billing details.', [
  { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests', quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier' }] },
  { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Learn more about Gemini API quotas', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }] },
  { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '17s' },
]);

describe('errorFromGeminiUpstream', () => {
  it.each([
    {
      name: 'an invalid key (400 API_KEY_INVALID) as 502 upstream_auth_failed',
      status: 400,
      body: KEY_INVALID,
      expected: { kind: 'upstream_error', status: 502, code: 'upstream_auth_failed', message: expect.stringContaining('API_KEY_INVALID') },
    },
    {
      name: 'a 403 PERMISSION_DENIED as 502 upstream_auth_failed',
      status: 403,
      body: google(403, 'PERMISSION_DENIED', 'Method doesn\'t allow unregistered callers.'),
      expected: { kind: 'upstream_error', status: 502, code: 'upstream_auth_failed' },
    },
    {
      name: 'a 401 UNAUTHENTICATED as 502 upstream_auth_failed',
      status: 401,
      body: google(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'),
      expected: { status: 502, code: 'upstream_auth_failed' },
    },
    {
      name: 'a 400 FAILED_PRECONDITION as a 502 the operator must fix',
      status: 400,
      body: google(400, 'FAILED_PRECONDITION', 'User location is not supported for the API use.'),
      expected: { kind: 'upstream_error', status: 502, code: 'upstream_failed_precondition' },
    },
    {
      name: 'a 400 INVALID_ARGUMENT as a 400 with Google\'s message',
      status: 400,
      body: google(400, 'INVALID_ARGUMENT', '* GenerateContentRequest.contents: contents is not specified\n'),
      expected: { kind: 'invalid_request', status: 400, code: 'invalid_argument', message: '* GenerateContentRequest.contents: contents is not specified\n' },
    },
    {
      name: 'a 404 NOT_FOUND as a 404',
      status: 404,
      body: google(404, 'NOT_FOUND', 'models/gemini-9 is not found for API version v1beta, or is not supported for generateContent.'),
      expected: { kind: 'not_found', status: 404, code: 'not_found' },
    },
    {
      name: 'a 429 RESOURCE_EXHAUSTED as a 429 with retry-after from RetryInfo',
      status: 429,
      body: QUOTA,
      expected: { kind: 'rate_limit', status: 429, code: 'resource_exhausted', headers: { 'retry-after': '17' } },
    },
    {
      name: 'a 429 without RetryInfo as a 429 without retry-after',
      status: 429,
      body: google(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).'),
      expected: { status: 429, headers: {} },
    },
    {
      name: 'a quota naming the project number without it, the original in the detail',
      status: 429,
      body: google(429, 'RESOURCE_EXHAUSTED', "Quota exceeded for quota metric 'Generate Content API requests per minute' of service 'generativelanguage.googleapis.com' for consumer 'project_number:123456789'."),
      expected: {
        kind: 'rate_limit',
        message: "Quota exceeded for quota metric 'Generate Content API requests per minute' of service 'generativelanguage.googleapis.com' for consumer 'the provider account'.",
        detail: "Quota exceeded for quota metric 'Generate Content API requests per minute' of service 'generativelanguage.googleapis.com' for consumer 'project_number:123456789'.",
      },
    },
    {
      name: 'a quota naming the project path without it',
      status: 429,
      body: google(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded for projects/aigw-prod-4821/locations/us-central1 on base model gemini-2.5-pro.'),
      expected: { message: 'Quota exceeded for the provider account on base model gemini-2.5-pro.', detail: 'Quota exceeded for projects/aigw-prod-4821/locations/us-central1 on base model gemini-2.5-pro.' },
    },
    { name: 'a quota naming no project with no detail', status: 429, body: QUOTA, expected: { message: 'You exceeded your current quota, please check your plan and billing details.', detail: undefined } },
    { name: 'a 500 INTERNAL as 503 overloaded', status: 500, body: google(500, 'INTERNAL', 'An internal error has occurred.'), expected: { kind: 'overloaded', status: 503, code: 'internal' } },
    { name: 'a 503 UNAVAILABLE as 503 overloaded', status: 503, body: google(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.'), expected: { kind: 'overloaded', status: 503, code: 'unavailable' } },
    { name: 'a 504 DEADLINE_EXCEEDED as a 504', status: 504, body: google(504, 'DEADLINE_EXCEEDED', 'Deadline expired.'), expected: { kind: 'upstream_timeout', status: 504 } },
    { name: 'a 502 from a proxy as a 502', status: 502, body: '<html>Bad Gateway</html>', expected: { kind: 'upstream_error', status: 502, message: 'The upstream provider "google" answered 502.' } },
    { name: 'a 413 as request_too_large', status: 413, body: '', expected: { kind: 'request_too_large', status: 413 } },
    { name: 'an error body wrapped in an array', status: 400, body: `[${google(400, 'INVALID_ARGUMENT', 'bad')}]`, expected: { status: 400, message: 'bad' } },
  ])('reports $name', ({ status, body, expected }) => {
    // Act
    const error = errorFromGeminiUpstream(status, { 'content-type': 'application/json; charset=UTF-8' }, body, 'google');

    // Assess
    expect(error).toMatchObject(expected);
  });

  it('falls back to a Retry-After header when the body has no RetryInfo', () => {
    // Act
    const error = errorFromGeminiUpstream(429, { 'retry-after': '5' }, google(429, 'RESOURCE_EXHAUSTED', 'slow down'), 'google');

    // Assess
    expect(error.headers).toEqual({ 'retry-after': '5' });
  });
});

describe('retryAfterFromDetails', () => {
  it.each([
    ['17s', '17'],
    ['0s', '0'],
    ['0.5s', '1'],
    ['1.000s', '1'],
    ['30.000000001s', '31'],
    ['soon', undefined],
  ])('reads retryDelay %s as %s seconds', (retryDelay, expected) => {
    expect(retryAfterFromDetails([{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay }])).toBe(expected);
  });

  it('ignores details that are not RetryInfo', () => {
    expect(retryAfterFromDetails([{ '@type': 'type.googleapis.com/google.rpc.Help', retryDelay: '3s' }])).toBeUndefined();
  });
});

describe('errorFromGeminiStreamEvent', () => {
  it('uses the code inside the event as the status', () => {
    // Act
    const error = errorFromGeminiStreamEvent({ code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' }, 'google');

    // Assess
    expect(error).toMatchObject({ kind: 'overloaded', status: 503, message: 'The model is overloaded.' });
  });
});
