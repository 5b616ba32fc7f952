import { STREAMS, sseEvents } from '../../test/answer-streams';
import { newResponseFrame, responseBody, storedResponseEvents } from '../../test/fakes/openai-responses-wire';
import type { AnswerDialect } from './answer-dialects';
import { AnswerBlocked, AnswerStreamScreen } from './answer-stream';
import { GuardrailsSchema } from './config';
import { JWT_HEADER_MAX } from './detectors';
import { FAKE, fakeChars, fakePem } from './fake-tokens';
import { Guardrails } from './scan';
import { carryThinking, REDACTED_THOUGHT_SIGNATURE } from '../surfaces/gemini/carried-thinking';

const rules = (action: 'flag' | 'redact' | 'block', extra: unknown[] = []) =>
  Guardrails.from(GuardrailsSchema.parse({ on: ['response'], rules: [{ detect: 'secrets', action }, ...extra] }), 'response')!;

/** Runs a stream of `chunks` through a screen; what went out after each chunk, and at the end. */
function run(screen: AnswerStreamScreen, chunks: string[]): { outs: string[]; blocked?: AnswerBlocked } {
  const outs: string[] = [];
  try {
    for (const chunk of chunks) outs.push(Buffer.from(screen.push(Buffer.from(chunk))).toString());
    outs.push(Buffer.from(screen.end()).toString());
  } catch (err) {
    if (err instanceof AnswerBlocked) return { outs, blocked: err };
    throw err;
  }
  return { outs };
}

/** The text as screening it whole (the non-streamed path) leaves it: what a stream must send. */
function screenedWhole(guardrails: Guardrails, text: string): string {
  const raw = Buffer.from(JSON.stringify({ text }));
  const screened = guardrails.screen(raw);
  return screened ? (JSON.parse(Buffer.from(screened.body).toString()) as { text: string }).text : text;
}

const dialects = Object.keys(STREAMS) as AnswerDialect[];
const SPLIT = [`Your key is ${FAKE.awsKeyId.slice(0, 7)}`, `${FAKE.awsKeyId.slice(7)} and the token `, FAKE.githubClassic.slice(0, 20), `${FAKE.githubClassic.slice(20)}. Done.`];
const WHOLE_TEXT = SPLIT.join('');

describe('AnswerStreamScreen', () => {
  describe.each(dialects)('%s', (dialect) => {
    const shape = STREAMS[dialect];
    const sse = [...shape.start, ...SPLIT.map(shape.piece), ...shape.end];

    it('passes a flagged stream on as it came, chunk for chunk, and counts matches split across events once', () => {
      // Prepare
      const screen = new AnswerStreamScreen(rules('flag'), { dialect, hold: false, window: 512 });
      // Act
      const { outs } = run(screen, sse);
      // Assess
      expect(outs.slice(0, -1)).toEqual(sse);
      expect(screen.hits).toEqual([
        { rule: 'aws-access-key', action: 'flag', count: 1, side: 'response' },
        { rule: 'github-token', action: 'flag', count: 1, side: 'response' },
      ]);
    });

    it('redacts matches split across events before any of them goes out, keeping every other event', () => {
      const screen = new AnswerStreamScreen(rules('redact'), { dialect, hold: true, window: 512 });
      const { outs } = run(screen, sse);
      const sent = outs.join('');
      expect(sent).not.toContain(FAKE.awsKeyId.slice(0, 7) + FAKE.awsKeyId.slice(7, 9));
      expect(sent).not.toContain(FAKE.githubClassic.slice(4, 20));
      expect(shape.text(sseEvents(sent))).toBe('Your key is [REDACTED:aws-access-key] and the token [REDACTED:github-token]. Done.');
      expect(sseEvents(sent)).toHaveLength(sseEvents(sse.join('')).length);
      expect(screen.hits.map((h) => [h.rule, h.count])).toEqual([
        ['aws-access-key', 1],
        ['github-token', 1],
      ]);
    });

    it('blocks before the first byte of the match leaves, having sent what came before it', () => {
      const screen = new AnswerStreamScreen(rules('block'), { dialect, hold: true, window: 128 });
      const { outs, blocked } = run(screen, [...shape.start, ...Array.from({ length: 30 }, () => shape.piece('x'.repeat(10))), ...SPLIT.map(shape.piece)]);
      expect(blocked).toMatchObject({ rule: 'aws-access-key' });
      expect(blocked!.message).not.toContain(FAKE.awsKeyId);
      const sent = outs.join('');
      expect(sent).not.toContain('AKIA');
      // The text a window before the key had gone: the hold is bounded.
      expect(shape.text(sseEvents(sent)).length).toBeGreaterThanOrEqual(300 - 128);
    });

    it('sends an answer with no match whole, in order, with only the window held', () => {
      const screen = new AnswerStreamScreen(rules('redact'), { dialect, hold: true, window: 64 });
      const pieces = Array.from({ length: 20 }, (_, i) => `word${i} `.repeat(3));
      const stream = [...shape.start, ...pieces.map(shape.piece), ...shape.end];
      const { outs } = run(screen, stream);
      expect(outs.join('')).toBe(stream.join(''));
      // Each piece is 21 bytes: with a 64-byte window, no more than four pieces' worth waits.
      const held = outs.slice(shape.start.length, shape.start.length + pieces.length).map((o) => o.length);
      expect(held.filter((n) => n > 0).length).toBeGreaterThan(pieces.length - 6);
    });
  });

  it('takes events cut anywhere across chunks', () => {
    const shape = STREAMS.anthropic;
    const sse = [...shape.start, ...SPLIT.map(shape.piece), ...shape.end].join('');
    for (const size of [1, 7, 64]) {
      const chunks = Array.from({ length: Math.ceil(sse.length / size) }, (_, i) => sse.slice(i * size, (i + 1) * size));
      const screen = new AnswerStreamScreen(rules('redact'), { dialect: 'anthropic', hold: true, window: 512 });
      const { outs } = run(screen, chunks);
      expect(shape.text(sseEvents(outs.join('')))).toBe('Your key is [REDACTED:aws-access-key] and the token [REDACTED:github-token]. Done.');
    }
  });

  it('splits events on every SSE line end, CR alone too (as the in-band error guard does): none held to the end, none unread', () => {
    const shape = STREAMS.openai;
    const cr = (event: string) => event.replace(/\n/g, '\r');
    const stream = [...shape.start, ...SPLIT.map(shape.piece), ...shape.end].map(cr);
    const screen = new AnswerStreamScreen(rules('redact'), { dialect: 'openai', hold: true, window: 512 });
    const { outs } = run(screen, stream);
    const sent = outs.join('');
    expect(shape.text(sseEvents(sent.replace(/\r/g, '\n')))).toBe('Your key is [REDACTED:aws-access-key] and the token [REDACTED:github-token]. Done.');
    // The finish reason settles the text: all of it goes with that event, not after the stream's end.
    expect(outs[outs.length - 1]).toBe('');
    expect(sent.endsWith('data: [DONE]\r\r')).toBe(true);
  });

  it("releases a text block's held tail when the block stops, not behind the tool call that follows", () => {
    const shape = STREAMS.anthropic;
    const screen = new AnswerStreamScreen(rules('redact'), { dialect: 'anthropic', hold: true, window: 512 });
    const before = [...shape.start, shape.piece('I will run it now.')].map((e) => Buffer.from(screen.push(Buffer.from(e))).toString()).join('');
    expect(before).not.toContain('run it now');
    const atStop = Buffer.from(screen.push(Buffer.from('event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n'))).toString();
    expect(atStop).toContain('I will run it now.');
    expect(atStop).toContain('content_block_stop');
  });

  it('holds a PEM block longer than the window until its footer, and redacts all of it', () => {
    const pem = fakePem('RSA ');
    const pieces = pem.match(/[^]{1,40}/g)!;
    const shape = STREAMS.openai;
    const screen = new AnswerStreamScreen(rules('redact'), { dialect: 'openai', hold: true, window: 128 });
    const { outs } = run(screen, [...shape.start, shape.piece('key:\n'), ...pieces.map(shape.piece), shape.piece('\nthat was it'), ...shape.end]);
    expect(shape.text(sseEvents(outs.join('')))).toBe('key:\n[REDACTED:private-key]\nthat was it');
  });

  it('redacts from the header on a PEM block the answer ends in the middle of', () => {
    const pem = fakePem('').slice(0, 300);
    const shape = STREAMS.anthropic;
    const screen = new AnswerStreamScreen(rules('redact'), { dialect: 'anthropic', hold: true, window: 128 });
    const { outs } = run(screen, [...shape.start, shape.piece('here: '), ...pem.match(/[^]{1,25}/g)!.map(shape.piece)]);
    expect(shape.text(sseEvents(outs.join('')))).toBe('here: [REDACTED:private-key]');
  });

  describe('a match longer than the window (held from its start while it may still become one)', () => {
    const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
    /** A JWT of 900 characters: its signature comes 640 bytes after its start, past any window below that. */
    const JWT_900 = `eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJ${fakeChars(600, 40, BASE64URL)}.${fakeChars(260, 41, BASE64URL)}`;
    /** A PEM block of about 3 KB (a 4096-bit RSA key's length), in lines of 64. */
    const PEM_3K = `-----BEGIN RSA PRIVATE KEY-----\n${Array.from({ length: 47 }, (_, i) => fakeChars(64, 50 + i, `${BASE64URL.slice(0, 62)}+/`)).join('\n')}\n-----END RSA PRIVATE KEY-----`;
    const SECRETS: Record<string, string> = {
      'a 900-character JWT': JWT_900,
      'a JWT whose header alone is longer than the window': `eyJ${fakeChars(700, 42, BASE64URL)}.eyJ${fakeChars(40, 43)}.${fakeChars(43, 44, BASE64URL)}`,
      'a legacy OpenAI key with a long run before its marker': `sk-${fakeChars(600, 45)}T3BlbkFJ${fakeChars(20, 46)}`,
      'a 3 KB PEM block': PEM_3K,
      ...Object.fromEntries(Object.entries(FAKE).map(([name, token]) => [`FAKE.${name}`, token])),
      // Only a secret by its name.
      'FAKE.awsSecret': `AWS_SECRET_ACCESS_KEY=${FAKE.awsSecret}`,
    };
    const guardrails = rules('redact', [{ detect: 'jwt', action: 'redact' }]);
    const deltas = (text: string, size: number) => text.match(new RegExp(`[^]{1,${size}}`, 'g'))!;

    describe.each(Object.keys(SECRETS))('%s', (name) => {
      const secret = SECRETS[name]!;
      const text = `Here: ${secret} and the rest.`;
      it.each([1, 3, 7, 64])('in %i-character deltas, with the least window, sends none of it: the text as screening it whole leaves it', (size) => {
        const shape = STREAMS.openai;
        const screen = new AnswerStreamScreen(guardrails, { dialect: 'openai', hold: true, window: 128 });
        const { outs } = run(screen, [...shape.start, ...deltas(text, size).map(shape.piece), ...shape.end]);
        const sent = shape.text(sseEvents(outs.join('')));
        expect(sent).toBe(screenedWhole(guardrails, text));
        expect(sent).toMatch(/^Here: (?:AWS_SECRET_ACCESS_KEY=)?\[REDACTED:[a-z-]+\] and the rest\.$/);
        expect(screen.hits.reduce((n, h) => n + h.count, 0)).toBe(1);
      });
    });

    it('lets the text before a candidate go while it is held, and holds nothing once it is ruled out', () => {
      const shape = STREAMS.anthropic;
      const prose = 'The token follows. '.repeat(100);
      const screen = new AnswerStreamScreen(guardrails, { dialect: 'anthropic', hold: true, window: 128 });
      const sentAfter = (pieces: string[]) => shape.text(sseEvents(pieces.map((p) => Buffer.from(screen.push(Buffer.from(shape.piece(p)))).toString()).join('')));
      run(screen, shape.start);
      const beforeIt = sentAfter(deltas(prose, 7));
      const whileHeld = sentAfter(deltas(JWT_900.slice(0, 600), 7));
      // Up to where the candidate starts (the event that carries its start waits whole), and not a byte of it.
      expect(prose.startsWith(beforeIt + whileHeld)).toBe(true);
      expect((beforeIt + whileHeld).length).toBeGreaterThanOrEqual(prose.length - 7);
      // A run after `eyJ` that ends without becoming a JWT is no match: it goes, up to the window.
      const ruledOut = sentAfter([' is not one.', ...deltas(' word'.repeat(60), 7)]);
      expect(ruledOut.startsWith(`${JWT_900.slice(0, 600)} is not one.`)).toBe(true);
      expect(screen.hits).toEqual([]);
    });

    it('counts a JWT longer than the window once when the rules only flag (nothing held, the hit not lost)', () => {
      const flagging = rules('flag', [{ detect: 'jwt', action: 'flag' }]);
      const shape = STREAMS.openai;
      const screen = new AnswerStreamScreen(flagging, { dialect: 'openai', hold: false, window: 128 });
      const stream = [...shape.start, ...deltas(`see ${JWT_900} now`, 3).map(shape.piece), ...shape.end];
      const { outs } = run(screen, stream);
      expect(outs.slice(0, -1)).toEqual(stream);
      expect(screen.hits).toEqual([{ rule: 'jwt', action: 'flag', count: 1, side: 'response' }]);
    });

    describe("ordinary text holding a candidate's literal (`sk-`, `eyJ`): sent as it is, as soon as the window lets it", () => {
      /** JSON, as an app's config or a cursor encodes it: base64 of it starts with `eyJ` (`{"`). */
      const config = JSON.stringify({ items: Array.from({ length: 1200 }, (_, i) => ({ id: i, name: `item ${i}`, tags: ['alpha', 'beta'], enabled: i % 2 === 0 })) });
      const TEXTS: Record<string, string> = {
        'Python and markdown with sk-, in words and alone': [
          '```python\n# pip install scikit-learn (imported as sklearn; some call it sk-learn)\nfrom sklearn.model_selection import train_test_split\n```\n',
          'A risk-free, task-based plan: ask-me-anything sessions, a desk-top app, a disk-backed cache, the whisk-and-fold step.\n',
          'Locales: `sk-SK`, "sk-SK"; flags --sk-mode and /sk-SK/products; tokens look like sk-... never sk-learn itself.\n',
        ]
          .join('')
          .repeat(8),
        'a Kubernetes secret holding 100 KB of base64 JSON (no `+` or `/` in it)': `apiVersion: v1\nkind: Secret\ndata:\n  config.json: ${Buffer.from(config).toString('base64')}\n`,
        'a data URL of 100 KB of JSON': `Download it: data:application/json;base64,${Buffer.from(config).toString('base64')} — done.`,
        'a 100 KB base64url cursor': `next page: ?cursor=${Buffer.from(config).toString('base64url')}&limit=50`,
      };

      it('the base64 cases are one run of a JWT header\'s characters, longer than the default hold', () => {
        for (const name of Object.keys(TEXTS).slice(1)) expect(TEXTS[name]).toMatch(/eyJ[A-Za-z0-9_-]{65536,}/);
      });

      describe.each(Object.keys(TEXTS))('%s', (name) => {
        const text = TEXTS[name]!;
        it('goes out unchanged, no hit, never lagging by more than the window or a JWT header could be long', () => {
          const shape = STREAMS.openai;
          const screen = new AnswerStreamScreen(guardrails, { dialect: 'openai', hold: true, window: 512 });
          run(screen, shape.start);
          // Events go out whole: each push's output parsed on its own, so the text sent so far costs no rereading.
          const sentText: string[] = [];
          let fed = 0;
          let out = 0;
          let lag = 0;
          for (const piece of deltas(text, 4)) {
            sentText.push(shape.text(sseEvents(Buffer.from(screen.push(Buffer.from(shape.piece(piece)))).toString())));
            fed += piece.length;
            out += sentText[sentText.length - 1]!.length;
            lag = Math.max(lag, fed - out);
          }
          sentText.push(shape.text(sseEvents(Buffer.from(screen.end()).toString())));
          const sent = sentText.join('');
          // Compared short: a failure prints 100 KB otherwise.
          expect({ redacted: sent.match(/\[REDACTED:[a-z-]+\]/)?.[0], length: sent.length, same: sent === text }).toEqual({ redacted: undefined, length: text.length, same: true });
          expect(screen.hits).toEqual([]);
          // The prose holds nothing past the window; a base64 run, no more than a JWT's header may be long (and the eighth a rescan waits).
          expect(lag).toBeLessThanOrEqual(name.startsWith('Python') ? 512 + 4 : JWT_HEADER_MAX + JWT_HEADER_MAX / 8 + 512);
        });
      });
    });

    describe('past streamHoldMax', () => {
      const bounded = (action: 'redact' | 'block') => Guardrails.from(GuardrailsSchema.parse({ on: ['response'], streamWindow: 128, streamHoldMax: 1024, rules: [{ detect: 'jwt', action }] }), 'response')!;
      /** `eyJ` and a run that never becomes a JWT, three times the bound. */
      const run3k = `eyJ${fakeChars(3000, 47, BASE64URL)}`;

      it('redacts what it held as a match of the rule rather than release it, and the rest of its run with it, then what follows is new text', () => {
        const shape = STREAMS.openai;
        const screen = new AnswerStreamScreen(bounded('redact'), { dialect: 'openai', hold: true, window: 128 });
        const { outs } = run(screen, [...shape.start, ...deltas(`x ${run3k} end ${FAKE.jwt}`, 4).map(shape.piece), ...shape.end]);
        const sent = shape.text(sseEvents(outs.join('')));
        // One mark for the whole run (its part past the bound unmarked); the JWT after it is a match of its own.
        expect(sent).toBe('x [REDACTED:jwt] end [REDACTED:jwt]');
        expect(screen.hits).toEqual([{ rule: 'jwt', action: 'redact', count: 2, side: 'response' }]);
      });

      it('holds no more than the bound (and an eighth of it) before the decision: the text before goes, the held part leaves redacted', () => {
        const shape = STREAMS.openai;
        const screen = new AnswerStreamScreen(bounded('redact'), { dialect: 'openai', hold: true, window: 128 });
        run(screen, shape.start);
        const pieces = deltas(run3k, 4);
        let fed = 0;
        let sent = '';
        for (const piece of ['x ', ...pieces]) {
          sent += Buffer.from(screen.push(Buffer.from(shape.piece(piece)))).toString();
          fed += piece.length;
          if (shape.text(sseEvents(sent)).includes('[REDACTED:jwt]')) break;
        }
        expect(shape.text(sseEvents(sent))).toBe('x [REDACTED:jwt]');
        expect(fed - 2).toBeGreaterThanOrEqual(1024);
        expect(fed - 2).toBeLessThanOrEqual(1024 + 1024 / 8 + 4);
      });

      it('blocks, having sent none of what it held', () => {
        const shape = STREAMS.anthropic;
        const screen = new AnswerStreamScreen(bounded('block'), { dialect: 'anthropic', hold: true, window: 128 });
        const { outs, blocked } = run(screen, [...shape.start, shape.piece('x '), ...deltas(`${run3k} end`, 4).map(shape.piece), ...shape.end]);
        expect(blocked).toMatchObject({ rule: 'jwt' });
        expect(shape.text(sseEvents(outs.join('')))).toBe('x ');
      });
    });
  });

  describe('a match still growing at the end of the text, in 4-character deltas', () => {
    const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    /** A text that a built-in holds to its end, of about `kb` KB: a PEM header then base64 lines, a JWT's third part, a project key's run. */
    const growing: Record<string, (kb: number) => string> = {
      'a PEM block before its footer': (kb) => `-----BEGIN RSA PRIVATE KEY-----\n${(fakeChars(kb * 1024, 3, BASE64).match(/.{1,64}/g) ?? []).join('\n')}`,
      "a JWT's signature": (kb) => `${FAKE.jwt.split('.').slice(0, 2).join('.')}.${fakeChars(kb * 1024, 4, `${BASE64}_-`)}`,
      'a long base64 run after sk-proj-': (kb) => `sk-proj-${fakeChars(kb * 1024, 5, BASE64)}`,
      // Not a match until its signature comes: held as a candidate, from its start.
      "a JWT's payload before its signature": (kb) => `${FAKE.jwt.split('.')[0]}.eyJ${fakeChars(kb * 1024, 6, BASE64)}.${fakeChars(43, 7, BASE64)}`,
    };
    const guardrails = rules('redact', [{ detect: 'jwt', action: 'redact' }, { id: 'ticket', detect: { regex: 'TICKET-[0-9]{4,8}' }, action: 'redact' }]);
    const eventsOf = (text: string) => {
      const shape = STREAMS.openai;
      return [...shape.start, ...text.match(/[^]{1,4}/g)!.map(shape.piece), ...shape.end].map((e) => Buffer.from(e));
    };
    /** Sends each event as its own chunk (the worst case: a scan per event); the text the client got, and the bytes the detectors read. */
    const relay = (text: string) => {
      const screen = new AnswerStreamScreen(guardrails, { dialect: 'openai', hold: true, window: 512 });
      const scan = jest.spyOn(guardrails, 'matchesInString');
      try {
        const out = eventsOf(text).map((e) => Buffer.from(screen.push(e)).toString());
        out.push(Buffer.from(screen.end()).toString());
        return { text: STREAMS.openai.text(sseEvents(out.join(''))), scanned: scan.mock.calls.reduce((n, [inner]) => n + inner.length, 0) };
      } finally {
        scan.mockRestore();
      }
    };

    it.each(Object.keys(growing))('reads %s a bounded number of times over, not once per delta, and still redacts it whole', (kind) => {
      const text = `Here it is: ${growing[kind]!(48)}`;
      const { text: sent, scanned } = relay(text);
      expect(sent).toBe(screenedWhole(guardrails, text));
      expect(sent).toMatch(/^Here it is: \[REDACTED:[a-z-]+\]/);
      // Read on every delta, a 48 KB match costs its length squared over 8 (about 300 MB); scanned in geometric steps, under 12 times its length.
      expect(scanned).toBeLessThan(12 * Buffer.byteLength(text));
    });

    it('lets the text after a held match go within an eighth of the match (or the window) of its end', () => {
      const pem = `${growing['a PEM block before its footer']!(16)}\n-----END RSA PRIVATE KEY-----`;
      const screen = new AnswerStreamScreen(guardrails, { dialect: 'openai', hold: true, window: 512 });
      const text = `key: ${pem}\n${'after the key. '.repeat(400)}`;
      const events = eventsOf(text);
      let sent = '';
      let fed = 0;
      for (const e of events) {
        sent += Buffer.from(screen.push(e)).toString();
        fed++;
        if (STREAMS.openai.text(sseEvents(sent)).includes('after')) break;
      }
      // The deltas fed past the footer before the text after it went: the window, plus at most an eighth of the held key.
      const footerEvent = STREAMS.openai.start.length + Math.ceil((text.indexOf('-----END') + 29) / 4);
      const pastFooter = (fed - footerEvent) * 4;
      expect(pastFooter).toBeLessThan(512 + Buffer.byteLength(pem) / 8 + 64);
      expect(STREAMS.openai.text(sseEvents(sent))).toMatch(/^key: \[REDACTED:private-key\]\nafter/);
    });

    it('takes about four times as long for a 4-times longer PEM block, not sixteen (fastest of 7, loopback-free, CPU only)', () => {
      // The fastest run, not the median: another test worker on the same core only ever adds time
      // (a median of 3 read 9.3 in a CI run beside other suites).
      const time = (kb: number) => {
        const text = growing['a PEM block before its footer']!(kb);
        const events = eventsOf(text);
        const runs = [0, 1, 2, 3, 4, 5, 6].map(() => {
          const screen = new AnswerStreamScreen(guardrails, { dialect: 'openai', hold: true, window: 512 });
          const start = process.hrtime.bigint();
          for (const e of events) screen.push(e);
          screen.end();
          return Number(process.hrtime.bigint() - start);
        });
        return Math.min(...runs);
      };
      time(4); // warm-up
      // Quadratic, the ratio is about 16; linear, about 4 (with each event's parse, which does not grow).
      expect(time(32) / time(8)).toBeLessThan(8);
    });
  });

  describe('signed thinking', () => {
    const sse = (type: string, data: unknown) => `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
    /** An Anthropic stream: a thinking block in `pieces`, its signature, then a text block. */
    const anthropicThinking = (pieces: string[]) => [
      sse('message_start', { type: 'message_start', message: { id: 'm', content: [], usage: { input_tokens: 3, output_tokens: 0 } } }),
      sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }),
      ...pieces.map((thinking) => sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking } })),
      sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQBsigned' } }),
      sse('content_block_stop', { type: 'content_block_stop', index: 0 }),
      sse('content_block_start', { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } }),
      sse('content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Done.' } }),
      sse('content_block_stop', { type: 'content_block_stop', index: 1 }),
      sse('message_stop', { type: 'message_stop' }),
    ];
    const deltas = (out: string) => sseEvents(out).flatMap((e) => ((e as { delta?: Record<string, string> }).delta ? [(e as { delta: Record<string, string> }).delta] : []));

    it("reads Claude's thinking deltas as running text, and sends the block's signature as the gateway's mark once a key in it was redacted", () => {
      const screen = new AnswerStreamScreen(rules('redact'), { dialect: 'anthropic', hold: true, window: 128 });
      const { outs } = run(screen, anthropicThinking(['The user pasted ', FAKE.awsKeyId.slice(0, 8), `${FAKE.awsKeyId.slice(8)}; I must not repeat it.`]));
      const sent = deltas(outs.join(''));
      expect(sent.filter((d) => d.type === 'thinking_delta').map((d) => d.thinking).join('')).toBe('The user pasted [REDACTED:aws-access-key]; I must not repeat it.');
      expect(sent.find((d) => d.type === 'signature_delta')).toEqual({ type: 'signature_delta', signature: 'aigw1:redacted' });
      expect(outs.join('')).not.toContain('EqQBsigned');
      expect(screen.hits).toEqual([{ rule: 'aws-access-key', action: 'redact', count: 1, side: 'response' }]);
    });

    it('keeps the signature of thinking nothing was redacted in, byte for byte', () => {
      const stream = anthropicThinking(['Just ', 'thinking.']);
      const { outs } = run(new AnswerStreamScreen(rules('redact'), { dialect: 'anthropic', hold: true, window: 128 }), stream);
      expect(outs.join('')).toBe(stream.join(''));
    });

    it('blocks a key in the thinking before any of it goes out', () => {
      const { outs, blocked } = run(new AnswerStreamScreen(rules('block'), { dialect: 'anthropic', hold: true, window: 128 }), anthropicThinking(['key ', FAKE.awsKeyId]));
      expect(blocked?.path).toBe('content[0].thinking');
      expect(outs.join('')).not.toContain(FAKE.awsKeyId.slice(0, 4));
    });

    it("replaces the gateway's thoughtSignature on a Gemini function call once the thought text before it was redacted", () => {
      const carried = carryThinking([{ type: 'thinking', text: `key ${FAKE.awsKeyId}`, signature: 'EqQB', signedBy: 'claude' }])!;
      const chunk = (parts: unknown[], extra: Record<string, unknown> = {}) => `data: ${JSON.stringify({ candidates: [{ index: 0, content: { role: 'model', parts }, ...extra }] })}\r\n\r\n`;
      const stream = [chunk([{ text: 'key ', thought: true }]), chunk([{ text: FAKE.awsKeyId.slice(0, 9), thought: true }]), chunk([{ text: FAKE.awsKeyId.slice(9), thought: true }]), chunk([{ functionCall: { name: 'ls', args: {} }, thoughtSignature: carried }], { finishReason: 'STOP' })];
      const { outs } = run(new AnswerStreamScreen(rules('redact'), { dialect: 'gemini', hold: true, window: 128 }), stream);
      const events = sseEvents(outs.join('')) as { candidates: { content: { parts: { text?: string; thoughtSignature?: string }[] } }[] }[];
      const parts = events.flatMap((e) => e.candidates[0]!.content.parts);
      expect(parts.map((p) => p.text ?? '').join('')).toBe('key [REDACTED:aws-access-key]');
      expect(parts.find((p) => p.thoughtSignature)!.thoughtSignature).toBe(REDACTED_THOUGHT_SIGNATURE);
      expect(outs.join('')).not.toContain(carried);
    });

    it("marks a Responses reasoning item's encrypted_content (the gateway's, carrying Claude's signature) in output_item.done and response.completed once its summary was redacted", () => {
      const item = (text: string) => ({ id: 'rs_1', type: 'reasoning', summary: [{ type: 'summary_text', text }], encrypted_content: 'aigw1:claude:EqQBsigned' });
      const thought = `I see ${FAKE.awsKeyId} there.`;
      const stream = [
        sse('response.created', { type: 'response.created', response: { id: 'r', output: [] } }),
        sse('response.output_item.added', { type: 'response.output_item.added', output_index: 0, item: { id: 'rs_1', type: 'reasoning', summary: [] } }),
        ...[thought.slice(0, 10), thought.slice(10)].map((delta) => sse('response.reasoning_summary_text.delta', { type: 'response.reasoning_summary_text.delta', output_index: 0, summary_index: 0, delta })),
        sse('response.output_item.done', { type: 'response.output_item.done', output_index: 0, item: item(thought) }),
        sse('response.completed', { type: 'response.completed', response: { id: 'r', output: [item(thought)] } }),
      ];
      const { outs } = run(new AnswerStreamScreen(rules('redact'), { dialect: 'openai-responses', hold: true, window: 128 }), stream);
      const events = sseEvents(outs.join('')) as { type: string; item?: { encrypted_content: string }; response?: { output: { encrypted_content: string }[] } }[];
      expect(events.find((e) => e.type === 'response.output_item.done')!.item!.encrypted_content).toBe('aigw1:redacted');
      expect(events.find((e) => e.type === 'response.completed')!.response!.output[0]!.encrypted_content).toBe('aigw1:redacted');
      expect(outs.join('')).not.toContain(FAKE.awsKeyId);
    });
  });

  it('reads tool-call arguments as their own text, apart from the content', () => {
    const chunk = (delta: unknown) => `data: ${JSON.stringify({ choices: [{ index: 0, delta }] })}\n\n`;
    const key = FAKE.awsKeyId;
    const stream = [
      chunk({ content: key.slice(0, 10) }),
      chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'run', arguments: '{"cmd":"echo ' + key.slice(0, 10) } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: key.slice(10) + '"}' } }] }),
      chunk({ content: ' plain' }),
    ];
    const screen = new AnswerStreamScreen(rules('redact'), { dialect: 'openai', hold: true, window: 512 });
    const events = sseEvents(run(screen, stream).outs.join('')) as { choices: { delta: { content?: string; tool_calls?: { function: { arguments: string } }[] } }[] }[];
    const args = events.map((e) => e.choices[0]!.delta.tool_calls?.[0]?.function.arguments ?? '').join('');
    expect(JSON.parse(args)).toEqual({ cmd: 'echo [REDACTED:aws-access-key]' });
    // The content's ten characters are no key: they go as they came.
    expect(events.map((e) => e.choices[0]!.delta.content ?? '').join('')).toBe(`${key.slice(0, 10)} plain`);
  });

  it("reads a choice's reasoning (`reasoning_content`, as the gateway writes Claude's thinking for OpenAI clients) as running text", () => {
    const chunk = (delta: unknown) => `data: ${JSON.stringify({ choices: [{ index: 0, delta }] })}\n\n`;
    const key = FAKE.awsKeyId;
    const stream = [chunk({ role: 'assistant', reasoning_content: `the key is ${key.slice(0, 9)}` }), chunk({ reasoning_content: `${key.slice(9)}, so` }), chunk({ reasoning: `again ${key.slice(0, 9)}` }), chunk({ reasoning: key.slice(9) }), chunk({ content: 'done' })];
    const screen = new AnswerStreamScreen(rules('redact'), { dialect: 'openai', hold: true, window: 512 });
    const sent = run(screen, stream).outs.join('');
    const events = sseEvents(sent) as { choices: { delta: { reasoning_content?: string; reasoning?: string } }[] }[];
    expect(events.map((e) => e.choices[0]!.delta.reasoning_content ?? '').join('')).toBe('the key is [REDACTED:aws-access-key], so');
    expect(events.map((e) => e.choices[0]!.delta.reasoning ?? '').join('')).toBe('again [REDACTED:aws-access-key]');
    expect(sent).not.toContain(key.slice(9));
  });

  it('clears the token logprobs beside redacted text, which spell the key again token by token', () => {
    const key = FAKE.awsKeyId;
    const tokens = [key.slice(0, 4), key.slice(4, 9), key.slice(9, 15), key.slice(15)];
    const chunk = (content: string, logprobs: string[]) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content }, logprobs: { content: logprobs.map((token) => ({ token, logprob: -0.1, bytes: [...Buffer.from(token)], top_logprobs: [] })) } }] })}\n\n`;
    const stream = [chunk('ok ', ['ok', ' ']), chunk(tokens[0]! + tokens[1]!, tokens.slice(0, 2)), chunk(tokens[2]! + tokens[3]!, tokens.slice(2)), chunk(' bye', [' bye'])];
    const screen = new AnswerStreamScreen(rules('redact'), { dialect: 'openai', hold: true, window: 512 });
    const events = sseEvents(run(screen, stream).outs.join('')) as { choices: { delta: { content: string }; logprobs: { content: { token: string }[] } | null }[] }[];
    expect(events.map((e) => e.choices[0]!.delta.content).join('')).toBe('ok [REDACTED:aws-access-key] bye');
    expect(events.map((e) => e.choices[0]!.logprobs?.content.map((t) => t.token).join('') ?? '').join('')).toBe('ok  bye');
    expect(events.map((e) => e.choices[0]!.logprobs)).toEqual([expect.anything(), null, null, expect.anything()]);
  });

  it('redacts a key in a chat delta whose content is an array of parts', () => {
    const chunk = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: [{ type: 'text', text: `key ${FAKE.awsKeyId}` }] } }] })}\n\n`;
    const screen = new AnswerStreamScreen(rules('redact'), { dialect: 'openai', hold: true, window: 512 });
    const sent = run(screen, [chunk]).outs.join('');
    expect(sent).toContain('key [REDACTED:aws-access-key]');
    expect(sent).not.toContain(FAKE.awsKeyId);
  });

  it("reads a text block's opening text and its deltas as one text", () => {
    const key = FAKE.awsKeyId;
    const event = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, index: 0, ...data })}\n\n`;
    const stream = [event('content_block_start', { content_block: { type: 'text', text: `key ${key.slice(0, 9)}` } }), event('content_block_delta', { delta: { type: 'text_delta', text: `${key.slice(9)} ok` } }), event('content_block_stop', {})];
    const screen = new AnswerStreamScreen(rules('redact'), { dialect: 'anthropic', hold: true, window: 512 });
    const events = sseEvents(run(screen, stream).outs.join('')) as { content_block?: { text: string }; delta?: { text: string } }[];
    expect(events.map((e) => e.content_block?.text ?? e.delta?.text ?? '').join('')).toBe('key [REDACTED:aws-access-key] ok');
  });

  it('leaves a signature alone and redacts a tool_use input that comes whole', () => {
    const shape = STREAMS.anthropic;
    const signature = `${FAKE.awsKeyId}${'A'.repeat(20)}`;
    const stream = [
      `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: `x ${FAKE.awsKeyId} y` } })}\n\n`,
      `event: content_block_start\ndata: ${JSON.stringify({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 't', name: 'Bash', input: { cmd: `export K=${FAKE.awsKeyId}` } } })}\n\n`,
      ...shape.end,
    ];
    const screen = new AnswerStreamScreen(rules('redact'), { dialect: 'anthropic', hold: true, window: 512 });
    const sent = run(screen, stream).outs.join('');
    expect(sent).toContain(`x ${FAKE.awsKeyId} y`);
    expect(sent).toContain('export K=[REDACTED:aws-access-key]');
    expect(signature).toBeDefined();
    expect(screen.hits).toEqual([{ rule: 'aws-access-key', action: 'redact', count: 1, side: 'response' }]);
  });

  it.each([
    ['whole, in one chunk', true],
    ['an event a chunk, as an account streams them (the echo in `output_text.done` blocks before the text is decided)', false],
  ])("books a block's hit once when a Responses stream is read %s", (_, whole) => {
    // Prepare
    const screen = new AnswerStreamScreen(rules('block'), { dialect: 'openai-responses', hold: true, window: 512 });
    const events = storedResponseEvents(responseBody(newResponseFrame('gpt-4o-mini', {}), { text: `Echo: Repeat ${FAKE.awsKeyId}`, finishReason: 'stop', usage: { prompt: 1, completion: 1 } }));

    // Act
    const { outs, blocked } = run(screen, whole ? [events.join('')] : events);

    // Assess
    expect(blocked).toBeInstanceOf(AnswerBlocked);
    expect(outs.join('')).not.toContain(FAKE.awsKeyId);
    expect(screen.hits).toEqual([{ rule: 'aws-access-key', action: 'block', count: 1, side: 'response' }]);
  });

  it.each((['block', 'redact', 'flag'] as const).flatMap((action) => [1, 2, 3, 7, 16, 61, 200, 509].map((size) => [action, size] as const)))(
    "books a %s hit once when a Responses stream (a stored response's replay) comes in pieces of %i bytes, leaking none of a withheld match",
    (action, size) => {
      // Prepare: the token split over deltas (the fake's word a delta), echoed whole by `output_text.done` and `response.completed`.
      const screen = new AnswerStreamScreen(rules(action), { dialect: 'openai-responses', hold: action !== 'flag', window: 512 });
      const whole = storedResponseEvents(responseBody(newResponseFrame('gpt-4o-mini', {}), { text: `Echo: Repeat ${FAKE.awsKeyId} and more after it`, finishReason: 'stop', usage: { prompt: 1, completion: 1 } })).join('');
      const pieces = Array.from({ length: Math.ceil(whole.length / size) }, (_, i) => whole.slice(i * size, (i + 1) * size));

      // Act
      const { outs, blocked } = run(screen, pieces);

      // Assess
      expect(blocked instanceof AnswerBlocked).toBe(action === 'block');
      expect(outs.join('').includes(FAKE.awsKeyId.slice(0, 8))).toBe(action === 'flag');
      expect(screen.hits).toEqual([{ rule: 'aws-access-key', action, count: 1, side: 'response' }]);
    },
  );

  it("redacts Responses' closing events too, counting their text once", () => {
    const shape = STREAMS['openai-responses'];
    const done = `event: response.output_text.done\ndata: ${JSON.stringify({ type: 'response.output_text.done', output_index: 0, content_index: 0, text: WHOLE_TEXT })}\n\n`;
    const completed = `event: response.completed\ndata: ${JSON.stringify({ type: 'response.completed', response: { id: 'r', instructions: 'none', output: [{ type: 'message', content: [{ type: 'output_text', text: WHOLE_TEXT }] }], output_text: WHOLE_TEXT } })}\n\n`;
    const screen = new AnswerStreamScreen(rules('redact'), { dialect: 'openai-responses', hold: true, window: 512 });
    const sent = run(screen, [...shape.start, ...SPLIT.map(shape.piece), done, completed]).outs.join('');
    expect(sent).not.toContain(FAKE.awsKeyId);
    expect(sent).not.toContain(FAKE.githubClassic);
    expect(screen.hits.map((h) => h.count)).toEqual([1, 1]);
  });

  it.each([
    ['response.reasoning_text.delta', 'response.reasoning_text.done', 'text', { content_index: 0 }],
    ['response.code_interpreter_call_code.delta', 'response.code_interpreter_call_code.done', 'code', {}],
    ['response.mcp_call_arguments.delta', 'response.mcp_call_arguments.done', 'arguments', {}],
  ])('reads Responses %s as running text, and its closing event', (delta, done, field, at) => {
    const key = FAKE.awsKeyId;
    const event = (type: string, body: object) => `event: ${type}\ndata: ${JSON.stringify({ type, output_index: 1, item_id: 'x', ...at, ...body })}\n\n`;
    const stream = [event(delta, { delta: `k=${key.slice(0, 9)}` }), event(delta, { delta: `${key.slice(9)};` }), event(done, { [field]: `k=${key};` })];
    const screen = new AnswerStreamScreen(rules('redact'), { dialect: 'openai-responses', hold: true, window: 512 });
    const events = sseEvents(run(screen, stream).outs.join('')) as Record<string, string>[];
    expect(events.map((e) => e.delta ?? '').join('')).toBe('k=[REDACTED:aws-access-key];');
    expect(events[2]![field]).toBe('k=[REDACTED:aws-access-key];');
    expect(screen.hits).toEqual([{ rule: 'aws-access-key', action: 'redact', count: 1, side: 'response' }]);
  });

  it("rewrites Gemini's JSON array element by element, and closes it", () => {
    const element = (text: string) => JSON.stringify({ candidates: [{ index: 0, content: { role: 'model', parts: [{ text }] } }] }, null, 2);
    const array = `[${SPLIT.map(element).join('\n,\r\n')}\n]`;
    const screen = new AnswerStreamScreen(rules('redact'), { dialect: 'gemini', hold: true, window: 512, jsonArray: true });
    const sent = run(screen, array.match(/[^]{1,50}/g)!).outs.join('');
    const parsed = JSON.parse(sent) as { candidates: { content: { parts: { text: string }[] } }[] }[];
    expect(parsed.map((e) => e.candidates[0]!.content.parts[0]!.text).join('')).toBe('Your key is [REDACTED:aws-access-key] and the token [REDACTED:github-token]. Done.');
    expect(screen.array.closed).toBe(true);
  });
});
