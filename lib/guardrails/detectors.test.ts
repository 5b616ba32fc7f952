import { DETECTOR_NAMES, DETECTORS, JWT_HEADER_MAX, RECOGNISED_WITHIN, type DetectorName } from './detectors';
import { FAKE, fakeChars, fakePem } from './fake-tokens';
import { Guardrails } from './scan';

/** What one built-in rule, redacting, leaves of `text` sent as a user message's content. */
function redacted(detector: DetectorName, text: string): string {
  const guardrails = Guardrails.from({ rules: [{ detect: detector, action: 'redact' }] })!;
  const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: text }] });
  const screened = guardrails.screen(Buffer.from(body));
  if (!screened) return text;
  return (JSON.parse(Buffer.from(screened.body).toString()) as { messages: { content: string }[] }).messages[0]!.content;
}

const base64Image = Buffer.from(Array.from({ length: 3_000 }, (_, i) => (i * 7919) % 256)).toString('base64');
const thinkingSignature = `EqQBCkgIBRABGAIiQ${fakeChars(400, 99, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')}`;

const TRUE_POSITIVES: { detector: DetectorName; case: string; text: string; secret: string }[] = [
  { detector: 'aws-access-key', case: 'a long-term key id in an .env file', text: `AWS_ACCESS_KEY_ID=${FAKE.awsKeyId}\nAWS_REGION=eu-west-1`, secret: FAKE.awsKeyId },
  { detector: 'aws-access-key', case: 'a temporary key id in JSON', text: `{"AccessKeyId": "${FAKE.awsTempKeyId}"}`, secret: FAKE.awsTempKeyId },
  { detector: 'aws-access-key', case: 'a key id at the start of a line', text: `keys:\n${FAKE.awsKeyId}`, secret: FAKE.awsKeyId },
  { detector: 'aws-secret-key', case: 'an .env assignment', text: `AWS_SECRET_ACCESS_KEY=${FAKE.awsSecret}\n`, secret: FAKE.awsSecret },
  { detector: 'aws-secret-key', case: 'a credentials file', text: `[default]\naws_secret_access_key = ${FAKE.awsSecret}`, secret: FAKE.awsSecret },
  { detector: 'aws-secret-key', case: 'a quoted JSON field', text: `{"SecretAccessKey": "${FAKE.awsSecret}"}`, secret: FAKE.awsSecret },
  { detector: 'aws-secret-key', case: 'a YAML field', text: `aws_secret_key: '${FAKE.awsSecret}'`, secret: FAKE.awsSecret },
  { detector: 'private-key', case: 'an RSA block', text: `key:\n${fakePem('RSA ')}\n`, secret: fakePem('RSA ') },
  { detector: 'private-key', case: 'an EC block', text: fakePem('EC ', 40), secret: fakePem('EC ', 40) },
  { detector: 'private-key', case: 'an OpenSSH block', text: `cat ~/.ssh/id_ed25519\n${fakePem('OPENSSH ', 50)}`, secret: fakePem('OPENSSH ', 50) },
  { detector: 'private-key', case: 'a PKCS#8 block', text: fakePem('', 60), secret: fakePem('', 60) },
  { detector: 'private-key', case: 'a block cut before its footer', text: `${fakePem('RSA ').split('-----END')[0]!.trimEnd()}`, secret: fakePem('RSA ').split('-----END')[0]!.trimEnd() },
  { detector: 'github-token', case: 'a classic personal token', text: `export GITHUB_TOKEN=${FAKE.githubClassic}`, secret: FAKE.githubClassic },
  { detector: 'github-token', case: 'an OAuth token', text: `token: ${FAKE.githubOAuth}`, secret: FAKE.githubOAuth },
  { detector: 'github-token', case: 'a fine-grained token', text: `git remote add origin https://${FAKE.githubFineGrained}@github.com/o/r`, secret: FAKE.githubFineGrained },
  { detector: 'openai-key', case: 'a legacy key', text: `OPENAI_API_KEY=${FAKE.openaiLegacy}`, secret: FAKE.openaiLegacy },
  { detector: 'openai-key', case: 'a project key', text: `OPENAI_API_KEY="${FAKE.openaiProject}"`, secret: FAKE.openaiProject },
  { detector: 'openai-key', case: 'a project key without the marker', text: `key=${FAKE.openaiProjectShort}`, secret: FAKE.openaiProjectShort },
  { detector: 'anthropic-key', case: 'an API key', text: `ANTHROPIC_API_KEY=${FAKE.anthropic}`, secret: FAKE.anthropic },
  { detector: 'anthropic-key', case: 'an OAuth token', text: `"accessToken": "${FAKE.anthropicOAuth}"`, secret: FAKE.anthropicOAuth },
  { detector: 'google-api-key', case: 'an API key', text: `GEMINI_API_KEY=${FAKE.google}`, secret: FAKE.google },
  { detector: 'slack-token', case: 'a bot token', text: `SLACK_BOT_TOKEN=${FAKE.slackBot}`, secret: FAKE.slackBot },
  { detector: 'slack-token', case: 'a user token', text: `token ${FAKE.slackUser}.`, secret: FAKE.slackUser },
  { detector: 'stripe-key', case: 'a live secret key', text: `STRIPE_KEY=${FAKE.stripeLive}`, secret: FAKE.stripeLive },
  { detector: 'stripe-key', case: 'a live restricted key', text: `${FAKE.stripeRestricted}`, secret: FAKE.stripeRestricted },
  { detector: 'jwt', case: 'a bearer token', text: `Authorization: Bearer ${FAKE.jwt}`, secret: FAKE.jwt },
  { detector: 'gateway-key', case: 'a key of this gateway', text: `export OPENAI_API_KEY=${FAKE.gatewayKey}`, secret: FAKE.gatewayKey },
];

const NEAR_MISSES: { detector: DetectorName; case: string; text: string }[] = [
  { detector: 'aws-access-key', case: 'the word AKIA in prose', text: 'Long-term key ids start with AKIA and temporary ones with ASIA.' },
  { detector: 'aws-access-key', case: 'a key id shape inside base64', text: `data:image/png;base64,iVBOR${FAKE.awsKeyId}w0KGgo` },
  { detector: 'aws-access-key', case: 'lower-case letters', text: `AKIA${fakeChars(16, 5).toLowerCase()}` },
  { detector: 'aws-access-key', case: 'one character short', text: FAKE.awsKeyId.slice(0, 19) },
  { detector: 'aws-secret-key', case: '40 base64 characters with no name', text: `checksum ${FAKE.awsSecret}` },
  { detector: 'aws-secret-key', case: 'a SHA-1 hash in a git log', text: 'commit 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12\nAuthor: a' },
  { detector: 'aws-secret-key', case: 'the name in prose', text: 'Set aws_secret_access_key in ~/.aws/credentials.' },
  { detector: 'private-key', case: 'a public key', text: `-----BEGIN PUBLIC KEY-----\n${fakeChars(64, 1)}\n-----END PUBLIC KEY-----` },
  { detector: 'private-key', case: 'a certificate', text: `-----BEGIN CERTIFICATE-----\n${fakeChars(64, 2)}\n-----END CERTIFICATE-----` },
  { detector: 'private-key', case: 'the header named in code', text: "if (pem.startsWith('-----BEGIN RSA PRIVATE KEY-----')) {" },
  { detector: 'github-token', case: 'a short token-like name', text: 'const ghp_prefix = "ghp_";' },
  { detector: 'github-token', case: 'a SHA-256 hash', text: 'sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08' },
  { detector: 'openai-key', case: 'sk- in prose', text: 'Keys look like sk-... and project keys like sk-proj-...; scikit-learn is sk-learn.' },
  { detector: 'openai-key', case: 'this gateway\'s key', text: FAKE.gatewayKey },
  { detector: 'openai-key', case: 'an Anthropic key', text: FAKE.anthropic },
  { detector: 'openai-key', case: 'a short placeholder project key', text: 'sk-proj-account-key' },
  { detector: 'anthropic-key', case: 'a short placeholder', text: 'ANTHROPIC_API_KEY=sk-ant-api03-xxxx' },
  { detector: 'google-api-key', case: 'AIza too short', text: `AIza${fakeChars(20, 3)}` },
  { detector: 'google-api-key', case: 'AIza inside base64', text: `${base64Image.slice(0, 100)}AIza${fakeChars(35, 15)}${base64Image.slice(0, 10)}` },
  { detector: 'slack-token', case: 'xoxb in prose', text: 'Bot tokens start with xoxb- and user tokens with xoxp-.' },
  { detector: 'stripe-key', case: 'a test key', text: `sk_test_${fakeChars(24, 4)}` },
  { detector: 'jwt', case: 'a JWT header alone', text: 'eyJhbGciOiJIUzI1NiJ9' },
  { detector: 'gateway-key', case: 'a display prefix', text: 'key sk-gw-AbC123 (prefix)' },
];

/** Text that none of the built-ins may match. */
const CLEAN: { case: string; text: string }[] = [
  { case: 'base64 image data', text: base64Image },
  { case: 'a thinking signature', text: thinkingSignature },
  { case: 'UUIDs', text: '550e8400-e29b-41d4-a716-446655440000 6ba7b810-9dad-11d1-80b4-00c04fd430c8' },
  { case: 'hashes', text: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 d41d8cd98f00b204e9800998ecf8427e' },
  { case: 'a git object id and a package-lock integrity', text: 'sha512-PkQ6xg7rvMVnfP1gZZ+1MHfw/Iq3XqRzQQ7ASAdtDUtjw0aGmJK8Y97KNObJDDY0R6DKrVY7IC0dq8C9U6DkbA==' },
  { case: 'prose about keys', text: 'Never commit AKIA keys, sk- keys, ghp_ tokens, or a -----BEGIN PRIVATE KEY----- block.' },
];

describe('built-in detectors', () => {
  it.each(TRUE_POSITIVES)('$detector finds $case', ({ detector, text, secret }) => {
    expect(redacted(detector, text)).toBe(text.split(secret).join(`[REDACTED:${detector}]`));
  });

  it.each(NEAR_MISSES)('$detector leaves $case alone', ({ detector, text }) => {
    expect(redacted(detector, text)).toBe(text);
  });

  it.each(CLEAN)('no built-in matches $case', ({ text }) => {
    for (const detector of DETECTOR_NAMES) expect(redacted(detector, text)).toBe(text);
  });

  it('finds a PEM block whose line breaks are escaped twice (a file inside tool call arguments)', () => {
    // Prepare: the block as a JSON string inside a JSON string.
    const args = JSON.stringify({ path: 'id_rsa', content: fakePem('RSA ') });
    // Act
    const sent = redacted('private-key', args);
    // Assess: the whole block, escapes and all, and the arguments still JSON.
    expect(JSON.parse(sent)).toEqual({ path: 'id_rsa', content: '[REDACTED:private-key]' });
  });
});

describe('built-in detectors on bodies whose JSON escapes every non-ASCII character', () => {
  // Python's json.dumps does by default (ensure_ascii): "“" is written `\u201c`, and a token right after it follows a hex digit.
  const asPythonWrites = (body: unknown) => JSON.stringify(body).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const CASES: { detector: DetectorName; case: string; text: string; secret: string }[] = [
    { detector: 'github-token', case: 'a token in curly quotes', text: `use “${FAKE.githubClassic}” here`, secret: FAKE.githubClassic },
    { detector: 'aws-access-key', case: 'a key id right after CJK text', text: `密钥${FAKE.awsKeyId}`, secret: FAKE.awsKeyId },
    { detector: 'anthropic-key', case: 'a key after an arrow', text: `key→${FAKE.anthropic}`, secret: FAKE.anthropic },
    { detector: 'private-key', case: 'a PEM block after an emoji', text: `🔑${fakePem('RSA ')}`, secret: fakePem('RSA ') },
    { detector: 'slack-token', case: 'a token after a form feed', text: `\f${FAKE.slackBot}`, secret: FAKE.slackBot },
  ];

  it.each(CASES)('$detector: finds $case', ({ detector, text, secret }) => {
    const guardrails = Guardrails.from({ rules: [{ detect: detector, action: 'redact' }] })!;
    const screened = guardrails.screen(Buffer.from(asPythonWrites({ messages: [{ role: 'user', content: text }] })));
    expect(screened?.hits).toEqual([{ rule: detector, action: 'redact', count: 1 }]);
    expect(JSON.parse(Buffer.from(screened!.body).toString())).toEqual({ messages: [{ role: 'user', content: text.replace(secret, `[REDACTED:${detector}]`) }] });
  });
});

describe('aws-secret-key with tabs around the assignment', () => {
  it('finds the secret in a credentials file aligned with tabs (each a `\\t` in the JSON text)', () => {
    expect(redacted('aws-secret-key', `aws_secret_access_key\t=\t${FAKE.awsSecret}`)).toBe('aws_secret_access_key\t=\t[REDACTED:aws-secret-key]');
  });
});

describe('how soon a stream can know a match (each detector, for the stream window)', () => {
  /** The text as a JSON string's text (what the patterns read), and where the secret starts in it. */
  const asText = (text: string, secret: string) => {
    const inner = JSON.stringify(text).slice(1, -1);
    return { inner, at: inner.indexOf(JSON.stringify(secret).slice(1, -1)) };
  };
  const redacting = (detector: DetectorName) => Guardrails.from({ rules: [{ detect: detector, action: 'redact' }] }, 'request')!;
  const withoutOpening = TRUE_POSITIVES.filter(({ detector }) => !DETECTORS[detector].opening);
  const withOpening = TRUE_POSITIVES.filter(({ detector }) => DETECTORS[detector].opening);

  it.each(withoutOpening)(`$detector knows $case within ${RECOGNISED_WITHIN} bytes of its start (the least window holds it)`, ({ detector, text, secret }) => {
    const guardrails = redacting(detector);
    const { inner, at } = asText(text, secret);
    let known: number | undefined;
    for (let length = 1; at + length <= inner.length && known === undefined; length++) {
      if (guardrails.matchesInString(Buffer.from(inner.slice(0, at + length))).some((m) => m.start === at)) known = length;
    }
    expect(known).toBeDefined();
    expect(known!).toBeLessThanOrEqual(RECOGNISED_WITHIN);
  });

  it('gives an opening to exactly the detectors that may be known only later (a JWT, a legacy OpenAI key)', () => {
    expect(DETECTOR_NAMES.filter((name) => DETECTORS[name].opening)).toEqual(['openai-key', 'jwt']);
  });

  it.each(withOpening)('$detector: every prefix of $case, from its literal on, is an open candidate where it starts', ({ detector, text, secret }) => {
    const guardrails = redacting(detector);
    const { inner, at } = asText(text, secret);
    // Both literals, `eyJ` and `sk-`, are three characters: a shorter prefix is held by the window anyway.
    const literal = 3;
    const escapedLength = JSON.stringify(secret).length - 2;
    for (let length = literal; length <= escapedLength; length++) {
      const prefix = Buffer.from(inner.slice(0, at + length));
      expect([length, guardrails.openingIn(prefix, 0, prefix.length)?.start]).toEqual([length, at]);
    }
  });

  it.each([
    { detector: 'jwt' as const, case: 'a JWT header alone, then a space', text: 'eyJhbGciOiJIUzI1NiJ9 and on' },
    { detector: 'jwt' as const, case: '`eyJ` inside a longer run (base64 data)', text: `iVBORw0KeyJ${fakeChars(300, 3)}` },
    { detector: 'jwt' as const, case: 'two parts, then a dot and something that is not `eyJ`', text: `eyJhbGciOi.abc${fakeChars(300, 4)}` },
    { detector: 'jwt' as const, case: 'base64url of JSON longer than any JWT header, without a dot', text: `data: ${Buffer.from(JSON.stringify({ rows: fakeChars(JWT_HEADER_MAX, 5) })).toString('base64url')}` },
    { detector: 'openai-key' as const, case: 'sk- then prose', text: 'keys look like sk-abc, and more' },
    { detector: 'openai-key' as const, case: 'scikit-learn in prose', text: 'install sk-learn' + ' '.repeat(3) },
  ])('$detector: no candidate is open at the end of $case', ({ detector, text }) => {
    const inner = Buffer.from(JSON.stringify(text).slice(1, -1));
    expect(redacting(detector).openingIn(inner, 0, inner.length)).toBeUndefined();
  });

  it('rules a candidate out by the bytes between `before` and the end, and finds none starting at or after `before`', () => {
    const guardrails = redacting('jwt');
    const inner = Buffer.from(`see ${FAKE.jwt.slice(0, 60)}`);
    expect(guardrails.openingIn(inner, 0, 10)).toMatchObject({ start: 4, rules: [{ rule: 'jwt', action: 'redact' }] });
    // The candidate starts at 4: none starts before 4.
    expect(guardrails.openingIn(inner, 0, 4)).toBeUndefined();
    // Nor from 5 on (the run's `eyJ` is then behind `from`: held or gone already).
    expect(guardrails.openingIn(inner, 5, 40)).toBeUndefined();
    expect(guardrails.openingIn(Buffer.from(`${FAKE.jwt.slice(0, 60)} x`), 0, 10)).toBeUndefined();
  });
});

describe('jwt: a header part at most JWT_HEADER_MAX characters long', () => {
  const guardrails = Guardrails.from({ rules: [{ detect: 'jwt', action: 'redact' }] }, 'request')!;
  /** A JWT whose header part is `length` characters, `eyJ` included. */
  const jwtWithHeader = (length: number) => `eyJ${fakeChars(length - 3, 6)}.eyJ${fakeChars(40, 7)}.${fakeChars(43, 8)}`;

  it('finds a JWT whose header is as long as the bound (an x5c certificate chain), and holds it open as it comes', () => {
    const jwt = jwtWithHeader(JWT_HEADER_MAX);
    expect(redacted('jwt', `token ${jwt} here`)).toBe('token [REDACTED:jwt] here');
    const header = Buffer.from(`token ${jwt.slice(0, JWT_HEADER_MAX)}`);
    expect(guardrails.openingIn(header, 0, header.length)?.start).toBe(6);
  });

  it('takes a run one character longer for no JWT, and holds it open no longer', () => {
    const jwt = jwtWithHeader(JWT_HEADER_MAX + 1);
    expect(redacted('jwt', `token ${jwt} here`)).toBe(`token ${jwt} here`);
    const header = Buffer.from(`token ${jwt.slice(0, JWT_HEADER_MAX + 1)}`);
    expect(guardrails.openingIn(header, 0, header.length)).toBeUndefined();
  });
});
