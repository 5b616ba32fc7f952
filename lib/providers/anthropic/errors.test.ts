import { errorFromAnthropicEvent, errorFromAnthropicUpstream } from './errors';

const body = (type: string, message: string) => JSON.stringify({ type: 'error', error: { type, message }, request_id: 'req_1' });

describe('errorFromAnthropicUpstream', () => {
  it.each([
    { status: 400, text: body('invalid_request_error', 'prompt is too long'), expected: { kind: 'invalid_request', status: 400, code: 'invalid_request_error', message: 'prompt is too long' } },
    { status: 404, text: body('not_found_error', 'model: x'), expected: { kind: 'upstream_error', status: 502, code: 'upstream_failed_precondition', message: 'The upstream provider "anth" has no such model for this account (404 not_found_error).', detail: 'model: x' } },
    { status: 404, text: body('not_found_error', 'Not found'), expected: { kind: 'not_found', status: 404, message: 'Not found' } },
    { status: 413, text: body('request_too_large', 'too big'), expected: { kind: 'request_too_large', status: 413 } },
    { status: 429, text: body('rate_limit_error', 'slow down'), expected: { kind: 'rate_limit', status: 429, headers: { 'retry-after': '7' } } },
    { status: 500, text: body('api_error', 'Internal server error'), expected: { kind: 'upstream_error', status: 500 } },
    { status: 529, text: body('overloaded_error', 'Overloaded'), expected: { kind: 'overloaded', status: 503, code: 'overloaded_error', message: 'Overloaded' } },
    { status: 401, text: body('authentication_error', 'invalid x-api-key'), expected: { kind: 'upstream_error', status: 502, code: 'upstream_auth_failed' } },
    { status: 403, text: body('permission_error', 'no'), expected: { kind: 'upstream_error', status: 502, code: 'upstream_auth_failed' } },
    { status: 502, text: '<html>Bad Gateway</html>', expected: { kind: 'upstream_error', status: 502, message: 'The upstream provider "anth" answered 502.' } },
  ])('turns a $status answer into the client error', ({ status, text, expected }) => {
    // Act
    const error = errorFromAnthropicUpstream(status, { 'retry-after': '7' }, text, 'anth');

    // Assess
    expect(error).toMatchObject(expected);
  });

  it('names the provider when its credentials are refused, and keeps its message for the log only', () => {
    // Act
    const error = errorFromAnthropicUpstream(401, {}, body('authentication_error', 'invalid x-api-key'), 'anth');

    // Assess
    expect(error.message).toBe('The upstream provider "anth" rejected the gateway\'s credentials (401).');
    expect(error.detail).toBe('invalid x-api-key');
  });
});

describe('errorFromAnthropicEvent', () => {
  it.each([
    { type: 'overloaded_error', expected: { kind: 'overloaded', status: 503 } },
    { type: 'rate_limit_error', expected: { kind: 'rate_limit', status: 429 } },
    { type: 'api_error', expected: { kind: 'upstream_error', status: 502 } },
    { type: 'invalid_request_error', expected: { kind: 'invalid_request', status: 400 } },
    { type: 'something_new', expected: { kind: 'upstream_error', status: 502 } },
  ])('turns a mid-stream $type into a $expected.status', ({ type, expected }) => {
    expect(errorFromAnthropicEvent(body(type, 'boom'))).toMatchObject({ ...expected, message: 'boom', code: type });
  });

  it.each(['authentication_error', 'permission_error'])('keeps the words of a mid-stream %s for the log only, as the answer before the 200 does', (type) => {
    // Act
    const error = errorFromAnthropicEvent(body(type, 'invalid x-api-key sk-ant-…XyZ'), 'anth');

    // Assess
    expect(error).toMatchObject({ kind: 'upstream_error', status: 502, code: 'upstream_auth_failed', detail: 'invalid x-api-key sk-ant-…XyZ' });
    expect(error.message).not.toContain('x-api-key');
    expect(error.message).toContain('"anth"');
  });
});

describe('the operator\'s organisation in Anthropic\'s words', () => {
  const said = "This request would exceed your organization's rate limit of 30,000 input tokens per minute (org: 80162711-722b-4454-ae75-c6334e6796f2, model: claude-opus-4-6).";

  it('is kept from the client and given to the log, before the stream and inside it alike', () => {
    // Act
    const before = errorFromAnthropicUpstream(429, {}, JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: said } }), 'anth');
    const inside = errorFromAnthropicEvent(JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: said } }), 'anth');

    // Assess
    for (const error of [before, inside]) {
      expect(error.message).toBe(said.replace('80162711-722b-4454-ae75-c6334e6796f2', 'the provider account'));
      expect(error.detail).toBe(said);
      expect(error.status).toBe(429);
    }
  });
});
