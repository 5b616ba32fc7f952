import { bareErrorType, errorFromBedrock, errorFromClaudeChunk, errorFromExceptionFrame, errorOfFailureFrame, withoutAwsAccount } from './errors';

const typeHeader = (type: string) => ({ 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` });

describe('errorFromBedrock', () => {
  it.each([
    { type: 'ThrottlingException', status: 429, expected: { kind: 'rate_limit', status: 429, code: 'rate_limit_exceeded' } },
    { type: 'ServiceQuotaExceededException', status: 400, expected: { kind: 'rate_limit', status: 429, code: 'service_quota_exceeded' } },
    { type: 'ValidationException', status: 400, expected: { kind: 'invalid_request', status: 400, code: 'validation_exception' } },
    { type: 'AccessDeniedException', status: 403, expected: { kind: 'upstream_error', status: 502, code: 'upstream_auth_failed' } },
    { type: 'UnrecognizedClientException', status: 403, expected: { kind: 'upstream_error', status: 502, code: 'upstream_auth_failed' } },
    { type: 'ExpiredTokenException', status: 403, expected: { kind: 'upstream_error', status: 502, code: 'upstream_auth_failed' } },
    { type: 'InvalidSignatureException', status: 403, expected: { kind: 'upstream_error', status: 502, code: 'upstream_auth_failed' } },
    { type: 'ResourceNotFoundException', status: 404, expected: { kind: 'upstream_error', status: 502, code: 'upstream_failed_precondition' } },
    { type: 'ModelTimeoutException', status: 408, expected: { kind: 'upstream_timeout', status: 504 } },
    { type: 'ServiceUnavailableException', status: 503, expected: { kind: 'overloaded', status: 503 } },
    { type: 'ModelNotReadyException', status: 429, expected: { kind: 'overloaded', status: 503 } },
    { type: 'InternalServerException', status: 500, expected: { kind: 'upstream_error', status: 500 } },
    { type: 'ModelErrorException', status: 424, expected: { kind: 'upstream_error', status: 502 } },
    { type: 'BadGatewayException', status: 502, expected: { kind: 'upstream_error', status: 502, code: 'bad_gateway_exception' } },
    { type: 'DependencyFailedException', status: 424, expected: { kind: 'upstream_error', status: 502, code: 'dependency_failed_exception' } },
  ])('maps $type ($status) to $expected.kind with status $expected.status', ({ type, status, expected }) => {
    // Act
    const err = errorFromBedrock(status, typeHeader(type), JSON.stringify({ message: 'upstream says no' }), 'bedrock-main');

    // Assess
    expect(err).toMatchObject(expected);
    // AWS's words about the gateway's own credentials name its principal: they are the log's, not the client's.
    if (expected.code === 'upstream_auth_failed') {
      expect(err.message).not.toContain('upstream says no');
      expect(err.detail).toBe('upstream says no');
    } else expect(err.message).toContain('upstream says no');
  });

  it.each([
    { type: 'ResourceNotFoundException', status: 404, message: 'Could not resolve the foundation model from the provided model identifier arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123.', shown: 'Could not resolve the foundation model from the provided model identifier arn:aws:bedrock:…:application-inference-profile/….' },
    { type: 'ValidationException', status: 400, message: "The guardrail 'arn:aws:bedrock:eu-west-1:123456789012:guardrail/gr1' version 3 does not exist.", shown: "The guardrail 'arn:aws:bedrock:…:guardrail/…' version 3 does not exist." },
  ])('keeps the ARN in a $type message for the log, and the rest of the words for the client', ({ type, status, message, shown }) => {
    // Act
    const err = errorFromBedrock(status, typeHeader(type), JSON.stringify({ message }), 'bedrock-main');

    // Assess: an ARN names the operator's AWS account and resources.
    expect(err.message).not.toContain('123456789012');
    expect(err.message).not.toMatch(/abc123|gr1/);
    expect(err.message).toBe(shown);
    expect(err.detail).toBe(message);
  });

  it('keeps the ARN of a mid-stream exception frame for the log', () => {
    // Act
    const err = errorFromExceptionFrame('validationException', JSON.stringify({ message: 'Input is too long for arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.x' }), 'b');

    // Assess
    expect(err.message).toBe('Input is too long for arn:aws:bedrock:…:inference-profile/…');
    expect(err.detail).toContain('123456789012');
  });

  it('reads the type from the body when the header is missing', () => {
    // Act
    const err = errorFromBedrock(400, {}, JSON.stringify({ __type: 'com.amazon.coral.validate#ValidationException', Message: 'bad' }), 'b');

    // Assess
    expect(err).toMatchObject({ kind: 'invalid_request', status: 400, message: 'bad' });
  });

  it('falls back on the status for an unknown type and a body that is not JSON', () => {
    // Act
    const err = errorFromBedrock(502, {}, '<html>Bad gateway</html>', 'bedrock-main');

    // Assess
    expect(err).toMatchObject({ kind: 'upstream_error', status: 502, message: 'The upstream provider "bedrock-main" answered 502.' });
  });

  it('keeps a retry-after the upstream sent', () => {
    // Act
    const err = errorFromBedrock(429, { ...typeHeader('ThrottlingException'), 'retry-after': '3' }, '{"message":"slow down"}', 'b');

    // Assess
    expect(err.headers).toEqual({ 'retry-after': '3' });
  });
});

describe('errorFromExceptionFrame', () => {
  it.each([
    { type: 'throttlingException', expected: { kind: 'rate_limit', status: 429 } },
    { type: 'validationException', expected: { kind: 'invalid_request', status: 400 } },
    { type: 'modelStreamErrorException', expected: { kind: 'upstream_error', status: 502 } },
    { type: 'internalServerException', expected: { kind: 'upstream_error', status: 500 } },
    { type: 'serviceUnavailableException', expected: { kind: 'overloaded', status: 503 } },
    { type: undefined, expected: { kind: 'upstream_error', status: 502 } },
    { type: 'throttlingException:http://internal.amazon.com/coral/com.amazon.bedrock/', expected: { kind: 'rate_limit', status: 429, code: 'rate_limit_exceeded' } },
    { type: 'com.amazon.coral.service#modelNotReadyException', expected: { kind: 'overloaded', status: 503 } },
  ])('maps the camelCase exception $type to status $expected.status', ({ type, expected }) => {
    // Act & Assess
    expect(errorFromExceptionFrame(type, '{"message":"mid-stream"}', 'b')).toMatchObject({ ...expected, message: 'mid-stream' });
  });

  it.each([
    { type: 'throttlingException', payload: '', message: 'The upstream provider "b" failed mid-stream (throttlingException).' },
    { type: 'throttlingException:http://internal.amazon.com/coral/com.amazon.bedrock/', payload: '{}', message: 'The upstream provider "b" failed mid-stream (throttlingException).' },
    { type: 'com.amazon.coral.service#modelStreamErrorException', payload: 'not json', message: 'The upstream provider "b" failed mid-stream (modelStreamErrorException).' },
    { type: undefined, payload: '{"message":""}', message: 'The upstream provider "b" failed mid-stream (unknown exception).' },
  ])('names a wordless frame’s exception by its bare type ($type)', ({ type, payload, message }) => {
    // Act & Assess: AWS's service namespace and URL are no part of the failure's name.
    expect(errorFromExceptionFrame(type, payload, 'b').message).toBe(message);
  });
});

describe('errorOfFailureFrame', () => {
  const frame = (headers: Record<string, string>, body = '') => ({ headers, body: Buffer.from(body) });

  it.each([
    { name: 'an exception frame', frame: frame({ ':message-type': 'exception', ':exception-type': 'throttlingException' }, '{"message":"Slow down"}'), expected: { kind: 'rate_limit', code: 'rate_limit_exceeded', message: 'Slow down' } },
    { name: 'an error frame', frame: frame({ ':message-type': 'error', ':error-code': 'ServiceUnavailableException', ':error-message': 'Busy' }), expected: { kind: 'overloaded', status: 503, message: 'Busy' } },
    { name: 'an error frame without words', frame: frame({ ':message-type': 'error', ':error-code': 'InternalServerException' }), expected: { status: 500, message: 'The upstream provider "b" failed mid-stream (InternalServerException).' } },
    { name: 'a credentials exception', frame: frame({ ':message-type': 'exception', ':exception-type': 'accessDeniedException' }, '{"message":"User: arn:aws:sts::444455556666:assumed-role/r/s is not authorized"}'), expected: { code: 'upstream_auth_failed', message: 'The upstream provider "b" rejected the gateway\'s AWS credentials (accessDeniedException).' } },
  ])('reads $name as the failure it reports', ({ frame, expected }) => {
    // Act & Assess
    expect(errorOfFailureFrame(frame, 'b')).toMatchObject(expected);
  });

  it.each([
    { name: 'an event', frame: frame({ ':message-type': 'event', ':event-type': 'chunk' }, '{}') },
    { name: 'a frame of a type Bedrock may add', frame: frame({ ':message-type': 'notice' }) },
  ])('reads $name as no failure', ({ frame }) => {
    // Act & Assess
    expect(errorOfFailureFrame(frame, 'b')).toBeUndefined();
  });
});

describe('bareErrorType', () => {
  it.each([
    ['ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/', 'ThrottlingException'],
    ['com.amazon.coral.service#ExpiredTokenException', 'ExpiredTokenException'],
    ['ValidationException', 'ValidationException'],
    ['', undefined],
  ])('reads %j as %j', (raw, expected) => {
    // Act & Assess
    expect(bareErrorType(raw)).toBe(expected);
  });
});

describe('withoutAwsAccount', () => {
  it.each([
    // ARNs: partition, service and resource type kept; region, account and names not.
    ['an IAM role', 'Cannot assume arn:aws:iam::123456789012:role/aigw-bedrock.', 'Cannot assume arn:aws:iam:…:role/….'],
    ['an STS assumed role, as AWS words a refusal', 'User: arn:aws:sts::123456789012:assumed-role/aigw-bedrock/session-1 is not authorized to perform: bedrock:InvokeModel', 'User: arn:aws:sts:…:assumed-role/… is not authorized to perform: bedrock:InvokeModel'],
    ['a foundation model (no account)', 'on resource: arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0', 'on resource: arn:aws:bedrock:…:foundation-model/…'],
    ['an inference profile, the full stop after it kept', 'Invalid model arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5.', 'Invalid model arn:aws:bedrock:…:inference-profile/….'],
    ['an application inference profile in quotes', "Profile 'arn:aws:bedrock:eu-west-1:123456789012:application-inference-profile/a1b2c3' not found", "Profile 'arn:aws:bedrock:…:application-inference-profile/…' not found"],
    ['a provisioned model in brackets', 'Throughput exceeded (arn:aws:bedrock:us-west-2:123456789012:provisioned-model/pm0abc).', 'Throughput exceeded (arn:aws:bedrock:…:provisioned-model/…).'],
    ['a GovCloud role', 'User: arn:aws-us-gov:sts::123456789012:assumed-role/ops/s is not authorized', 'User: arn:aws-us-gov:sts:…:assumed-role/… is not authorized'],
    ['a China-partition inference profile', 'Unknown arn:aws-cn:bedrock:cn-north-1:123456789012:inference-profile/x', 'Unknown arn:aws-cn:bedrock:…:inference-profile/…'],
    ['an ARN whose resource has no type', 'Bucket arn:aws:s3:::aigw-logs is denied', 'Bucket arn:aws:s3:… is denied'],
    ['two ARNs in one sentence', 'User: arn:aws:sts::123456789012:assumed-role/r/s cannot use arn:aws:bedrock:us-east-1:123456789012:guardrail/gr1', 'User: arn:aws:sts:…:assumed-role/… cannot use arn:aws:bedrock:…:guardrail/…'],
    // Bare account ids, by the word that names them.
    ['after "account"', 'The provisioned model is not available for account 123456789012 in this Region.', 'The provisioned model is not available for account <account> in this Region.'],
    ['after "Account:"', 'Request denied. Account: 123456789012.', 'Request denied. Account: <account>.'],
    ['after "AWS account ID" in quotes', "Marketplace subscription is pending for AWS account ID '123456789012'.", "Marketplace subscription is pending for AWS account ID '<account>'."],
    ['after "accountId="', 'Model access denied (accountId=123456789012).', 'Model access denied (accountId=<account>).'],
    ['after "owner"', 'The custom model belongs to owner 123456789012 and is not shared.', 'The custom model belongs to owner <account> and is not shared.'],
    ['an ARN and a bare id together', 'arn:aws:iam::123456789012:role/x in account 123456789012 used 2048 tokens', 'arn:aws:iam:…:role/… in account <account> used 2048 tokens'],
  ])('hides %s', (_case, message, shown) => {
    // Act
    const out = withoutAwsAccount(message);

    // Assess
    expect(out).toBe(shown);
    expect(out).not.toContain('123456789012');
  });

  it.each([
    ['a token count', 'Input is too long: 123456789012 tokens requested, account limit 200000.'],
    ['a longer number after "account"', 'account 1234567890123 is not a valid id'],
    ['a shorter number after "account"', 'This account has 10 model units; account 12345 requested.'],
    ['a twelve-digit number after another word', 'Request 123456789012 failed.'],
    ['a dashed number', 'account 123456789012-4 requested'],
    ['a status code and a quota', 'Too many requests (429): 40000 tokens per minute for this account.'],
    ['a word that only holds "arn"', 'Learn: warnings about arn-like text stay.'],
    ['a timestamp in ms after "account"', 'account 1732771200000 was throttled at 1732771200000'],
    ['a twelve-digit count after "account" and another word', 'This account has sent 123456789012 tokens today.'],
    ['a request id (a UUID) near "account"', 'Request 0f8fad5b-d9cb-469f-a165-70867728950e for this account failed.'],
  ])('leaves %s alone', (_case, message) => {
    expect(withoutAwsAccount(message)).toBe(message);
  });

  it.each([
    ['an STS assumed role', 'User: arn:aws:sts::123456789012:assumed-role/aigw/s is not authorized'],
    ['an inference profile with its full stop', 'Invalid model arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.x.'],
    ['an ARN whose resource has no type', 'Bucket arn:aws:s3:::aigw-logs is denied'],
    ['an ISO-B partition ARN', 'Unknown arn:aws-iso-b:bedrock:us-isob-east-1:123456789012:inference-profile/x'],
    ['a European sovereign cloud ARN', 'Unknown arn:aws-eusc:bedrock:eusc-de-east-1:123456789012:inference-profile/x'],
    ['a bare account id', 'Denied for AWS account ID: 123456789012.'],
  ])('cleans %s once for all: a message cleaned twice reads as cleaned once', (_case, message) => {
    // Act
    const once = withoutAwsAccount(message);

    // Assess
    expect(once).not.toContain('123456789012');
    expect(withoutAwsAccount(once)).toBe(once);
  });

  it('keeps a bare account id of an exception frame for the log, as the HTTP path does', () => {
    // Act
    const err = errorFromExceptionFrame('validationException', JSON.stringify({ message: 'The model is not enabled for account 444455556666.' }), 'b');

    // Assess
    expect(err.message).toBe('The model is not enabled for account <account>.');
    expect(err.detail).toBe('The model is not enabled for account 444455556666.');
  });
});

describe('errorFromClaudeChunk', () => {
  const event = (type: string, message: string) => JSON.stringify({ type: 'error', error: { type, message } });
  const ORG = 'd3f27ff7-9afe-4ee2-9645-76ecfc73c2b7';

  it.each<[string, string, { kind: string; status: number; code: string; message: string; detail: string | undefined }]>([
    ['an ARN', event('overloaded_error', 'Overloaded: arn:aws:bedrock:us-east-1:123456789012:inference-profile/p.'), { kind: 'overloaded', status: 503, code: 'overloaded_error', message: 'Overloaded: arn:aws:bedrock:…:inference-profile/….', detail: 'Overloaded: arn:aws:bedrock:us-east-1:123456789012:inference-profile/p.' }],
    ['a bare account id', event('rate_limit_error', 'Rate limited for account 123456789012.'), { kind: 'rate_limit', status: 429, code: 'rate_limit_error', message: 'Rate limited for account <account>.', detail: 'Rate limited for account 123456789012.' }],
    ['an organisation and an account', event('rate_limit_error', `Org (${ORG}) in account 123456789012.`), { kind: 'rate_limit', status: 429, code: 'rate_limit_error', message: 'Org (the provider account) in account <account>.', detail: `Org (${ORG}) in account 123456789012.` }],
    ['an organisation alone, as Anthropic\'s reader cleans it', event('rate_limit_error', `Org (${ORG}).`), { kind: 'rate_limit', status: 429, code: 'rate_limit_error', message: 'Org (the provider account).', detail: `Org (${ORG}).` }],
    ['nothing to hide', event('overloaded_error', 'Overloaded'), { kind: 'overloaded', status: 503, code: 'overloaded_error', message: 'Overloaded', detail: undefined }],
  ])('%s: the client reads the placeholders, the log the whole text', (_case, json, expected) => {
    // Act
    const err = errorFromClaudeChunk(json, 'aws');

    // Assess
    expect({ kind: err.kind, status: err.status, code: err.code, message: err.message, detail: err.detail }).toEqual(expected);
  });

  it("tells the gateway's refused credentials in its own words, AWS's kept for the log", () => {
    // Act
    const err = errorFromClaudeChunk(event('permission_error', 'User: arn:aws:sts::123456789012:assumed-role/r/s is not authorized'), 'aws');

    // Assess
    expect(err.message).toBe('The upstream provider "aws" rejected the gateway\'s credentials (permission_error).');
    expect(err.detail).toContain('123456789012');
  });
});

