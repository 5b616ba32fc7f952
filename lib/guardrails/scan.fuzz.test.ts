import { fuzzer } from '../../test/fuzz';
import { GuardrailsSchema } from './config';
import { FAKE, fakePem } from './fake-tokens';
import { Guardrails } from './scan';

/** The body's shape: every string one mark, so a redaction (which changes strings only) leaves it equal. */
const shape = (v: unknown): unknown => (typeof v === 'string' ? 'S' : Array.isArray(v) ? v.map(shape) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)])) : v);

describe('screening arbitrary JSON bodies (fuzz)', () => {
  it('always leaves valid JSON of the same shape, with no planted token left, and touches nothing else', () => {
    // Prepare: tokens at string edges, after escapes, inside JSON strings inside JSON strings, among quotes, backslashes, emoji and numbers;
    // and user patterns that match numbers in the structure and across strings, which must be left alone.
    const tokens = [FAKE.awsKeyId, FAKE.githubClassic, FAKE.openaiProject, FAKE.anthropic, FAKE.google, FAKE.slackBot, FAKE.stripeLive, FAKE.gatewayKey, fakePem('RSA ')];
    const planted = tokens.flatMap((t) => [t, ` ${t} `, `\n${t}\n`, `"${t}"`, `x=${t}\\`, `é👋${t}`, JSON.stringify({ text: `${t}\n` }), JSON.stringify(JSON.stringify([t]))]);
    const { random, pick, value, some } = fuzzer(41, {
      names: ['messages', 'content', 'text', 'role', 'input', 'arguments', 'parts', 'seed', 'x-note'],
      scalars: [null, 0, 123456789, -1.5e300, true, '', 'user', 'a"b', 'back\\slash', '\u0000\u001f', 'line\nbreak', '日本語', 'AKIA in prose', 'sk-', 'role":"user', ...planted],
    });
    const bodies = Array.from({ length: 1500 }, () => ({ model: 'm', messages: some(() => value(1)), seed: pick([1234567, random()]) }));
    const guardrails = Guardrails.from(
      GuardrailsSchema.parse({
        rules: [
          { detect: 'secrets', action: 'redact' },
          { id: 'digits', detect: { regex: '[0-9]{6,}' }, action: 'flag' },
          { id: 'cross', detect: { regex: 'e":"u' }, action: 'redact' },
        ],
      }),
    )!;

    // Act and assess
    let redacted = 0;
    for (const body of bodies) {
      const raw = Buffer.from(JSON.stringify(body));
      const screened = guardrails.screen(raw);
      if (!screened || Buffer.from(screened.body).equals(raw)) {
        for (const t of tokens) expect(raw.toString()).not.toContain(JSON.stringify(t).slice(1, -1).slice(0, 20));
        continue;
      }
      redacted++;
      const out = JSON.parse(Buffer.from(screened.body).toString()) as unknown;
      expect(shape(out)).toEqual(shape(body));
      const text = JSON.stringify(out);
      for (const t of tokens) expect(text).not.toContain(t.slice(0, 24));
      expect(screened.hits.find((h) => h.rule === 'cross')).toBeUndefined();
    }
    expect(redacted).toBeGreaterThan(300);
  });

  it('finds the same tokens in bodies whose encoder escaped "/" (PHP), "+" (.NET) or every non-ASCII character (Python), with keys and user patterns that match', () => {
    // Prepare: the same kinds of values, tokens also as object keys, each body written by one of the encoders.
    const tokens = [FAKE.awsKeyId, FAKE.githubClassic, FAKE.anthropic, fakePem('RSA '), fakePem('OPENSSH ', 70)];
    const planted = tokens.flatMap((t) => [t, `“${t}”`, `密钥${t}`, `\n${t}`, `x=${t}\\`, JSON.stringify({ text: `${t}\n` })]);
    const { pick, value, some } = fuzzer(43, {
      names: ['messages', 'content', 'input', 'arguments', 'a/b', 'é', FAKE.githubClassic],
      scalars: [null, 0, -1.5e300, 'a/b+c', 'café', '👋', 'back\\slash', 'line\nbreak', 'password=hunter2', 'x\npassword=hunter2', ...planted],
    });
    const encoders: ((json: string) => string)[] = [
      (json) => json.replaceAll('/', '\\/'),
      // Only in strings: a number's exponent holds a "+" too.
      (json) => json.replace(/(?<![0-9]e)\+/g, '\\u002B'),
      (json) => json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
    ];
    const guardrails = Guardrails.from(
      GuardrailsSchema.parse({
        rules: [
          { detect: 'secrets', action: 'redact' },
          { id: 'password', detect: { regex: 'password=\\S+' }, action: 'redact' },
        ],
      }),
    )!;
    // Act and assess
    let redacted = 0;
    for (let i = 0; i < 1500; i++) {
      const body = { model: 'm', messages: some(() => value(1)) };
      const raw = Buffer.from(pick(encoders)(JSON.stringify(body)));
      expect(JSON.parse(raw.toString())).toEqual(body);
      const screened = guardrails.screen(raw);
      const out = JSON.stringify(JSON.parse(Buffer.from(screened?.body ?? raw).toString()));
      if (screened) redacted++;
      for (const t of tokens) expect(out).not.toContain(t.slice(0, 24));
      expect(out).not.toContain('hunter2');
    }
    expect(redacted).toBeGreaterThan(300);
  });
});
