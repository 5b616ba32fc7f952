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
});
