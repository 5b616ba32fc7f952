import { GatewayError } from '../../http/errors';
import { geminiErrorBody, geminiErrorResponse, googleStatusName } from './errors';

describe('googleStatusName', () => {
  it.each([
    [400, 'INVALID_ARGUMENT'],
    [401, 'UNAUTHENTICATED'],
    [403, 'PERMISSION_DENIED'],
    [404, 'NOT_FOUND'],
    [413, 'INVALID_ARGUMENT'],
    [429, 'RESOURCE_EXHAUSTED'],
    [500, 'INTERNAL'],
    [502, 'UNAVAILABLE'],
    [503, 'UNAVAILABLE'],
    [504, 'DEADLINE_EXCEEDED'],
    [418, 'INVALID_ARGUMENT'],
    [599, 'INTERNAL'],
  ])('names HTTP %i %s', (status, name) => {
    expect(googleStatusName(status)).toBe(name);
  });
});

describe('geminiErrorBody', () => {
  it('writes Google’s error shape with the HTTP code and status name', () => {
    expect(geminiErrorBody(new GatewayError('authentication', 'Incorrect API key provided.'))).toEqual({ error: { code: 401, message: 'Incorrect API key provided.', status: 'UNAUTHENTICATED' } });
  });

  it('adds the RetryInfo detail Gemini CLI backs off by when the error has a retry-after', () => {
    const err = new GatewayError('rate_limit', 'Slow down.', { headers: { 'retry-after': '17' } });
    expect(geminiErrorBody(err).error.details).toEqual([{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '17s' }]);
  });

  it('answers with the error’s status and headers', () => {
    const res = geminiErrorResponse(new GatewayError('rate_limit', 'Slow down.', { headers: { 'retry-after': '3' } }));
    expect(res).toMatchObject({ status: 429, headers: { 'content-type': 'application/json', 'retry-after': '3' } });
    expect(JSON.parse(String(res.body))).toMatchObject({ error: { code: 429, status: 'RESOURCE_EXHAUSTED' } });
  });
});
