import { GatewayError, asGatewayError, forTarget, untranslatable } from './errors';

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
