import { GatewayError, asGatewayError, forTarget, untranslatable, upstreamError } from './errors';

describe('forTarget', () => {
  it('names the provider type and the field in a translation refusal', () => {
    const err = forTarget(untranslatable('n', 'n > 1'), { id: 'claude', type: 'anthropic' });

    expect(err).toMatchObject({ status: 400, param: 'n', code: 'unsupported_parameter', message: 'n > 1 (n) is not supported by provider type anthropic (provider "claude").' });
  });

  it('leaves other errors alone', () => {
    const other = new GatewayError('invalid_request', 'bad', { code: 'invalid_value' });

    expect(forTarget(other, { id: 'p', type: 'gemini' })).toBe(other);
  });
});

describe('asGatewayError', () => {
  it('hides what an unexpected error says behind a 500', () => {
    const err = asGatewayError(new Error('secret detail'));

    expect(err).toMatchObject({ status: 500, kind: 'internal' });
    expect(err.message).not.toContain('secret');
  });
});

describe('upstreamError', () => {
  it.each([
    [400, 'invalid_request', 400],
    [404, 'not_found', 404],
    [413, 'request_too_large', 413],
    [422, 'invalid_request', 422],
    [429, 'rate_limit', 429],
    [500, 'upstream_error', 500],
    [503, 'overloaded', 503],
    [504, 'upstream_timeout', 504],
    [529, 'overloaded', 503],
    [418, 'invalid_request', 418],
  ])('reads an upstream %i as %s, status %i to the caller', (status, kind, callerStatus) => {
    expect(upstreamError(status, 'm')).toMatchObject({ kind, status: callerStatus });
  });
});
