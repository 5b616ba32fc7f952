import { readOAuthTokenAnswer } from './oauth-token';

describe('readOAuthTokenAnswer', () => {
  it.each([
    { case: 'a token', status: 200, text: '{"access_token":"t","expires_in":3599,"token_type":"Bearer"}', expected: { ok: true, token: { accessToken: 't', expiresInS: 3599 }, tokenType: 'Bearer' } },
    { case: 'a lifetime sent as text', status: 200, text: '{"access_token":"t","expires_in":"3599"}', expected: { ok: true, token: { accessToken: 't', expiresInS: 3599 }, tokenType: undefined } },
    { case: 'a refusal with its reason', status: 400, text: '{"error":"invalid_grant","error_description":"Invalid JWT Signature."}', expected: { ok: false, problem: 'refused', error: 'invalid_grant', description: 'Invalid JWT Signature.' } },
    { case: 'a refusal that is not JSON', status: 503, text: '<html>down</html>', expected: { ok: false, problem: 'refused', error: undefined, description: undefined, body: undefined } },
    { case: 'a 200 that is not JSON', status: 200, text: 'ok', expected: { ok: false, problem: 'refused', error: undefined, description: undefined, body: undefined } },
    { case: 'a 200 without a token', status: 200, text: '{"token_type":"Bearer"}', expected: { ok: false, problem: 'no token' } },
    { case: 'a 200 with no lifetime', status: 200, text: '{"access_token":"t"}', expected: { ok: false, problem: 'no token' } },
    { case: 'a 200 with a lifetime of zero', status: 200, text: '{"access_token":"t","expires_in":0}', expected: { ok: false, problem: 'no token' } },
  ])('reads $case', ({ status, text, expected }) => {
    expect(readOAuthTokenAnswer(status, text)).toMatchObject(expected);
  });
});
