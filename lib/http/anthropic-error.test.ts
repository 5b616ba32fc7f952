import { anthropicErrorBody, anthropicErrorResponse } from './anthropic-error';
import { GatewayError, type ErrorKind } from './errors';

describe('anthropicErrorBody', () => {
  it.each<{ kind: ErrorKind; status?: number; expected: string }>([
    { kind: 'invalid_request', expected: 'invalid_request_error' },
    { kind: 'authentication', expected: 'authentication_error' },
    { kind: 'permission', expected: 'permission_error' },
    { kind: 'not_found', expected: 'not_found_error' },
    { kind: 'request_too_large', expected: 'request_too_large' },
    { kind: 'rate_limit', expected: 'rate_limit_error' },
    { kind: 'internal', expected: 'api_error' },
    { kind: 'upstream_error', expected: 'api_error' },
    { kind: 'upstream_timeout', expected: 'timeout_error' },
    { kind: 'overloaded', expected: 'overloaded_error' },
    { kind: 'overloaded', status: 529, expected: 'overloaded_error' },
    { kind: 'method_not_allowed', expected: 'invalid_request_error' },
    { kind: 'invalid_request', status: 422, expected: 'invalid_request_error' },
  ])('gives a $kind error (status $status) the type $expected', ({ kind, status, expected }) => {
    // Act
    const body = anthropicErrorBody(new GatewayError(kind, 'Something.', status ? { status } : {}));

    // Assess
    expect(body).toEqual({ type: 'error', error: { type: expected, message: 'Something.' } });
  });

  it('answers with the status and headers of the error', () => {
    const res = anthropicErrorResponse(new GatewayError('rate_limit', 'Slow.', { headers: { 'retry-after': '3' } }));
    expect(res).toMatchObject({ status: 429, headers: { 'retry-after': '3' } });
    expect(JSON.parse(String(res.body))).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: 'Slow.' } });
  });
});
