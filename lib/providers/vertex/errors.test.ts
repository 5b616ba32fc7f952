import { errorFromVertex } from './errors';

const google = (code: number, status: string, message: string, details?: unknown[]) => JSON.stringify({ error: { code, message, status, ...(details ? { details } : {}) } });
const claude = (type: string, message: string) => JSON.stringify({ type: 'error', error: { type, message } });

describe('errorFromVertex', () => {
  it.each([
    ['Vertex’s quota 429', 429, google(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model'), { status: 429, code: 'resource_exhausted' }],
    ['a 401 for a token Vertex does not take', 401, google(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'), { status: 502, code: 'upstream_auth_failed' }],
    ['a 403 for a service account without the role', 403, google(403, 'PERMISSION_DENIED', "Permission 'aiplatform.endpoints.predict' denied"), { status: 502, code: 'upstream_auth_failed' }],
    // The account's project or region lacks the model: the operator's to mend, and another target may have it (failed over as a failed precondition is).
    ['a model not in the region', 404, google(404, 'NOT_FOUND', 'Publisher Model `…` not found.'), { status: 502, code: 'upstream_failed_precondition' }],
    ['Claude’s own 529', 529, claude('overloaded_error', 'Overloaded'), { status: 503, code: 'overloaded_error' }],
    ['Claude’s own invalid request', 400, claude('invalid_request_error', 'max_tokens: Field required'), { status: 400, code: 'invalid_request_error' }],
    ['an HTML page from a proxy', 502, '<html>Bad Gateway</html>', { status: 502 }],
  ])('reads %s', (_case, status, text, expected) => {
    // Act
    const err = errorFromVertex(status, {}, text, 'vertex');

    // Assess
    expect(err).toMatchObject(expected);
  });

  it('takes the retry delay of a RetryInfo detail as retry-after, in whole seconds', () => {
    // Act
    const err = errorFromVertex(429, {}, google(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded', [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '6.2s' }]), 'vertex');

    // Assess
    expect(err.headers).toEqual({ 'retry-after': '7' });
  });
});
